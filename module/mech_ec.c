/* mech_ec.c - the curves (CKA_EC_PARAMS), ECDSA on P-256 / P-384 / P-521,
 * EC key-pair generation, and CKM_ECDH1_DERIVE (P-curves and X25519 / X448).
 *
 * PKCS #11 ECDSA signatures are r || s, each left-padded to the size of the
 * group order (curr 2.3.1); OpenSSL speaks DER, so sign and verify convert. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include "pkey.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- curves ---- */

static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const uint8_t oid_x25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x6e };
static const uint8_t oid_x448[] = { 0x06, 0x03, 0x2b, 0x65, 0x6f };
static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t oid_ed448[] = { 0x06, 0x03, 0x2b, 0x65, 0x71 };

#define C(name, kt, oid, pstr, alias, bits, flen, plen, siglen) \
	{ name, kt, oid, sizeof(oid), pstr, alias, bits, flen, plen, siglen }
static const kt_curve curves[] = {
	C("prime256v1", CKK_EC, oid_p256, "prime256v1", "secp256r1", 256, 32, 65, 64),
	C("secp384r1", CKK_EC, oid_p384, "secp384r1", NULL, 384, 48, 97, 96),
	C("secp521r1", CKK_EC, oid_p521, "secp521r1", NULL, 521, 66, 133, 132),
	C("ED25519", CKK_EC_EDWARDS, oid_ed25519, "edwards25519", NULL, 255, 32, 32, 64),
	C("ED448", CKK_EC_EDWARDS, oid_ed448, "edwards448", NULL, 448, 57, 57, 114),
	C("X25519", CKK_EC_MONTGOMERY, oid_x25519, "curve25519", NULL, 255, 32, 32, 0),
	C("X448", CKK_EC_MONTGOMERY, oid_x448, "curve448", NULL, 448, 56, 56, 0),
};

static bool pstr_is(const uint8_t *s, size_t n, const char *name)
{
	return name != NULL && strlen(name) == n && memcmp(s, name, n) == 0;
}

CK_RV kt_curve_of(const kt_attrs *a, CK_KEY_TYPE kt, const kt_curve **out)
{
	const kt_attr *v = kt_attrs_find(a, CKA_EC_PARAMS);
	const kt_curve *c = NULL;
	size_t i;

	*out = NULL;
	if (v == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	/* short-form DER only: every value we know is shorter than 128 bytes */
	if (v->len < 2 || v->val[1] >= 0x80 || v->val[1] != v->len - 2)
		return v->len >= 2 && v->val[0] == 0x30 ? CKR_CURVE_NOT_SUPPORTED : CKR_ATTRIBUTE_VALUE_INVALID;
	switch (v->val[0]) {
	case 0x06:                           /* namedCurve / id-Ed25519 ... */
		for (i = 0; i < N(curves) && c == NULL; i++)
			if (curves[i].oid_len == v->len && memcmp(curves[i].oid, v->val, v->len) == 0)
				c = &curves[i];
		break;
	case 0x13:                           /* PrintableString curve name */
		for (i = 0; i < N(curves) && c == NULL; i++)
			if (pstr_is(v->val + 2, v->len - 2, curves[i].pstr) ||
			    pstr_is(v->val + 2, v->len - 2, curves[i].alias))
				c = &curves[i];
		break;
	case 0x30:                           /* explicit ECParameters */
		break;
	default:
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (c == NULL || c->kt != kt)
		return CKR_CURVE_NOT_SUPPORTED;
	*out = c;
	return CKR_OK;
}

CK_RV kt_curve_by_name(const char *name, CK_KEY_TYPE kt, const kt_curve **out)
{
	int nid = OBJ_sn2nid(name);
	size_t i;

	*out = NULL;
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	for (i = 0; nid != NID_undef && i < N(curves); i++) {
		if (OBJ_sn2nid(curves[i].name) == nid && curves[i].kt == kt) {
			*out = &curves[i];
			return CKR_OK;
		}
	}
	return CKR_CURVE_NOT_SUPPORTED;
}

/* ---- ECDSA ---- */

/* DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }, as OpenSSL makes
 * it) -> r || s, each left-padded to half bytes.  By hand: d2i_ECDSA_SIG and
 * two BN_bn2binpad cost more than 1% of a P-256 signature. */
static int der_to_rs(const uint8_t *d, size_t n, uint8_t *out, size_t half)
{
	size_t p, end, len, i;
	int k;

	if (n < 8 || d[0] != 0x30)
		return -1;
	if (d[1] < 0x80) {
		len = d[1];
		p = 2;
	} else if (d[1] == 0x81) {
		len = d[2];
		p = 3;
	} else {
		return -1;
	}
	if (p + len != n)
		return -1;
	for (k = 0; k < 2; k++) {
		if (p + 2 > n || d[p] != 0x02 || d[p + 1] >= 0x80)
			return -1;
		len = d[p + 1];
		p += 2;
		end = p + len;
		if (len == 0 || end > n)
			return -1;
		while (p < end && d[p] == 0)
			p++;
		if (end - p > half)
			return -1;
		i = half - (end - p);
		memset(out + k * half, 0, i);
		memcpy(out + k * half + i, d + p, end - p);
		p = end;
	}
	return p == n ? 0 : -1;
}

/* r || s -> DER; out has room for 2 * half + 9 bytes.  Returns the length. */
static size_t rs_to_der(const uint8_t *rs, size_t half, uint8_t *out)
{
	uint8_t body[2 * (66 + 3)];
	size_t bl = 0, i, l;
	int k;

	for (k = 0; k < 2; k++) {
		const uint8_t *v = rs + k * half;

		for (i = 0; i + 1 < half && v[i] == 0; i++)
			;
		l = half - i;
		body[bl++] = 0x02;
		body[bl++] = (uint8_t)(l + (v[i] >> 7));
		if (v[i] & 0x80)
			body[bl++] = 0x00;
		memcpy(body + bl, v + i, l);
		bl += l;
	}
	out[0] = 0x30;
	if (bl < 0x80) {
		out[1] = (uint8_t)bl;
		memcpy(out + 2, body, bl);
		return bl + 2;
	}
	out[1] = 0x81;
	out[2] = (uint8_t)bl;
	memcpy(out + 3, body, bl);
	return bl + 3;
}

static CK_RV ecdsa_sign(kt_asym_op *o, const uint8_t *tbs, size_t n, uint8_t *sig, CK_ULONG *siglen)
{
	uint8_t der[2 * 66 + 9];
	size_t dlen = sizeof(der);

	if (EVP_PKEY_sign(o->pctx, der, &dlen, tbs, n) <= 0 ||
	    der_to_rs(der, dlen, sig, o->outlen / 2) != 0) {
		kt_ossl_clear();
		return CKR_FUNCTION_FAILED;
	}
	*siglen = (CK_ULONG)o->outlen;
	return CKR_OK;
}

static CK_RV ecdsa_verify(kt_asym_op *o, const uint8_t *tbs, size_t n, const uint8_t *sig, size_t siglen)
{
	uint8_t der[2 * 66 + 9];
	size_t dlen;
	CK_RV rv;

	if (siglen != o->outlen)
		return CKR_SIGNATURE_LEN_RANGE;
	dlen = rs_to_der(sig, o->outlen / 2, der);
	rv = EVP_PKEY_verify(o->pctx, der, dlen, tbs, n) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
	kt_ossl_clear();
	return rv;
}

static const kt_asym_vt ecdsa_vt = { ecdsa_sign, ecdsa_verify, NULL };

static CK_RV ecdsa_init(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
                        kt_keycache *cache, int kind, kt_crypt **out)
{
	const kt_curve *c;
	kt_asym_op *o = NULL;
	kt_pkey_ref k = { NULL };
	CK_RV rv;

	(void)p;                             /* no parameter */
	*out = NULL;
	if (kind != KT_OP_SIGN && kind != KT_OP_VERIFY)
		return CKR_MECHANISM_INVALID;
	rv = kt_curve_of(key, CKK_EC, &c);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, c->bits);
	if (rv == CKR_OK)
		rv = kt_pkey_cached(key, cache, &k);
	if (rv == CKR_OK)
		rv = kt_asym_op_new(m, kind, k.pkey, &ecdsa_vt, &o);
	if (rv != CKR_OK)
		goto out;
	o->outlen = c->siglen;
	o->c.key_len = c->bits;
	rv = CKR_HOST_MEMORY;
	if (kind == KT_OP_SIGN && k.sign != NULL) {
		o->pctx = EVP_PKEY_CTX_dup(k.sign);
		if (o->pctx == NULL)
			goto out;
	} else {
		o->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k.pkey, NULL);
		if (o->pctx == NULL)
			goto out;
		rv = CKR_FUNCTION_FAILED;
		if ((kind == KT_OP_SIGN ? EVP_PKEY_sign_init(o->pctx) : EVP_PKEY_verify_init(o->pctx)) <= 0)
			goto out;
	}
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

const kt_mech_ops kt_ecdsa_ops = {
	.init = ecdsa_init,
	.out_len = kt_asym_out_len,
	.oneshot = kt_asym_oneshot,
	.verify = kt_asym_verify,
};

const kt_mech_ops kt_ecdsa_hash_ops = {
	.init = ecdsa_init,
	.out_len = kt_asym_out_len,
	.oneshot = kt_asym_oneshot,
	.update = kt_asym_update,
	.final = kt_asym_final,
	.verify = kt_asym_verify,
	.verify_final = kt_asym_verify_final,
};

/* ---- key-pair generation ---- */

/* EVP_EC_gen(name) without the legacy "EC" lookup (see kt_ossl_keytype) */
static EVP_PKEY *ec_gen(const char *curve)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, kt_ossl_keytype("EC"), NULL);
	EVP_PKEY *k = NULL;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_group_name(ctx, curve) <= 0 || EVP_PKEY_generate(ctx, &k) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static CK_RV ec_generate_pair(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *pub, kt_attrs *priv)
{
	const kt_attr *params;
	const kt_curve *c;
	EVP_PKEY *k = NULL;
	CK_RV rv;

	(void)p;
	rv = kt_curve_of(pub, CKK_EC, &c);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, c->bits);
	if (rv != CKR_OK)
		return rv;
	k = ec_gen(c->name);
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

const kt_mech_ops kt_ec_gen_ops = { .generate_pair = ec_generate_pair };

/* ---- ECDH1 ---- */

static CK_RV shared_secret(const kt_attrs *base, const kt_curve *c, const CK_ECDH1_DERIVE_PARAMS *pp,
                           uint8_t *z, size_t *zlen)
{
	EVP_PKEY *self = NULL, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	CK_RV rv;

	rv = kt_pkey_peer(c, pp->pPublicData, pp->ulPublicDataLen, &peer);
	if (rv == CKR_OK)
		rv = kt_pkey_from_attrs(base, &self);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, self, NULL);
	if (ctx == NULL)
		goto out;
	rv = CKR_FUNCTION_FAILED;
	if (EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	rv = CKR_MECHANISM_PARAM_INVALID;    /* peer not a valid point of this curve */
	if (EVP_PKEY_derive_set_peer(ctx, peer) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, z, zlen) <= 0)
		goto out;                    /* X25519 / X448: an all-zero result */
	rv = CKR_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(self);
	kt_ossl_clear();
	return rv;
}

/* ANSI X9.63 KDF (SEC 1 3.6.1), as CKD_SHA*_KDF specifies. */
static CK_RV x963(const kt_hash *h, const uint8_t *z, size_t zlen, const CK_ECDH1_DERIVE_PARAMS *pp,
                  uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "X963KDF", NULL);
	EVP_KDF_CTX *kc = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM prm[4], *q = prm;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (kc == NULL)
		goto out;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)h->name, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen);
	if (pp->ulSharedDataLen != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, pp->pSharedData,
		                                         pp->ulSharedDataLen);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kc, out, outlen, prm) > 0)
		rv = CKR_OK;
out:
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	kt_ossl_clear();
	return rv;
}

/* The new key's length: CKA_VALUE_LEN, or what its type fixes, or all of z. */
static CK_RV target_len(const kt_attrs *key, size_t zlen, bool kdf, size_t *len)
{
	CK_KEY_TYPE kt = kt_attrs_ulong(key, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	const kt_attr *vl = kt_attrs_find(key, CKA_VALUE_LEN);
	CK_ULONG v;

	if (kt_attrs_ulong(key, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_SECRET_KEY)
		return CKR_TEMPLATE_INCONSISTENT;
	if (vl == NULL && kt == CKK_AES)
		return CKR_TEMPLATE_INCOMPLETE;
	v = kt_attrs_ulong(key, CKA_VALUE_LEN, zlen);
	if (v == 0 || (kt == CKK_AES && v != 16 && v != 24 && v != 32))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!kdf && v > zlen)
		return CKR_TEMPLATE_INCONSISTENT;    /* more than the shared secret holds */
	if (v > 1024)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	*len = v;
	return CKR_OK;
}

static CK_RV ecdh_derive(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *base, kt_attrs *key)
{
	const CK_ECDH1_DERIVE_PARAMS *pp = kt_mech_param(p, sizeof(*pp));
	CK_KEY_TYPE kt = kt_attrs_ulong(base, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	const kt_hash *h = NULL;
	const kt_curve *c;
	uint8_t z[66], *val = NULL;
	size_t zlen = sizeof(z), len = 0;
	CK_RV rv;

	if (kt_attrs_ulong(base, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_PRIVATE_KEY ||
	    (kt != CKK_EC && kt != CKK_EC_MONTGOMERY))
		return CKR_KEY_TYPE_INCONSISTENT;
	if (pp == NULL || pp->pPublicData == NULL || pp->ulPublicDataLen == 0 ||
	    (pp->pSharedData == NULL && pp->ulSharedDataLen != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	if (pp->kdf != CKD_NULL) {
		h = kt_hash_by_kdf(pp->kdf);
		if (h == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
	} else if (pp->ulSharedDataLen != 0) {
		return CKR_MECHANISM_PARAM_INVALID;  /* curr 2.3.x: CKD_NULL takes no shared data */
	}
	rv = kt_curve_of(base, kt, &c);
	if (rv == CKR_OK)
		rv = kt_asym_check_bits(m, c->bits);
	if (rv != CKR_OK)
		return rv;
	rv = shared_secret(base, c, pp, z, &zlen);
	if (rv == CKR_OK)
		rv = target_len(key, zlen, h != NULL, &len);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	val = OPENSSL_malloc(len);
	if (val == NULL)
		goto out;
	if (h != NULL) {
		rv = x963(h, z, zlen, pp, val, len);
	} else {
		memcpy(val, z, len);            /* CKD_NULL: the leftmost bytes */
		rv = CKR_OK;
	}
	if (rv == CKR_OK)
		rv = kt_attrs_put(key, CKA_VALUE, val, (CK_ULONG)len);
	if (rv == CKR_OK)
		rv = kt_attrs_put_ulong(key, CKA_VALUE_LEN, (CK_ULONG)len);
out:
	if (val != NULL)
		OPENSSL_clear_free(val, len);
	OPENSSL_cleanse(z, sizeof(z));
	return rv;
}

const kt_mech_ops kt_ecdh_ops = { .derive = ecdh_derive };
