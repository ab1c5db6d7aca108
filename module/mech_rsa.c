/* mech_rsa.c - RSA: key-pair generation, PKCS #1 v1.5 / PSS / raw signatures,
 * OAEP / v1.5 / raw encryption, and wrapping secret keys with OAEP or v1.5.
 *
 * Hash-then-sign v1.5 mechanisms hash with the process's fetched EVP_MD and
 * sign DigestInfo || hash with raw v1.5 padding (what CKM_RSA_PKCS does), so
 * the provider never fetches a digest per signature.
 *
 * OpenSSL 3.0 has no implicit rejection for v1.5 decryption (3.2+ does): a
 * padding error is reported, as PKCS #11 requires (CKR_ENCRYPTED_DATA_INVALID),
 * and the caller learns padding validity; prefer OAEP. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include "pkey.h"

#define RSA_MAX_BYTES (16384 / 8)           /* the largest modulus we use */

typedef struct {
	int scheme;
	const kt_hash *hash;                 /* PSS / OAEP hash */
	const kt_hash *mgf;                  /* MGF1 hash */
	CK_ULONG slen;                       /* PSS salt bytes */
	const uint8_t *label;                /* OAEP label */
	size_t label_len;
} rsa_params;

/* Parameters of mechanism m; CKR_MECHANISM_PARAM_INVALID when wrong. */
static CK_RV params_parse(const kt_mech *m, const CK_MECHANISM *p, rsa_params *rp)
{
	const CK_RSA_PKCS_PSS_PARAMS *pss;
	const CK_RSA_PKCS_OAEP_PARAMS *oaep;
	const kt_hash *mh = kt_hash_get(KT_ASYM_HASH(m->arg));

	memset(rp, 0, sizeof(*rp));
	rp->scheme = KT_ASYM_SCHEME(m->arg);
	if (rp->scheme == KT_S_RSA_PSS) {
		pss = kt_mech_param(p, sizeof(*pss));
		if (pss == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
		rp->hash = kt_hash_by_ckm(pss->hashAlg);
		rp->mgf = kt_hash_by_mgf(pss->mgf);
		rp->slen = pss->sLen;
		if (rp->hash == NULL || rp->mgf == NULL || (mh != NULL && mh != rp->hash))
			return CKR_MECHANISM_PARAM_INVALID;
	} else if (rp->scheme == KT_S_RSA_OAEP) {
		oaep = kt_mech_param(p, sizeof(*oaep));
		if (oaep == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
		rp->hash = kt_hash_by_ckm(oaep->hashAlg);
		rp->mgf = kt_hash_by_mgf(oaep->mgf);
		/* source 0 with no label: OpenSC 0.23's pkcs11-tool sends that */
		if (rp->hash == NULL || rp->mgf == NULL ||
		    (oaep->source != CKZ_DATA_SPECIFIED &&
		     (oaep->source != 0 || oaep->pSourceData != NULL || oaep->ulSourceDataLen != 0)) ||
		    (oaep->pSourceData == NULL && oaep->ulSourceDataLen != 0) ||
		    oaep->ulSourceDataLen > 0x10000)
			return CKR_MECHANISM_PARAM_INVALID;
		rp->label = oaep->pSourceData;
		rp->label_len = oaep->ulSourceDataLen;
	}
	if ((rp->hash != NULL && kt_hash_md(rp->hash) == NULL) ||
	    (rp->mgf != NULL && kt_hash_md(rp->mgf) == NULL) || (mh != NULL && kt_hash_md(mh) == NULL))
		return CKR_MECHANISM_PARAM_INVALID;    /* the provider lacks that digest */
	return CKR_OK;
}

/* Largest input of encryption / raw v1.5 signing; 0: none fits. */
static size_t in_max(const rsa_params *rp, size_t k)
{
	size_t over = rp->scheme == KT_S_RSA_OAEP ? 2 * rp->hash->len + 2 :
	              rp->scheme == KT_S_RSA_PKCS ? 11 : 0;

	return k > over ? k - over : 0;
}

/* A context for kind on k with the scheme's padding and parameters. */
static CK_RV ctx_new(EVP_PKEY *k, int kind, const rsa_params *rp, EVP_PKEY_CTX **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	int pad = rp->scheme == KT_S_RSA_PSS ? RSA_PKCS1_PSS_PADDING :
	          rp->scheme == KT_S_RSA_OAEP ? RSA_PKCS1_OAEP_PADDING :
	          rp->scheme == KT_S_RSA_X509 ? RSA_NO_PADDING : RSA_PKCS1_PADDING;
	void *label = NULL;
	int ok;
	CK_RV rv = CKR_HOST_MEMORY;

	*out = NULL;
	if (ctx == NULL)
		goto out;
	switch (kind) {
	case KT_OP_SIGN: ok = EVP_PKEY_sign_init(ctx); break;
	case KT_OP_VERIFY: ok = EVP_PKEY_verify_init(ctx); break;
	case KT_OP_ENCRYPT: ok = EVP_PKEY_encrypt_init(ctx); break;
	default: ok = EVP_PKEY_decrypt_init(ctx); break;
	}
	rv = CKR_FUNCTION_FAILED;
	if (ok <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, pad) <= 0)
		goto out;
	if (rp->scheme == KT_S_RSA_PSS &&
	    (EVP_PKEY_CTX_set_signature_md(ctx, kt_hash_md(rp->hash)) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, kt_hash_md(rp->mgf)) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)rp->slen) <= 0))
		goto out;
	if (rp->scheme == KT_S_RSA_OAEP) {
		if (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, kt_hash_md(rp->hash)) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, kt_hash_md(rp->mgf)) <= 0)
			goto out;
		if (rp->label_len != 0) {
			rv = CKR_HOST_MEMORY;
			label = OPENSSL_memdup(rp->label, rp->label_len);
			if (label == NULL)
				goto out;
			rv = CKR_FUNCTION_FAILED;
			if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, (int)rp->label_len) <= 0)
				goto out;
			label = NULL;       /* the context's now */
		}
	}
	*out = ctx;
	ctx = NULL;
	rv = CKR_OK;
out:
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	kt_ossl_clear();
	return rv;
}

/* ---- sign / verify / encrypt / decrypt ---- */

/* What the v1.5 / raw primitive gets: DigestInfo || hash, or the input
 * left-padded with zeros to k bytes (raw RSA). */
static const uint8_t *tbs_form(const kt_asym_op *o, const uint8_t *in, size_t n, uint8_t *buf,
                               size_t *blen)
{
	int scheme = KT_ASYM_SCHEME(o->c.mech->arg);

	if (scheme == KT_S_RSA_PKCS && o->hash != NULL) {
		memcpy(buf, o->hash->dinfo, o->hash->dinfo_len);
		memcpy(buf + o->hash->dinfo_len, in, n);
		*blen = o->hash->dinfo_len + n;
		return buf;
	}
	if (scheme == KT_S_RSA_X509) {
		memset(buf, 0, o->outlen - n);
		memcpy(buf + o->outlen - n, in, n);
		*blen = o->outlen;
		return buf;
	}
	*blen = n;
	return in;
}

static CK_RV rsa_sign(kt_asym_op *o, const uint8_t *in, size_t n, uint8_t *sig, CK_ULONG *siglen)
{
	uint8_t buf[RSA_MAX_BYTES];
	size_t blen, slen = o->outlen;
	const uint8_t *tbs = tbs_form(o, in, n, buf, &blen);
	CK_RV rv = CKR_OK;

	if (EVP_PKEY_sign(o->pctx, sig, &slen, tbs, blen) <= 0) {
		/* raw RSA: the input is not below the modulus */
		rv = KT_ASYM_SCHEME(o->c.mech->arg) == KT_S_RSA_X509 ? CKR_DATA_INVALID : CKR_FUNCTION_FAILED;
		kt_ossl_clear();
	} else {
		*siglen = (CK_ULONG)slen;
	}
	OPENSSL_cleanse(buf, blen);
	return rv;
}

static CK_RV rsa_verify(kt_asym_op *o, const uint8_t *in, size_t n, const uint8_t *sig, size_t siglen)
{
	uint8_t buf[RSA_MAX_BYTES];
	size_t blen;
	const uint8_t *tbs;
	CK_RV rv;

	if (siglen != o->outlen)
		return CKR_SIGNATURE_LEN_RANGE;
	tbs = tbs_form(o, in, n, buf, &blen);
	rv = EVP_PKEY_verify(o->pctx, sig, siglen, tbs, blen) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
	kt_ossl_clear();
	return rv;
}

static CK_RV rsa_crypt(kt_asym_op *o, const uint8_t *in, size_t n, uint8_t *out, CK_ULONG *outlen)
{
	uint8_t buf[RSA_MAX_BYTES];
	size_t blen = 0, olen = o->outlen;
	const uint8_t *src = in;
	int ok;
	CK_RV rv;

	if (o->c.kind == KT_OP_ENCRYPT) {
		if (n > o->in_max)
			return CKR_DATA_LEN_RANGE;
		src = tbs_form(o, in, n, buf, &blen);
		ok = EVP_PKEY_encrypt(o->pctx, out, &olen, src, blen);
		rv = ok > 0 ? CKR_OK : KT_ASYM_SCHEME(o->c.mech->arg) == KT_S_RSA_X509 ?
		     CKR_DATA_INVALID : CKR_FUNCTION_FAILED;
	} else {
		if (n != o->outlen)
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		ok = EVP_PKEY_decrypt(o->pctx, out, &olen, in, n);
		rv = ok > 0 ? CKR_OK : CKR_ENCRYPTED_DATA_INVALID;
	}
	if (rv == CKR_OK)
		*outlen = (CK_ULONG)olen;
	if (blen != 0)
		OPENSSL_cleanse(buf, blen);
	kt_ossl_clear();
	return rv;
}

static const kt_asym_vt rsa_vt = { rsa_sign, rsa_verify, rsa_crypt };

static CK_RV rsa_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                      kt_keycache *cache, int kind, kt_crypt **out)
{
	kt_asym_op *o = NULL;
	kt_pkey_ref ref = { NULL };
	EVP_PKEY *k = NULL;
	rsa_params rp;
	size_t kbytes, em;
	CK_RV rv;

	*out = NULL;
	rv = params_parse(m, p, &rp);
	if (rv != CKR_OK)
		return rv;
	rv = kt_pkey_cached(key, cache, &ref);
	k = ref.pkey;
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, (CK_ULONG)EVP_PKEY_get_bits(k));
	if (rv == CKR_OK)
		rv = kt_asym_op_new(m, kind, k, &rsa_vt, &o);
	if (rv != CKR_OK)
		goto out;
	kbytes = (size_t)EVP_PKEY_get_size(k);
	o->outlen = kbytes;
	o->in_max = rp.scheme == KT_S_RSA_PSS ? 0 : in_max(&rp, kbytes);
	rv = CKR_MECHANISM_PARAM_INVALID;
	if (kbytes > RSA_MAX_BYTES)
		goto out;
	if (rp.scheme == KT_S_RSA_PSS) {
		/* RFC 8017 9.1.1: emLen >= hLen + sLen + 2 */
		em = ((size_t)EVP_PKEY_get_bits(k) - 1 + 7) / 8;
		if (rp.slen > em || rp.hash->len + rp.slen + 2 > em)
			goto out;
		if (o->hash == NULL)
			o->in_exact = rp.hash->len;  /* CKM_RSA_PKCS_PSS signs a digest */
	}
	if (rp.scheme == KT_S_RSA_OAEP && o->in_max == 0) {
		rv = CKR_KEY_SIZE_RANGE;        /* the hash does not fit this modulus */
		goto out;
	}
	rv = ctx_new(k, kind, &rp, &o->pctx);
	if (rv != CKR_OK)
		goto out;
	*out = &o->c;
	o = NULL;
out:
	if (o != NULL)
		o->c.op.free(&o->c.op);
	EVP_PKEY_free(k);
	return rv;
}

const kt_mech_ops kt_rsa_hash_ops = {
	.init = rsa_init,
	.out_len = kt_asym_out_len,
	.oneshot = kt_asym_oneshot,
	.update = kt_asym_update,
	.final = kt_asym_final,
	.verify = kt_asym_verify,
	.verify_final = kt_asym_verify_final,
};

/* ---- wrap / unwrap a secret key's CKA_VALUE ---- */

static CK_RV rsa_wrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *wkey,
                      const kt_attrs *target, CK_BYTE *out, CK_ULONG *outlen)
{
	const kt_attr *v = kt_attrs_find(target, CKA_VALUE);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	rsa_params rp;
	size_t kbytes, olen;
	CK_RV rv;

	rv = params_parse(m, p, &rp);
	if (rv != CKR_OK)
		return rv;
	if (rp.scheme != KT_S_RSA_OAEP && rp.scheme != KT_S_RSA_PKCS)
		return CKR_MECHANISM_INVALID;
	if (kt_attrs_ulong(target, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_SECRET_KEY ||
	    v == NULL || v->len == 0)
		return CKR_KEY_NOT_WRAPPABLE;
	rv = kt_pkey_from_attrs(wkey, &k);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, (CK_ULONG)EVP_PKEY_get_bits(k));
	if (rv != CKR_OK)
		goto out;
	kbytes = (size_t)EVP_PKEY_get_size(k);
	if (out == NULL || *outlen < kbytes) {
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		*outlen = (CK_ULONG)kbytes;
		goto out;
	}
	rv = CKR_KEY_SIZE_RANGE;
	if (v->len > in_max(&rp, kbytes))
		goto out;
	rv = ctx_new(k, KT_OP_ENCRYPT, &rp, &ctx);
	if (rv != CKR_OK)
		goto out;
	olen = kbytes;
	rv = CKR_FUNCTION_FAILED;
	if (EVP_PKEY_encrypt(ctx, out, &olen, v->val, v->len) <= 0)
		goto out;
	*outlen = (CK_ULONG)olen;
	rv = CKR_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	kt_ossl_clear();
	return rv;
}

static CK_RV rsa_unwrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *ukey,
                        const CK_BYTE *in, CK_ULONG n, kt_attrs *key)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	uint8_t buf[RSA_MAX_BYTES];
	size_t kbytes = 0, olen = 0;
	rsa_params rp;
	CK_RV rv;

	rv = params_parse(m, p, &rp);
	if (rv != CKR_OK)
		return rv;
	if (rp.scheme != KT_S_RSA_OAEP && rp.scheme != KT_S_RSA_PKCS)
		return CKR_MECHANISM_INVALID;
	if (kt_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_SECRET_KEY)
		return CKR_TEMPLATE_INCONSISTENT;    /* a private key does not fit in one block */
	rv = kt_pkey_from_attrs(ukey, &k);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, (CK_ULONG)EVP_PKEY_get_bits(k));
	if (rv != CKR_OK)
		goto out;
	kbytes = (size_t)EVP_PKEY_get_size(k);
	rv = CKR_WRAPPED_KEY_LEN_RANGE;
	if (in == NULL || n != kbytes || kbytes > sizeof(buf))
		goto out;
	rv = ctx_new(k, KT_OP_DECRYPT, &rp, &ctx);
	if (rv != CKR_OK)
		goto out;
	olen = kbytes;
	rv = CKR_WRAPPED_KEY_INVALID;
	if (EVP_PKEY_decrypt(ctx, buf, &olen, in, n) <= 0 || olen == 0)
		goto out;
	rv = CKR_TEMPLATE_INCONSISTENT;
	if (kt_attrs_ulong(key, CKA_VALUE_LEN, olen) != olen)
		goto out;
	rv = kt_attrs_put(key, CKA_VALUE, buf, (CK_ULONG)olen);
	if (rv == CKR_OK)
		rv = kt_attrs_put_ulong(key, CKA_VALUE_LEN, (CK_ULONG)olen);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	kt_ossl_clear();
	return rv;
}

const kt_mech_ops kt_rsa_ops = {
	.init = rsa_init,
	.out_len = kt_asym_out_len,
	.oneshot = kt_asym_oneshot,
	.verify = kt_asym_verify,
	.wrap = rsa_wrap,
	.unwrap = rsa_unwrap,
};

/* ---- key-pair generation ---- */

#define RSA_E_MAX_BITS 256                   /* SP 800-56B: 2^16 < e < 2^256 */

static CK_RV rsa_generate_pair(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *pub, kt_attrs *priv)
{
	const kt_attr *ea = kt_attrs_find(pub, CKA_PUBLIC_EXPONENT);
	const kt_attr *ba = kt_attrs_find(pub, CKA_MODULUS_BITS);
	CK_ULONG bits;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	BIGNUM *e = NULL;
	CK_RV rv;

	(void)p;
	if (ba == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	bits = kt_attrs_ulong(pub, CKA_MODULUS_BITS, 0);
	rv = kt_asym_check_bits(m, bits);
	if (rv != CKR_OK)
		return rv;
	rv = CKR_HOST_MEMORY;
	e = BN_new();
	if (e == NULL)
		goto out;
	if (ea == NULL || ea->len == 0) {
		if (!BN_set_word(e, RSA_F4))
			goto out;
	} else if (BN_bin2bn(ea->val, (int)ea->len, e) == NULL) {
		goto out;
	}
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (!BN_is_odd(e) || BN_num_bits(e) > RSA_E_MAX_BITS || BN_cmp(e, BN_value_one()) <= 0 ||
	    (BN_num_bits(e) <= 17 && BN_get_word(e) < RSA_F4))
		goto out;
	rv = CKR_FUNCTION_FAILED;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, kt_ossl_keytype("RSA"), NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, &k) <= 0)
		goto out;
	rv = kt_pkey_rsa_to_attrs(k, pub, priv);
	if (rv == CKR_OK)
		rv = kt_asym_gen_common(m->type, pub, priv);
out:
	BN_free(e);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	kt_ossl_clear();
	return rv;
}

const kt_mech_ops kt_rsa_gen_ops = { .generate_pair = rsa_generate_pair };
