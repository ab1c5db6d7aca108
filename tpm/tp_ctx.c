/* Connection lifetime: TCTI + ESAPI context, and proving a TPM answers. */
#include <errno.h>
#include <stdlib.h>

#include <tss2/tss2_tctildr.h>

#include "tp_int.h"

#define TP_DEFAULT_TCTI "device:/dev/tpmrm0"

/* A TCTI can "initialise" without a TPM behind it (e.g. tabrmd lazily, or a
 * device node for a dead chip), so ask for one property.  A simulator
 * started without startup gets its TPM2_Startup here. */
static int probe(tp_ctx *ctx)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	int ret;

	rc = Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, &more, &cap);
	if (tp_rc_base(rc) == TPM2_RC_INITIALIZE) {
		rc = Esys_Startup(ctx->esys, TPM2_SU_CLEAR);
		if (rc == TSS2_RC_SUCCESS)
			rc = Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
						TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, &more,
						&cap);
	}
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	ret = 0;
out:
	Esys_Free(cap);
	return ret;
}

int tp_open(tp_ctx **out, const char *tcti)
{
	tp_ctx *ctx = NULL;
	TSS2_RC rc;
	int ret;

	ret = -EINVAL;
	if (!out)
		goto out;
	*out = NULL;
	/* tss2 logs errors (e.g. "connection refused") straight to stderr,
	 * which is not ours to write to inside a PKCS#11 module.  The caller
	 * can opt back in by setting TSS2_LOG. */
	if (!getenv("TSS2_LOG"))
		setenv("TSS2_LOG", "all+none", 0);

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		ret = -ENOMEM;
		goto out;
	}
	ctx->srk = ESYS_TR_NONE;
	/* Any loader failure (no such device, connection refused, unknown
	 * TCTI module) means the same thing to our callers: no TPM here. */
	rc = Tss2_TctiLdr_Initialize(tcti ? tcti : TP_DEFAULT_TCTI, &ctx->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		ctx->tcti = NULL;
		ret = -ENODEV;
		goto out;
	}
	rc = Esys_Initialize(&ctx->esys, ctx->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ctx->esys = NULL;
		ret = tp_fail(ctx, rc);
		goto out;
	}
	ret = probe(ctx);
	if (ret < 0) {
		/* A TPM that does not answer is as good as none. */
		if (ret == -EIO || ret == -ENODEV)
			ret = -ENODEV;
		goto out;
	}
	tp_clear_err(ctx);
	*out = ctx;
	ctx = NULL;
out:
	tp_close(ctx);
	return ret;
}

void tp_close(tp_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->esys) {
		tp_srk_release(ctx);
		Esys_Finalize(&ctx->esys);
	}
	if (ctx->tcti)
		Tss2_TctiLdr_Finalize(&ctx->tcti);
	free(ctx);
}
