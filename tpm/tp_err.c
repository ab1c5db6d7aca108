/* Error bookkeeping: keep the raw TSS2_RC for logs, hand -errno to callers. */
#include <errno.h>

#include <tss2/tss2_rc.h>

#include "tp_int.h"

uint32_t tp_rc_base(TSS2_RC rc)
{
	uint32_t layer = rc & TSS2_RC_LAYER_MASK;

	/* A resource manager relays TPM codes in its own layer. */
	if (rc == TSS2_RC_SUCCESS || (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER))
		return 0;
	rc &= 0xfff;
	/* Format-one codes carry the handle/session/parameter number in bits
	 * 6..11; strip it so callers compare against TPM2_RC_* directly. */
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

static int tpm_errno(uint32_t base)
{
	switch (base) {
	case TPM2_RC_AUTH_FAIL:
	case TPM2_RC_BAD_AUTH:
		return -EACCES;
	case TPM2_RC_LOCKOUT:
		return -EBUSY;
	case TPM2_RC_POLICY_FAIL:
	case TPM2_RC_PCR_CHANGED:
		return -EPERM;
	/* What Load says about a damaged object or one from another TPM. */
	case TPM2_RC_INTEGRITY:
	case TPM2_RC_SENSITIVE:
	case TPM2_RC_BINDING:
	case TPM2_RC_SIZE:
	case TPM2_RC_KEY:
	case TPM2_RC_ATTRIBUTES:
	case TPM2_RC_TYPE:
	case TPM2_RC_HASH:
	case TPM2_RC_SCHEME:
	case TPM2_RC_SYMMETRIC:
	case TPM2_RC_INSUFFICIENT:
	case TPM2_RC_TAG:
	case TPM2_RC_SELECTOR:
	case TPM2_RC_RESERVED_BITS:
	case TPM2_RC_VALUE:
	case TPM2_RC_KEY_SIZE:
	case TPM2_RC_PARENT:
		return -EINVAL;
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
	case TPM2_RC_MEMORY:
	case TPM2_RC_SESSION_HANDLES:
	case TPM2_RC_OBJECT_HANDLES:
	case TPM2_RC_NV_RATE:
	case TPM2_RC_RETRY:
	case TPM2_RC_YIELDED:
	case TPM2_RC_TESTING:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

int tp_fail(tp_ctx *ctx, TSS2_RC rc)
{
	uint32_t layer = rc & TSS2_RC_LAYER_MASK;
	uint32_t base = rc & 0xffff; /* software layers: TSS2_BASE_RC_* */

	ctx->last_rc = rc;
	ctx->last_msg = NULL;
	if (tp_rc_base(rc))
		return tpm_errno(tp_rc_base(rc));
	if (base == TSS2_BASE_RC_MEMORY)
		return -ENOMEM;
	if (layer == TSS2_MU_RC_LAYER)
		return -EINVAL;
	/* Lost the transport (device gone, simulator closed the socket).
	 * ESAPI then stays in an internal-error state and answers every
	 * later call with BAD_SEQUENCE; say -ENODEV for those instead. */
	if (layer == TSS2_TCTI_RC_LAYER || base == TSS2_BASE_RC_NO_CONNECTION ||
	    base == TSS2_BASE_RC_IO_ERROR) {
		ctx->dead = 1;
		return -ENODEV;
	}
	return -EIO;
}

int tp_usable(tp_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	if (ctx->dead)
		return -ENODEV; /* keep the error that killed it for the log */
	tp_clear_err(ctx);
	return 0;
}

int tp_fail_msg(tp_ctx *ctx, int err, const char *msg)
{
	ctx->last_rc = 0;
	ctx->last_msg = msg;
	return err;
}

void tp_clear_err(tp_ctx *ctx)
{
	ctx->last_rc = 0;
	ctx->last_msg = NULL;
}

uint32_t tp_last_rc(const tp_ctx *ctx)
{
	return ctx ? ctx->last_rc : 0;
}

const char *tp_last_error(const tp_ctx *ctx)
{
	if (!ctx)
		return "no tp context";
	if (ctx->last_rc)
		return Tss2_RC_Decode(ctx->last_rc);
	return ctx->last_msg ? ctx->last_msg : "success";
}
