/* TPM2_Create of a sealed data object under the SRK. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_int.h"

int tp_seal(tp_ctx *ctx, const uint8_t *secret, size_t n, const uint8_t *auth, size_t authlen,
	    const tp_pcrsel *pcrs, uint8_t **blob, size_t *bloblen)
{
	/* keyedHash + no sign/decrypt = a sealed data object.  fixedTPM and
	 * fixedParent: it can never be duplicated off this TPM.  noDA is
	 * deliberately clear so guessing the auth trips DA lockout. */
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT,
			.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
		},
	};
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION nopcr = { 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	struct tp_blob *b = NULL;
	ESYS_TR sess = ESYS_TR_NONE, obj = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret;

	if (blob)
		*blob = NULL;
	if (bloblen)
		*bloblen = 0;
	ret = tp_usable(ctx);
	if (ret < 0)
		goto out;
	if (!secret || !n || n > TP_SECRET_MAX || (!auth && authlen) || authlen > TP_AUTH_MAX ||
	    !blob || !bloblen) {
		ret = tp_fail_msg(ctx, -EINVAL, "invalid argument");
		goto out;
	}
	b = calloc(1, sizeof(*b));
	ret = -ENOMEM;
	if (!b)
		goto out;
	if (pcrs) {
		ret = tp_pcr_alg(pcrs, &b->pcr_alg);
		if (ret < 0) {
			ret = tp_fail_msg(ctx, ret, "bad PCR selection");
			goto out;
		}
		b->has_pcrs = 1;
		b->pcr_mask = pcrs->mask;
		b->pcr_size = tp_pcr_size(b->pcr_alg);
	}
	ret = tp_srk_default(ctx);
	if (ret < 0)
		goto out;
	if (b->has_pcrs) {
		ret = tp_policy_current(ctx, b, &tmpl.publicArea.authPolicy);
		if (ret < 0)
			goto out;
	} else {
		tmpl.publicArea.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
	}
	/* This session authorises use of the SRK and, salted, encrypts
	 * inSensitive (auth + secret) on the way in; outPrivate on the way
	 * out is already TPM-encrypted, ENCRYPT costs nothing. */
	ret = tp_sess_start(ctx, TPM2_SE_HMAC, &sess);
	if (ret < 0)
		goto out;
	ret = tp_sess_attrs(ctx, sess, TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT);
	if (ret < 0)
		goto out;
	authlen = auth ? tp_auth_len(auth, authlen) : 0;
	sens.sensitive.userAuth.size = authlen;
	if (authlen)
		memcpy(sens.sensitive.userAuth.buffer, auth, authlen);
	sens.sensitive.data.size = n;
	memcpy(sens.sensitive.data.buffer, secret, n);
	rc = Esys_Create(ctx->esys, ctx->srk, sess, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
			 &outside, &nopcr, &priv, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	/* Load what we are about to hand out, so a blob that would not load
	 * under this SRK never reaches disk.  Also, ESAPI keeps a copy of
	 * inSensitive (auth + secret) in its context for Create's _Finish;
	 * Load's stored inputs overwrite that copy. */
	rc = Esys_Load(ctx->esys, ctx->srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub,
		       &obj);
	if (rc != TSS2_RC_SUCCESS) {
		obj = ESYS_TR_NONE;
		ret = tp_fail(ctx, rc);
		goto out;
	}
	b->parent = ctx->srk_name;
	b->parent_type = ctx->srk_type;
	b->pub = *pub;
	b->priv = *priv;
	ret = tp_blob_build(b, blob, bloblen);
	if (ret < 0)
		tp_fail_msg(ctx, ret, "cannot encode blob");
out:
	explicit_bzero(&sens, sizeof(sens));
	if (ctx) {
		tp_flush(ctx, &sess);
		tp_flush(ctx, &obj);
	}
	Esys_Free(priv);
	Esys_Free(pub);
	free(b);
	return ret;
}
