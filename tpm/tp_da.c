/* TPM properties; dictionary-attack state, for telling a user "locked out,
 * wait or reset". */
#include <errno.h>

#include "tp_int.h"

int tp_get_prop(tp_ctx *ctx, TPM2_PT pt, uint32_t *val)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	int ret;

	rc = Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, pt, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	/* The TPM answers from the next property it has, which may not be
	 * the one asked for. */
	if (cap->data.tpmProperties.count < 1 ||
	    cap->data.tpmProperties.tpmProperty[0].property != pt) {
		ret = tp_fail_msg(ctx, -EIO, "TPM does not report a DA property");
		goto out;
	}
	*val = cap->data.tpmProperties.tpmProperty[0].value;
	ret = 0;
out:
	Esys_Free(cap);
	return ret;
}

int tp_da_lockout_info(tp_ctx *ctx, uint32_t *counter, uint32_t *max, int *in_lockout)
{
	uint32_t c, m, perm;
	int ret;

	ret = tp_usable(ctx);
	if (ret < 0)
		goto out;
	if (!counter || !max || !in_lockout) {
		ret = tp_fail_msg(ctx, -EINVAL, "invalid argument");
		goto out;
	}
	ret = tp_get_prop(ctx, TPM2_PT_LOCKOUT_COUNTER, &c);
	if (ret == 0)
		ret = tp_get_prop(ctx, TPM2_PT_MAX_AUTH_FAIL, &m);
	if (ret == 0)
		ret = tp_get_prop(ctx, TPM2_PT_PERMANENT, &perm);
	if (ret < 0)
		goto out;
	*counter = c;
	*max = m;
	*in_lockout = !!(perm & TPMA_PERMANENT_INLOCKOUT);
out:
	return ret;
}
