/* mech_ed.c - EdDSA (Ed25519, Ed448) and Edwards / Montgomery key pairs.
 *
 * OpenSSL 3.0 signs pure Ed25519 and pure Ed448 only: the dom2 / dom4
 * variants (Ed25519ctx, Ed25519ph, Ed448 with a context, Ed448ph) arrived
 * with the "instance" signature parameters of OpenSSL 3.2.  So CKM_EDDSA
 * takes no parameter (pure), or, for Ed448, CK_EDDSA_PARAMS with phFlag
 * false and an empty context (which is pure Ed448, RFC 8032 5.2); anything
 * else is CKR_MECHANISM_PARAM_INVALID.  (Ed25519 with CK_EDDSA_PARAMS means
 * Ed25519ctx / Ed25519ph even with an empty context: refused too.)
 *
 * Pure EdDSA hashes the whole message twice, so multi-part collects it. */
#include <string.h>
#include "pkey.h"

static CK_RV ed_sign(kt_asym_op *o, const uint8_t *tbs, size_t n, uint8_t *sig, CK_ULONG *siglen)
{
	size_t slen = o->outlen;

	if (EVP_DigestSign(o->mctx, sig, &slen, tbs, n) <= 0) {
		kt_ossl_clear();
		return CKR_FUNCTION_FAILED;
	}
	*siglen = (CK_ULONG)slen;
	return CKR_OK;
}

static CK_RV ed_verify(kt_asym_op *o, const uint8_t *tbs, size_t n, const uint8_t *sig, size_t siglen)
{
	CK_RV rv;

	if (siglen != o->outlen)
		return CKR_SIGNATURE_LEN_RANGE;
	rv = EVP_DigestVerify(o->mctx, sig, siglen, tbs, n) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
	kt_ossl_clear();
	return rv;
}

static const kt_asym_vt ed_vt = { ed_sign, ed_verify, NULL };

static CK_RV eddsa_params(const CK_MECHANISM *p, const kt_curve *c)
{
	const CK_EDDSA_PARAMS *ep;

	if (p == NULL || (p->pParameter == NULL && p->ulParameterLen == 0))
		return CKR_OK;                  /* pure EdDSA */
	ep = kt_mech_param(p, sizeof(*ep));
	if (ep == NULL || (ep->pContextData == NULL && ep->ulContextDataLen != 0) ||
	    ep->ulContextDataLen > 255)
		return CKR_MECHANISM_PARAM_INVALID;
	/* what OpenSSL 3.0 can do: Ed448 with no prehash and no context */
	if (c->bits == 448 && !ep->phFlag && ep->ulContextDataLen == 0)
		return CKR_OK;
	return CKR_MECHANISM_PARAM_INVALID;
}

static CK_RV eddsa_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                        kt_keycache *cache, int kind, kt_crypt **out)
{
	const kt_curve *c;
	kt_asym_op *o = NULL;
	kt_pkey_ref k = { NULL };
	int ok;
	CK_RV rv;

	*out = NULL;
	if (kind != KT_OP_SIGN && kind != KT_OP_VERIFY)
		return CKR_MECHANISM_INVALID;
	rv = kt_curve_of(key, CKK_EC_EDWARDS, &c);
	if (rv == CKR_OK)
		rv = eddsa_params(p, c);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, c->bits);
	if (rv == CKR_OK)
		rv = kt_pkey_cached(key, cache, &k);
	if (rv == CKR_OK)
		rv = kt_asym_op_new(m, kind, k.pkey, &ed_vt, &o);
	if (rv != CKR_OK)
		goto out;
	o->outlen = c->siglen;
	o->c.key_len = c->bits;
	o->buffered = true;
	rv = CKR_HOST_MEMORY;
	o->mctx = EVP_MD_CTX_new();
	if (o->mctx == NULL)
		goto out;
	if (kind == KT_OP_SIGN && k.dsign != NULL)
		ok = EVP_MD_CTX_copy_ex(o->mctx, k.dsign);
	else if (kind == KT_OP_SIGN)
		ok = EVP_DigestSignInit_ex(o->mctx, NULL, NULL, NULL, NULL, k.pkey, NULL);
	else
		ok = EVP_DigestVerifyInit_ex(o->mctx, NULL, NULL, NULL, NULL, k.pkey, NULL);
	rv = CKR_FUNCTION_FAILED;
	if (ok <= 0)
		goto out;
	*out = &o->c;
	o = NULL;
	rv = CKR_OK;
out:
	if (o != NULL)
		o->c.op.free(&o->c.op);
	EVP_PKEY_free(k.pkey);
	if (rv != CKR_OK)
		kt_ossl_clear();
	return rv;
}

const kt_mech_ops kt_eddsa_ops = {
	.init = eddsa_init,
	.out_len = kt_asym_out_len,
	.oneshot = kt_asym_oneshot,
	.update = kt_asym_update,
	.final = kt_asym_final,
	.verify = kt_asym_verify,
	.verify_final = kt_asym_verify_final,
};

/* ---- key pairs ---- */

static CK_RV ecx_generate_pair(const kt_mech *m, CK_KEY_TYPE kt, kt_attrs *pub, kt_attrs *priv)
{
	const kt_attr *params;
	const kt_curve *c;
	EVP_PKEY *k;
	CK_RV rv;

	rv = kt_curve_of(pub, kt, &c);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, c->bits);
	if (rv != CKR_OK)
		return rv;
	k = EVP_PKEY_Q_keygen(NULL, NULL, c->name);
	if (k == NULL) {
		kt_ossl_clear();
		return CKR_FUNCTION_FAILED;
	}
	params = kt_attrs_find(pub, CKA_EC_PARAMS);
	rv = kt_attrs_put(priv, CKA_EC_PARAMS, params->val, params->len);
	if (rv == CKR_OK)
		rv = kt_pkey_ec_to_attrs(k, c, pub, priv);
	if (rv == CKR_OK)
		rv = kt_asym_gen_common(m->type, pub, priv);
	EVP_PKEY_free(k);
	return rv;
}

static CK_RV ed_generate_pair(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *pub, kt_attrs *priv)
{
	(void)p;
	return ecx_generate_pair(m, CKK_EC_EDWARDS, pub, priv);
}

static CK_RV x_generate_pair(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *pub, kt_attrs *priv)
{
	(void)p;
	return ecx_generate_pair(m, CKK_EC_MONTGOMERY, pub, priv);
}

const kt_mech_ops kt_ed_gen_ops = { .generate_pair = ed_generate_pair };
const kt_mech_ops kt_x_gen_ops = { .generate_pair = x_generate_pair };
