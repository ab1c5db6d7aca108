/* TPM2_Load + TPM2_Unseal of a blob made by tp_seal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

/* In the PCR case a policy failure means "PCRs differ": PolicyPCR with the
 * TPM's current values cannot fail, Unseal then reports POLICY_FAIL. */
static int unseal_fail(tp_ctx *ctx, TSS2_RC rc, int policy)
{
	int ret = tp_fail(ctx, rc);
	uint32_t base = tp_rc_base(rc);

	if (policy && (base == TPM2_RC_POLICY_FAIL || base == TPM2_RC_VALUE ||
		       base == TPM2_RC_PCR || base == TPM2_RC_PCR_CHANGED))
		return -EPERM;
	return ret;
}

int tp_unseal(tp_ctx *ctx, const uint8_t *blob, size_t bloblen, const uint8_t *auth, size_t authlen,
	      uint8_t **secret, size_t *n)
{
	const TPM2B_DIGEST current = { 0 };
	TPM2B_SENSITIVE_DATA *out = NULL;
	TPM2B_AUTH a = { 0 };
	struct tp_blob *b = NULL;
	ESYS_TR obj = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret;

	if (secret)
		*secret = NULL;
	if (n)
		*n = 0;
	ret = tp_usable(ctx);
	if (ret < 0)
		goto out;
	if (!blob || (!auth && authlen) || authlen > TP_AUTH_MAX || !secret || !n) {
		ret = tp_fail_msg(ctx, -EINVAL, "invalid argument");
		goto out;
	}
	b = calloc(1, sizeof(*b));
	ret = -ENOMEM;
	if (!b)
		goto out;
	/* Parse before touching the TPM: damaged input costs no TPM work. */
	ret = tp_blob_parse(blob, bloblen, b);
	if (ret < 0) {
		ret = tp_fail_msg(ctx, ret, "damaged blob");
		goto out;
	}
	ret = tp_srk_match(ctx, &b->parent, b->parent_type);
	if (ret < 0)
		goto out;
	/* The SRK's auth is empty, so a password session reveals nothing; a
	 * tampered private part fails here with TPM_RC_INTEGRITY. */
	rc = Esys_Load(ctx->esys, ctx->srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &b->priv,
		       &b->pub, &obj);
	if (rc != TSS2_RC_SUCCESS) {
		obj = ESYS_TR_NONE;
		ret = tp_fail(ctx, rc);
		goto out;
	}
	authlen = auth ? tp_auth_len(auth, authlen) : 0;
	a.size = authlen;
	if (authlen)
		memcpy(a.buffer, auth, authlen);
	rc = Esys_TR_SetAuth(ctx->esys, obj, &a);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	ret = tp_sess_start(ctx, b->has_pcrs ? TPM2_SE_POLICY : TPM2_SE_HMAC, &sess);
	if (ret < 0)
		goto out;
	if (b->has_pcrs) {
		ret = tp_policy_apply(ctx, sess, b, &current);
		if (ret < 0) {
			ret = unseal_fail(ctx, ctx->last_rc, 1);
			goto out;
		}
	}
	/* Unseal has no command parameter to decrypt (setting DECRYPT would
	 * be TPM_RC_ATTRIBUTES); ENCRYPT protects the data coming back. */
	ret = tp_sess_attrs(ctx, sess, TPMA_SESSION_ENCRYPT);
	if (ret < 0)
		goto out;
	rc = Esys_Unseal(ctx->esys, obj, sess, ESYS_TR_NONE, ESYS_TR_NONE, &out);
	if (rc != TSS2_RC_SUCCESS) {
		out = NULL;
		ret = unseal_fail(ctx, rc, b->has_pcrs);
		goto out;
	}
	/* malloc(0) may return NULL; a sealed object always has data anyway. */
	*secret = malloc(out->size ? out->size : 1);
	ret = -ENOMEM;
	if (!*secret)
		goto out;
	memcpy(*secret, out->buffer, out->size);
	*n = out->size;
	ret = 0;
out:
	explicit_bzero(&a, sizeof(a));
	if (ctx) {
		tp_forget_auth(ctx, obj);
		tp_flush(ctx, &sess);
		tp_flush(ctx, &obj);
		if (out)
			tp_scrub_io(ctx);
	}
	if (out) {
		explicit_bzero(out, sizeof(*out));
		Esys_Free(out);
	}
	free(b);
	return ret;
}

void tp_free_secret(uint8_t *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}
