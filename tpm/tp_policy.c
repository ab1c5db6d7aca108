/* The policy a PCR-bound object carries: PolicyPCR + PolicyAuthValue.
 *
 * PolicyAuthValue is always included, also for an empty auth, so the TPM
 * checks the caller's auth (and counts failures toward DA lockout) in the
 * PCR case exactly as in the auth-only case.  It makes the session carry
 * an HMAC keyed with the object's authValue; the value never travels.
 */
#include <errno.h>

#include "tp_int.h"

#define SEAL_ATTEMPTS 3

int tp_policy_apply(tp_ctx *ctx, ESYS_TR sess, const struct tp_blob *b,
		    const TPM2B_DIGEST *pcr_digest)
{
	TPML_PCR_SELECTION sel;
	TSS2_RC rc;

	tp_pcr_selection(b->pcr_alg, b->pcr_mask, &sel);
	rc = Esys_PolicyPCR(ctx->esys, sess, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, pcr_digest,
			    &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyAuthValue(ctx->esys, sess, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE);
	if (rc != TSS2_RC_SUCCESS)
		return tp_fail(ctx, rc);
	return 0;
}

/* Reads the PCRs into b and computes the policy over those values.  The
 * session is a real policy session, not a trial one, so PolicyPCR makes
 * the TPM compare our digest with its current PCRs: what the blob header
 * records is then exactly what the policy was computed over.  A PCR that
 * moves in between (TPM_RC_VALUE) means read again. */
int tp_policy_current(tp_ctx *ctx, struct tp_blob *b, TPM2B_DIGEST *policy)
{
	TPM2B_DIGEST *got = NULL;
	TPM2B_DIGEST pcr_digest;
	ESYS_TR sess = ESYS_TR_NONE;
	TSS2_RC rc;
	int attempt, ret = -EAGAIN;

	for (attempt = 0; attempt < SEAL_ATTEMPTS && ret == -EAGAIN; attempt++) {
		tp_flush(ctx, &sess);
		ret = tp_pcr_read(ctx, b->pcr_alg, b->pcr_mask, b->pcr_vals);
		if (ret < 0)
			goto out;
		ret = tp_pcr_digest(b->pcr_mask, b->pcr_size, b->pcr_vals, &pcr_digest);
		if (ret < 0)
			goto out;
		ret = tp_sess_start(ctx, TPM2_SE_POLICY, &sess);
		if (ret < 0)
			goto out;
		ret = tp_policy_apply(ctx, sess, b, &pcr_digest);
		if (ret < 0 && tp_rc_base(ctx->last_rc) == TPM2_RC_VALUE)
			ret = -EAGAIN;
	}
	if (ret < 0)
		goto out;
	rc = Esys_PolicyGetDigest(ctx->esys, sess, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &got);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	*policy = *got;
	ret = 0;
out:
	if (ret == -EAGAIN)
		tp_fail_msg(ctx, ret, "PCRs kept changing while sealing");
	tp_flush(ctx, &sess);
	Esys_Free(got);
	return ret;
}
