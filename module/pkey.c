/* pkey.c - kt_attrs <-> EVP_PKEY for RSA, EC, Edwards and Montgomery keys,
 * the DER bits PKCS #11 wraps around points, the per-object key cache, and
 * PKCS #8 for the symmetric wrapping mechanisms.
 *
 * Private numbers travel as BN_secure_new() BIGNUMs (the param builder then
 * puts them in the cleansed part of the OSSL_PARAM block) and through byte
 * buffers that are OPENSSL_cleanse'd before they are freed. */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include "pkey.h"

#define RSA_BITS_MIN 512
#define RSA_BITS_MAX 16384

/* ---- DER ---- */

CK_RV kt_der_octet_wrap(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen)
{
	size_t hdr = n < 0x80 ? 2 : n < 0x100 ? 3 : 4;
	uint8_t *d;

	*out = NULL;
	if (n > 0xffff)
		return CKR_GENERAL_ERROR;
	d = OPENSSL_malloc(hdr + n);
	if (d == NULL)
		return CKR_HOST_MEMORY;
	d[0] = 0x04;
	if (hdr == 2) {
		d[1] = (uint8_t)n;
	} else if (hdr == 3) {
		d[1] = 0x81;
		d[2] = (uint8_t)n;
	} else {
		d[1] = 0x82;
		d[2] = (uint8_t)(n >> 8);
		d[3] = (uint8_t)n;
	}
	memcpy(d + hdr, p, n);
	*out = d;
	*outlen = hdr + n;
	return CKR_OK;
}

int kt_der_octet_body(const uint8_t *p, size_t n, const uint8_t **body, size_t *blen)
{
	size_t len, hdr;

	if (p == NULL || n < 2 || p[0] != 0x04)
		return -1;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else if (p[1] == 0x81 && n >= 3 && p[2] >= 0x80) {
		len = p[2];
		hdr = 3;
	} else if (p[1] == 0x82 && n >= 4 && p[2] != 0) {
		len = ((size_t)p[2] << 8) | p[3];
		hdr = 4;
	} else {
		return -1;
	}
	if (len != n - hdr)
		return -1;
	*body = p + hdr;
	*blen = len;
	return 0;
}

static bool point_len_ok(const kt_curve *c, const uint8_t *p, size_t n)
{
	if (c->kt != CKK_EC)
		return n == c->plen;
	if (n == c->plen)
		return p[0] == 0x04;
	if (n == c->flen + 1)
		return p[0] == 0x02 || p[0] == 0x03;
	return false;
}

/* Raw when the length fits a raw value (the two forms never share a length
 * on one curve), else a DER OCTET STRING around one. */
int kt_ec_point_raw(const kt_curve *c, const uint8_t *p, size_t n, const uint8_t **raw, size_t *rlen)
{
	const uint8_t *b;
	size_t bl;

	if (p == NULL || n == 0)
		return -1;
	if (point_len_ok(c, p, n)) {
		*raw = p;
		*rlen = n;
		return 0;
	}
	if (kt_der_octet_body(p, n, &b, &bl) == 0 && bl != 0 && point_len_ok(c, b, bl)) {
		*raw = b;
		*rlen = bl;
		return 0;
	}
	return -1;
}

/* ---- building keys ---- */

/* The key type as OpenSSL 3.0 should look it up: "RSA" and "EC" are also
 * legacy NIDs, and for those EVP_PKEY_CTX_new_from_name() (and
 * EVP_PKEY_Q_keygen) hand the context to an ENGINE the application set as
 * default for that type (`openssl ... -engine pkcs11`, stunnel, curl
 * --engine): such a context cannot import our keys (fromdata_init: "operation
 * not supported for this keytype").  The OID names reach only the provider's
 * key manager. */
const char *kt_ossl_keytype(const char *type)
{
	if (strcmp(type, "RSA") == 0)
		return "1.2.840.113549.1.1.1";
	if (strcmp(type, "EC") == 0)
		return "1.2.840.10045.2.1";
	return type;
}

static CK_RV fromdata(const char *type, int selection, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	CK_RV rv = CKR_HOST_MEMORY;

	*out = NULL;
	if (params == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, kt_ossl_keytype(type), NULL);
	if (ctx == NULL)
		goto out;
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, out, selection, params) <= 0)
		goto out;
	rv = CKR_OK;
out:
	OSSL_PARAM_free(params);             /* cleanses the secure (private) part */
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

/* attribute t as a BIGNUM; absent: CKR_TEMPLATE_INCOMPLETE */
static CK_RV bn_of(const kt_attrs *a, CK_ATTRIBUTE_TYPE t, bool secret, BIGNUM **out)
{
	const kt_attr *v = kt_attrs_find(a, t);
	BIGNUM *bn;

	*out = NULL;
	if (v == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (v->len == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	bn = secret ? BN_secure_new() : BN_new();
	if (bn == NULL)
		return CKR_HOST_MEMORY;
	if (secret)
		BN_set_flags(bn, BN_FLG_CONSTTIME);
	if (BN_bin2bn(v->val, (int)v->len, bn) == NULL) {
		BN_clear_free(bn);
		return CKR_HOST_MEMORY;
	}
	*out = bn;
	return CKR_OK;
}

static const CK_ATTRIBUTE_TYPE rsa_crt_attrs[] = {
	CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
};
static const char *const rsa_crt_names[] = {
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};
#define NCRT (sizeof(rsa_crt_attrs) / sizeof(rsa_crt_attrs[0]))

static CK_RV rsa_from_attrs(const kt_attrs *a, bool priv, EVP_PKEY **out)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *crt[NCRT] = { NULL };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int bits, i, have = 0;
	CK_RV rv = CKR_HOST_MEMORY;

	*out = NULL;
	if (bld == NULL)
		goto out;
	rv = bn_of(a, CKA_MODULUS, false, &n);
	if (rv == CKR_OK)
		rv = bn_of(a, CKA_PUBLIC_EXPONENT, false, &e);
	if (rv == CKR_OK && priv)
		rv = bn_of(a, CKA_PRIVATE_EXPONENT, true, &d);
	for (i = 0; rv == CKR_OK && priv && i < (int)NCRT; i++) {
		if (kt_attrs_find(a, rsa_crt_attrs[i]) == NULL)
			continue;
		rv = bn_of(a, rsa_crt_attrs[i], true, &crt[i]);
		have++;
	}
	if (rv != CKR_OK)
		goto out;
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	bits = BN_num_bits(n);
	if (bits < RSA_BITS_MIN || bits > RSA_BITS_MAX || !BN_is_odd(n) || !BN_is_odd(e) ||
	    BN_is_one(e) || BN_cmp(e, n) >= 0 || (d != NULL && (BN_is_zero(d) || BN_cmp(d, n) >= 0)))
		goto out;
	if (have != 0 && have != (int)NCRT) {
		rv = CKR_TEMPLATE_INCONSISTENT;  /* attr_rules.c: the CRT set is all or none */
		goto out;
	}
	rv = CKR_HOST_MEMORY;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (d != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d)))
		goto out;
	for (i = 0; have != 0 && i < (int)NCRT; i++)
		if (!OSSL_PARAM_BLD_push_BN(bld, rsa_crt_names[i], crt[i]))
			goto out;
	rv = fromdata("RSA", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld, out);
out:
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	for (i = 0; i < (int)NCRT; i++)
		BN_clear_free(crt[i]);
	OSSL_PARAM_BLD_free(bld);
	return rv;
}

static EC_GROUP *curve_group(const kt_curve *c)
{
	return EC_GROUP_new_by_curve_name(OBJ_sn2nid(c->name));
}

CK_RV kt_pkey_ec_pub(const kt_curve *c, const uint8_t *pt, size_t n, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EC_GROUP *g = curve_group(c);
	EC_POINT *p = NULL;
	CK_RV rv = CKR_HOST_MEMORY;

	*out = NULL;
	if (bld == NULL || g == NULL || (p = EC_POINT_new(g)) == NULL)
		goto out;
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	/* on the curve and not the point at infinity (oct2point checks the curve) */
	if (!point_len_ok(c, pt, n) || !EC_POINT_oct2point(g, p, pt, n, NULL) ||
	    EC_POINT_is_at_infinity(g, p))
		goto out;
	rv = CKR_HOST_MEMORY;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, n))
		goto out;
	rv = fromdata("EC", EVP_PKEY_PUBLIC_KEY, bld, out);
out:
	EC_POINT_free(p);
	EC_GROUP_free(g);
	OSSL_PARAM_BLD_free(bld);
	return rv;
}

/* d in [1, order-1]; the public point is computed (SPKI, pairwise use). */
CK_RV kt_pkey_ec_priv(const kt_curve *c, const uint8_t *dv, size_t n, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EC_GROUP *g = curve_group(c);
	EC_POINT *p = NULL;
	BIGNUM *d = BN_secure_new();
	uint8_t pub[1 + 2 * 66];
	size_t plen;
	CK_RV rv = CKR_HOST_MEMORY;

	*out = NULL;
	if (bld == NULL || g == NULL || d == NULL || (p = EC_POINT_new(g)) == NULL)
		goto out;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (BN_bin2bn(dv, (int)n, d) == NULL)
		goto out;
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (n == 0 || BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	rv = CKR_FUNCTION_FAILED;
	if (!EC_POINT_mul(g, p, d, NULL, NULL, NULL))
		goto out;
	plen = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL);
	if (plen == 0)
		goto out;
	rv = CKR_HOST_MEMORY;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, plen))
		goto out;
	rv = fromdata("EC", EVP_PKEY_KEYPAIR, bld, out);
out:
	BN_clear_free(d);
	EC_POINT_free(p);
	EC_GROUP_free(g);
	OSSL_PARAM_BLD_free(bld);
	return rv;
}

CK_RV kt_pkey_ecx(const kt_curve *c, bool priv, const uint8_t *p, size_t n, EVP_PKEY **out)
{
	size_t want = priv ? c->flen : c->plen;

	*out = NULL;
	if (n != want)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (priv)
		*out = EVP_PKEY_new_raw_private_key_ex(NULL, c->name, NULL, p, n);
	else
		*out = EVP_PKEY_new_raw_public_key_ex(NULL, c->name, NULL, p, n);
	if (*out == NULL) {
		kt_ossl_clear();
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

CK_RV kt_pkey_peer(const kt_curve *c, const uint8_t *p, size_t n, EVP_PKEY **out)
{
	const uint8_t *raw;
	size_t rlen;
	CK_RV rv;

	*out = NULL;
	if (kt_ec_point_raw(c, p, n, &raw, &rlen) != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	if (c->kt == CKK_EC)
		rv = kt_pkey_ec_pub(c, raw, rlen, out);
	else
		rv = kt_pkey_ecx(c, false, raw, rlen, out);
	return rv == CKR_ATTRIBUTE_VALUE_INVALID ? CKR_MECHANISM_PARAM_INVALID : rv;
}

static CK_RV ec_from_attrs(const kt_attrs *a, CK_KEY_TYPE kt, bool priv, EVP_PKEY **out)
{
	const kt_curve *c;
	const kt_attr *v;
	const uint8_t *raw;
	size_t rlen;
	CK_RV rv;

	*out = NULL;
	rv = kt_curve_of(a, kt, &c);
	if (rv != CKR_OK)
		return rv;
	v = kt_attrs_find(a, priv ? CKA_VALUE : CKA_EC_POINT);
	if (v == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (priv) {
		raw = v->val;
		rlen = v->len;
	} else if (kt_ec_point_raw(c, v->val, v->len, &raw, &rlen) != 0) {
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (kt == CKK_EC)
		return priv ? kt_pkey_ec_priv(c, raw, rlen, out) : kt_pkey_ec_pub(c, raw, rlen, out);
	return kt_pkey_ecx(c, priv, raw, rlen, out);
}

CK_RV kt_pkey_from_attrs(const kt_attrs *a, EVP_PKEY **out)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(a, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_KEY_TYPE kt = kt_attrs_ulong(a, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	bool priv = cls == CKO_PRIVATE_KEY;
	CK_RV rv;

	*out = NULL;
	if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY)
		return CKR_KEY_TYPE_INCONSISTENT;
	switch (kt) {
	case CKK_RSA:
		rv = rsa_from_attrs(a, priv, out);
		break;
	case CKK_EC:
	case CKK_EC_EDWARDS:
	case CKK_EC_MONTGOMERY:
		rv = ec_from_attrs(a, kt, priv, out);
		break;
	default:
		rv = CKR_KEY_TYPE_INCONSISTENT;
	}
	kt_ossl_clear();
	return rv;
}

/* What an object's keycache holds. */
typedef struct {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *sign;                  /* ECDSA: EVP_PKEY_sign_init done */
	EVP_MD_CTX *dsign;                   /* EdDSA: EVP_DigestSignInit done */
} cache_entry;

static void entry_free(void *p)
{
	cache_entry *e = p;

	if (e == NULL)
		return;
	EVP_PKEY_CTX_free(e->sign);
	EVP_MD_CTX_free(e->dsign);
	EVP_PKEY_free(e->pkey);
	free(e);
}

/* Takes k.  Templates are an optimization: without them the ops init their own. */
static cache_entry *entry_new(EVP_PKEY *k, bool priv)
{
	cache_entry *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		EVP_PKEY_free(k);
		return NULL;
	}
	e->pkey = k;
	if (priv && EVP_PKEY_is_a(k, "EC")) {
		e->sign = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
		if (e->sign != NULL && EVP_PKEY_sign_init(e->sign) <= 0) {
			EVP_PKEY_CTX_free(e->sign);
			e->sign = NULL;
		}
	} else if (priv && (EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448"))) {
		e->dsign = EVP_MD_CTX_new();
		if (e->dsign != NULL &&
		    EVP_DigestSignInit_ex(e->dsign, NULL, NULL, NULL, NULL, k, NULL) <= 0) {
			EVP_MD_CTX_free(e->dsign);
			e->dsign = NULL;
		}
	}
	kt_ossl_clear();
	return e;
}

CK_RV kt_pkey_cached(const kt_attrs *a, kt_keycache *cache, kt_pkey_ref *out)
{
	cache_entry *e = cache != NULL ? atomic_load(&cache->p) : NULL;
	EVP_PKEY *k = NULL;
	CK_RV rv;

	memset(out, 0, sizeof(*out));
	if (e == NULL) {
		rv = kt_pkey_from_attrs(a, &k);
		if (rv != CKR_OK)
			return rv;
		if (cache == NULL) {
			out->pkey = k;              /* the caller's reference */
			return CKR_OK;
		}
		e = entry_new(k, kt_attrs_ulong(a, CKA_CLASS, 0) == CKO_PRIVATE_KEY);
		if (e == NULL)
			return CKR_HOST_MEMORY;
		e = kt_keycache_set(cache, e, entry_free);
	}
	if (!EVP_PKEY_up_ref(e->pkey))
		return CKR_HOST_MEMORY;
	out->pkey = e->pkey;
	out->sign = e->sign;
	out->dsign = e->dsign;
	return CKR_OK;
}

/* ---- keys -> attributes ---- */

CK_RV kt_pkey_put_spki(kt_attrs *a, EVP_PKEY *k, bool check)
{
	const kt_attr *old = kt_attrs_find(a, CKA_PUBLIC_KEY_INFO);
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	CK_RV rv;

	if (n <= 0) {
		kt_ossl_clear();
		return CKR_FUNCTION_FAILED;
	}
	if (check && old != NULL && old->len != 0 &&
	    (old->len != (CK_ULONG)n || memcmp(old->val, der, (size_t)n) != 0))
		rv = CKR_TEMPLATE_INCONSISTENT;
	else
		rv = kt_attrs_put(a, CKA_PUBLIC_KEY_INFO, der, (CK_ULONG)n);
	OPENSSL_free(der);
	return rv;
}

CK_RV kt_pkey_pub_raw(EVP_PKEY *k, const kt_curve *c, uint8_t *out, size_t *outlen)
{
	size_t n = *outlen;
	int ok;

	if (c->kt == CKK_EC) {
		/* the key was built with an uncompressed point (or generated: default form) */
		ok = EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, n, &n);
	} else {
		ok = EVP_PKEY_get_raw_public_key(k, out, &n);
	}
	if (!ok) {
		kt_ossl_clear();
		return CKR_FUNCTION_FAILED;
	}
	*outlen = n;
	return CKR_OK;
}

/* BIGNUM param of k as attribute t (left-padded to pad bytes when pad > 0). */
static CK_RV put_bn(EVP_PKEY *k, const char *name, kt_attrs *a, CK_ATTRIBUTE_TYPE t, size_t pad)
{
	BIGNUM *bn = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (!EVP_PKEY_get_bn_param(k, name, &bn))
		goto out;
	BN_set_flags(bn, BN_FLG_CONSTTIME);
	len = (size_t)BN_num_bytes(bn);
	if (pad > len)
		len = pad;
	if (len == 0)
		len = 1;
	rv = CKR_HOST_MEMORY;
	buf = OPENSSL_malloc(len);
	if (buf == NULL)
		goto out;
	rv = CKR_FUNCTION_FAILED;
	if (BN_bn2binpad(bn, buf, (int)len) < 0)
		goto out;
	rv = kt_attrs_put(a, t, buf, (CK_ULONG)len);
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, len);
	BN_clear_free(bn);
	kt_ossl_clear();
	return rv;
}

static CK_RV rsa_priv_attrs(EVP_PKEY *k, kt_attrs *priv)
{
	static const struct { const char *name; CK_ATTRIBUTE_TYPE t; } parts[] = {
		{ OSSL_PKEY_PARAM_RSA_N, CKA_MODULUS },
		{ OSSL_PKEY_PARAM_RSA_E, CKA_PUBLIC_EXPONENT },
		{ OSSL_PKEY_PARAM_RSA_D, CKA_PRIVATE_EXPONENT },
		{ OSSL_PKEY_PARAM_RSA_FACTOR1, CKA_PRIME_1 },
		{ OSSL_PKEY_PARAM_RSA_FACTOR2, CKA_PRIME_2 },
		{ OSSL_PKEY_PARAM_RSA_EXPONENT1, CKA_EXPONENT_1 },
		{ OSSL_PKEY_PARAM_RSA_EXPONENT2, CKA_EXPONENT_2 },
		{ OSSL_PKEY_PARAM_RSA_COEFFICIENT1, CKA_COEFFICIENT },
	};
	CK_RV rv = CKR_OK;
	BIGNUM *probe = NULL;
	size_t i, n = sizeof(parts) / sizeof(parts[0]);

	/* a key without CRT values (PKCS #8 of n, e, d only) */
	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1, &probe))
		n = 3;
	BN_clear_free(probe);
	kt_ossl_clear();
	for (i = 0; rv == CKR_OK && i < n; i++)
		rv = put_bn(k, parts[i].name, priv, parts[i].t, 0);
	return rv;
}

CK_RV kt_pkey_rsa_to_attrs(EVP_PKEY *k, kt_attrs *pub, kt_attrs *priv)
{
	CK_RV rv = CKR_OK;

	if (pub != NULL) {
		rv = put_bn(k, OSSL_PKEY_PARAM_RSA_N, pub, CKA_MODULUS, 0);
		if (rv == CKR_OK)
			rv = put_bn(k, OSSL_PKEY_PARAM_RSA_E, pub, CKA_PUBLIC_EXPONENT, 0);
		if (rv == CKR_OK)
			rv = kt_attrs_put_ulong(pub, CKA_MODULUS_BITS, (CK_ULONG)EVP_PKEY_get_bits(k));
		if (rv == CKR_OK)
			rv = kt_pkey_put_spki(pub, k, false);
	}
	if (rv == CKR_OK && priv != NULL)
		rv = rsa_priv_attrs(k, priv);
	if (rv == CKR_OK && priv != NULL)
		rv = kt_pkey_put_spki(priv, k, false);
	return rv;
}

CK_RV kt_pkey_ec_to_attrs(EVP_PKEY *k, const kt_curve *c, kt_attrs *pub, kt_attrs *priv)
{
	uint8_t raw[1 + 2 * 66], sk[66];
	size_t rlen = sizeof(raw), dlen = 0, sklen = sizeof(sk);
	uint8_t *der = NULL;
	CK_RV rv;

	rv = kt_pkey_pub_raw(k, c, raw, &rlen);
	if (rv == CKR_OK && pub != NULL)
		rv = kt_der_octet_wrap(raw, rlen, &der, &dlen);
	if (rv == CKR_OK && pub != NULL)
		rv = kt_attrs_put(pub, CKA_EC_POINT, der, (CK_ULONG)dlen);
	if (rv == CKR_OK && pub != NULL)
		rv = kt_pkey_put_spki(pub, k, false);
	if (rv == CKR_OK && priv != NULL && c->kt == CKK_EC) {
		rv = put_bn(k, OSSL_PKEY_PARAM_PRIV_KEY, priv, CKA_VALUE, c->flen);
	} else if (rv == CKR_OK && priv != NULL) {
		if (EVP_PKEY_get_raw_private_key(k, sk, &sklen))
			rv = kt_attrs_put(priv, CKA_VALUE, sk, (CK_ULONG)sklen);
		else
			rv = CKR_FUNCTION_FAILED;
	}
	if (rv == CKR_OK && priv != NULL && kt_attrs_find(priv, CKA_EC_PARAMS) == NULL)
		rv = kt_attrs_put(priv, CKA_EC_PARAMS, c->oid, (CK_ULONG)c->oid_len);
	if (rv == CKR_OK && priv != NULL)
		rv = kt_pkey_put_spki(priv, k, false);
	OPENSSL_free(der);
	OPENSSL_cleanse(sk, sizeof(sk));
	kt_ossl_clear();
	return rv;
}

/* ---- import checks ---- */

/* n = pq, dp = d mod p-1, dq = d mod q-1, qinv q = 1 mod p, and (2^e)^d = 2. */
CK_RV kt_pkey_rsa_check(const kt_attrs *a, EVP_PKEY *k)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *crt[NCRT] = { NULL }, *t = NULL, *u = NULL;
	BN_CTX *bc = BN_CTX_secure_new();
	CK_RV rv = CKR_HOST_MEMORY;
	size_t i;

	(void)k;
	if (bc == NULL || (t = BN_secure_new()) == NULL || (u = BN_secure_new()) == NULL)
		goto out;
	rv = bn_of(a, CKA_MODULUS, false, &n);
	if (rv == CKR_OK)
		rv = bn_of(a, CKA_PUBLIC_EXPONENT, false, &e);
	if (rv == CKR_OK)
		rv = bn_of(a, CKA_PRIVATE_EXPONENT, true, &d);
	for (i = 0; rv == CKR_OK && i < NCRT && kt_attrs_find(a, rsa_crt_attrs[i]) != NULL; i++)
		rv = bn_of(a, rsa_crt_attrs[i], true, &crt[i]);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_FUNCTION_FAILED;
	BN_set_flags(t, BN_FLG_CONSTTIME);
	BN_set_flags(u, BN_FLG_CONSTTIME);
	if (!BN_set_word(t, 2) || !BN_mod_exp(u, t, e, n, bc) || !BN_mod_exp(t, u, d, n, bc))
		goto out;
	rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (!BN_is_word(t, 2))
		goto out;
	if (crt[0] != NULL) {
		BIGNUM *p = crt[0], *q = crt[1];

		rv = CKR_FUNCTION_FAILED;
		if (!BN_mul(t, p, q, bc))
			goto out;
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		if (BN_cmp(t, n) != 0)
			goto out;
		rv = CKR_FUNCTION_FAILED;
		if (!BN_sub(u, p, BN_value_one()) || !BN_mod(t, d, u, bc))
			goto out;
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		if (BN_cmp(t, crt[2]) != 0)
			goto out;
		rv = CKR_FUNCTION_FAILED;
		if (!BN_sub(u, q, BN_value_one()) || !BN_mod(t, d, u, bc))
			goto out;
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		if (BN_cmp(t, crt[3]) != 0)
			goto out;
		rv = CKR_FUNCTION_FAILED;
		if (!BN_mod_mul(t, crt[4], q, p, bc))
			goto out;
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		if (!BN_is_one(t))
			goto out;
	}
	rv = CKR_OK;
out:
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	for (i = 0; i < NCRT; i++)
		BN_clear_free(crt[i]);
	BN_clear_free(t);
	BN_clear_free(u);
	BN_CTX_free(bc);
	kt_ossl_clear();
	return rv;
}

/* ---- PKCS #8 (private keys as wrap payloads) ---- */

CK_RV kt_key_pkcs8_encode(const kt_attrs *priv, uint8_t **der, size_t *n)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *buf = NULL;
	int len;
	CK_RV rv;

	*der = NULL;
	*n = 0;
	if (kt_attrs_ulong(priv, CKA_CLASS, CK_UNAVAILABLE_INFORMATION) != CKO_PRIVATE_KEY)
		return CKR_KEY_NOT_WRAPPABLE;
	rv = kt_pkey_from_attrs(priv, &k);
	if (rv != CKR_OK) {
		rv = rv == CKR_HOST_MEMORY ? rv : CKR_KEY_NOT_WRAPPABLE;
		goto out;
	}
	rv = CKR_FUNCTION_FAILED;
	p8 = EVP_PKEY2PKCS8(k);
	if (p8 == NULL)
		goto out;
	len = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
	if (len <= 0)
		goto out;
	/* hand over in plain malloc memory: the caller wipes and free()s it */
	*der = malloc((size_t)len);
	if (*der == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	memcpy(*der, buf, (size_t)len);
	*n = (size_t)len;
	rv = CKR_OK;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, (size_t)len);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);
	kt_ossl_clear();
	return rv;
}

CK_RV kt_key_pkcs8_decode(const uint8_t *der, size_t n, kt_attrs *key)
{
	CK_KEY_TYPE kt = kt_attrs_ulong(key, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	const kt_curve *c = NULL;
	char group[64];
	CK_RV rv = CKR_WRAPPED_KEY_INVALID;

	if (n > LONG_MAX)
		goto out;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
	if (p8 == NULL || p != der + n || (k = EVP_PKCS82PKEY(p8)) == NULL)
		goto out;
	if (kt == CKK_RSA) {
		if (!EVP_PKEY_is_a(k, "RSA"))
			goto out;
		rv = rsa_priv_attrs(k, key);
		goto out;
	}
	/* the curve by its OpenSSL name */
	if (EVP_PKEY_is_a(k, "EC")) {
		size_t gl = 0;

		if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &gl))
			goto out;
	} else {
		snprintf(group, sizeof(group), "%s", EVP_PKEY_get0_type_name(k));
	}
	rv = kt_curve_by_name(group, kt, &c);
	if (rv != CKR_OK) {
		rv = CKR_WRAPPED_KEY_INVALID;
		goto out;
	}
	rv = kt_pkey_ec_to_attrs(k, c, NULL, key);
out:
	EVP_PKEY_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);        /* cleanses the key octets */
	kt_ossl_clear();
	return rv;
}
