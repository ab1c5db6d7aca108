/* mech_asym.c - the asymmetric family: its mechanism rows, the hash table,
 * the operation code the RSA / ECDSA / EdDSA files share (hash-then-sign,
 * multi-part, size queries), and key import (C_CreateObject).
 *
 * The cryptography is OpenSSL 3.0 EVP.  Hot path (C_SignInit + C_Sign with a
 * cached key): one EVP_PKEY up-ref, one EVP_PKEY_CTX (or EVP_MD_CTX), the
 * EVP_MDs fetched once per process; no lock of ours. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "pkey.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- hashes ---- */

/* DER DigestInfo prefixes (RFC 8017 9.2 note 1; SHA-3: NIST CSOR OIDs). */
#define DI(oidlast, len) { 0x30, (uint8_t)(0x11 + (len)), 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, \
	0x01, 0x65, 0x03, 0x04, 0x02, (oidlast), 0x05, 0x00, 0x04, (len) }
static const uint8_t di_sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02,
	0x1a, 0x05, 0x00, 0x04, 0x14 };
static const uint8_t di_sha224[] = DI(0x04, 28), di_sha256[] = DI(0x01, 32);
static const uint8_t di_sha384[] = DI(0x02, 48), di_sha512[] = DI(0x03, 64);
static const uint8_t di_sha3_224[] = DI(0x07, 28), di_sha3_256[] = DI(0x08, 32);
static const uint8_t di_sha3_384[] = DI(0x09, 48), di_sha3_512[] = DI(0x0a, 64);

#define H(ckm, mgf, kdf, name, len, di) { ckm, mgf, kdf, name, len, di, sizeof(di) }
static const kt_hash kt_hashes[KT_H_COUNT] = {
	[KT_H_SHA1] = H(CKM_SHA_1, CKG_MGF1_SHA1, CKD_SHA1_KDF, "SHA1", 20, di_sha1),
	[KT_H_SHA224] = H(CKM_SHA224, CKG_MGF1_SHA224, CKD_SHA224_KDF, "SHA2-224", 28, di_sha224),
	[KT_H_SHA256] = H(CKM_SHA256, CKG_MGF1_SHA256, CKD_SHA256_KDF, "SHA2-256", 32, di_sha256),
	[KT_H_SHA384] = H(CKM_SHA384, CKG_MGF1_SHA384, CKD_SHA384_KDF, "SHA2-384", 48, di_sha384),
	[KT_H_SHA512] = H(CKM_SHA512, CKG_MGF1_SHA512, CKD_SHA512_KDF, "SHA2-512", 64, di_sha512),
	[KT_H_SHA3_224] = H(CKM_SHA3_224, CKG_MGF1_SHA3_224, CKD_SHA3_224_KDF, "SHA3-224", 28, di_sha3_224),
	[KT_H_SHA3_256] = H(CKM_SHA3_256, CKG_MGF1_SHA3_256, CKD_SHA3_256_KDF, "SHA3-256", 32, di_sha3_256),
	[KT_H_SHA3_384] = H(CKM_SHA3_384, CKG_MGF1_SHA3_384, CKD_SHA3_384_KDF, "SHA3-384", 48, di_sha3_384),
	[KT_H_SHA3_512] = H(CKM_SHA3_512, CKG_MGF1_SHA3_512, CKD_SHA3_512_KDF, "SHA3-512", 64, di_sha3_512),
};

/* Fetched once; never freed (process lifetime, shared by every thread). */
static struct {
	pthread_once_t once;
	EVP_MD *md[KT_H_COUNT];
} gl = { .once = PTHREAD_ONCE_INIT };

static void fetch_mds(void)
{
	int i;

	for (i = KT_H_SHA1; i < KT_H_COUNT; i++)
		gl.md[i] = EVP_MD_fetch(NULL, kt_hashes[i].name, NULL);
	ERR_clear_error();
}

const kt_hash *kt_hash_get(int id)
{
	return (id > KT_H_NONE && id < KT_H_COUNT) ? &kt_hashes[id] : NULL;
}

const EVP_MD *kt_hash_md(const kt_hash *h)
{
	if (h == NULL)
		return NULL;
	pthread_once(&gl.once, fetch_mds);
	return gl.md[h - kt_hashes];
}

const kt_hash *kt_hash_by_ckm(CK_MECHANISM_TYPE ckm)
{
	int i;

	for (i = KT_H_SHA1; i < KT_H_COUNT; i++)
		if (kt_hashes[i].ckm == ckm)
			return &kt_hashes[i];
	return NULL;
}

const kt_hash *kt_hash_by_mgf(CK_RSA_PKCS_MGF_TYPE mgf)
{
	int i;

	for (i = KT_H_SHA1; i < KT_H_COUNT; i++)
		if (kt_hashes[i].mgf == mgf)
			return &kt_hashes[i];
	return NULL;
}

const kt_hash *kt_hash_by_kdf(CK_EC_KDF_TYPE kdf)
{
	int i;

	for (i = KT_H_SHA1; i < KT_H_COUNT; i++)
		if (kt_hashes[i].kdf == kdf)
			return &kt_hashes[i];
	return NULL;
}

/* ---- small shared helpers ---- */

const void *kt_mech_param(const CK_MECHANISM *p, size_t size)
{
	if (p == NULL || p->pParameter == NULL || p->ulParameterLen != size)
		return NULL;
	return p->pParameter;
}

CK_RV kt_asym_check_bits(const kt_mech *m, CK_ULONG bits)
{
	return (bits < m->min_key || bits > m->max_key) ? CKR_KEY_SIZE_RANGE : CKR_OK;
}

void kt_ossl_clear(void)
{
	ERR_clear_error();
}

CK_RV kt_asym_gen_common(CK_MECHANISM_TYPE mech, kt_attrs *pub, kt_attrs *priv)
{
	CK_BBOOL sens = kt_attrs_bool(priv, CKA_SENSITIVE, CK_FALSE);
	CK_BBOOL extr = kt_attrs_bool(priv, CKA_EXTRACTABLE, CK_TRUE);
	CK_RV rv;

	rv = kt_attrs_put_bool(pub, CKA_LOCAL, CK_TRUE);
	if (rv == CKR_OK)
		rv = kt_attrs_put_bool(priv, CKA_LOCAL, CK_TRUE);
	if (rv == CKR_OK)
		rv = kt_attrs_put_ulong(pub, CKA_KEY_GEN_MECHANISM, mech);
	if (rv == CKR_OK)
		rv = kt_attrs_put_ulong(priv, CKA_KEY_GEN_MECHANISM, mech);
	if (rv == CKR_OK)
		rv = kt_attrs_put_bool(priv, CKA_ALWAYS_SENSITIVE, sens);
	if (rv == CKR_OK)
		rv = kt_attrs_put_bool(priv, CKA_NEVER_EXTRACTABLE, extr ? CK_FALSE : CK_TRUE);
	return rv;
}

/* ---- the running operation ---- */

static void op_free(kt_op *op)
{
	kt_asym_op *o = (kt_asym_op *)op;

	if (o == NULL)
		return;
	EVP_PKEY_CTX_free(o->pctx);
	EVP_MD_CTX_free(o->mctx);
	EVP_MD_CTX_free(o->dctx);
	EVP_PKEY_free(o->pkey);
	if (o->buf != NULL)
		OPENSSL_clear_free(o->buf, o->buf_cap);
	OPENSSL_cleanse(o, sizeof(*o));
	free(o);
}

CK_RV kt_asym_op_new(const kt_mech *m, int kind, EVP_PKEY *pkey, const kt_asym_vt *vt,
                     kt_asym_op **out)
{
	kt_asym_op *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (o == NULL || !EVP_PKEY_up_ref(pkey)) {
		free(o);
		return CKR_HOST_MEMORY;
	}
	o->c.op.free = op_free;
	o->c.mech = m;
	o->c.kind = kind;
	o->c.key_len = (CK_ULONG)EVP_PKEY_get_bits(pkey);
	o->vt = vt;
	o->pkey = pkey;
	o->hash = kt_hash_get(KT_ASYM_HASH(m->arg));
	*out = o;
	return CKR_OK;
}

CK_ULONG kt_asym_out_len(const kt_crypt *c, CK_ULONG in_len, bool final)
{
	const kt_asym_op *o = (const kt_asym_op *)c;

	(void)in_len;
	return final ? o->outlen : 0;
}

/* Digest `in` (one-shot) or finish the running digest (in == NULL). */
static CK_RV digest(kt_asym_op *o, const uint8_t *in, size_t n, uint8_t *md, unsigned *mdlen)
{
	const EVP_MD *type = kt_hash_md(o->hash);
	int ok;

	if (in != NULL || o->dctx == NULL)
		ok = EVP_Digest(in, n, md, mdlen, type, NULL);
	else
		ok = EVP_DigestFinal_ex(o->dctx, md, mdlen);
	if (!ok) {
		kt_ossl_clear();
		return CKR_FUNCTION_FAILED;
	}
	return CKR_OK;
}

static CK_RV sign_or_verify(kt_asym_op *o, const uint8_t *in, size_t n, uint8_t *sig,
                            CK_ULONG *siglen, const uint8_t *vsig, size_t vsiglen)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	CK_RV rv = CKR_OK;

	if (o->hash != NULL) {
		rv = digest(o, in, n, md, &mdlen);
		in = md;
		n = mdlen;
	} else if (o->buffered && in == NULL) {
		in = o->buf != NULL ? o->buf : md;
		n = o->buf_len;
	}
	if (rv == CKR_OK && o->in_exact != 0 && n != o->in_exact)
		rv = CKR_DATA_LEN_RANGE;
	else if (rv == CKR_OK && o->in_max != 0 && n > o->in_max)
		rv = CKR_DATA_LEN_RANGE;
	if (rv == CKR_OK && o->c.kind == KT_OP_SIGN)
		rv = o->vt->sign(o, in, n, sig, siglen);
	else if (rv == CKR_OK)
		rv = o->vt->verify(o, in, n, vsig, vsiglen);
	OPENSSL_cleanse(md, sizeof(md));
	return rv;
}

CK_RV kt_asym_oneshot(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	kt_asym_op *o = (kt_asym_op *)c;
	static const uint8_t empty[1];

	if (in == NULL)
		in = empty;                     /* zero-length message */
	if (c->kind == KT_OP_ENCRYPT || c->kind == KT_OP_DECRYPT) {
		if (o->vt->crypt == NULL)
			return CKR_FUNCTION_NOT_SUPPORTED;
		return o->vt->crypt(o, in, n, out, outlen);
	}
	if (c->kind != KT_OP_SIGN)
		return CKR_FUNCTION_NOT_SUPPORTED;
	return sign_or_verify(o, in, n, out, outlen, NULL, 0);
}

CK_RV kt_asym_update(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	kt_asym_op *o = (kt_asym_op *)c;
	uint8_t *nb;
	size_t cap;

	(void)out;
	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	if (o->hash != NULL) {
		if (o->dctx == NULL) {
			o->dctx = EVP_MD_CTX_new();
			if (o->dctx == NULL)
				return CKR_HOST_MEMORY;
			if (!EVP_DigestInit_ex2(o->dctx, kt_hash_md(o->hash), NULL)) {
				kt_ossl_clear();
				return CKR_FUNCTION_FAILED;
			}
		}
		if (n != 0 && !EVP_DigestUpdate(o->dctx, in, n)) {
			kt_ossl_clear();
			return CKR_FUNCTION_FAILED;
		}
		return CKR_OK;
	}
	if (!o->buffered)
		return CKR_FUNCTION_NOT_SUPPORTED;  /* single-part mechanism */
	if (n > SIZE_MAX / 2 - o->buf_len)
		return CKR_DATA_LEN_RANGE;
	if (o->buf_len + n > o->buf_cap) {
		cap = o->buf_cap ? o->buf_cap : 256;
		while (cap < o->buf_len + n)
			cap *= 2;
		nb = OPENSSL_malloc(cap);
		if (nb == NULL)
			return CKR_HOST_MEMORY;
		if (o->buf_len != 0)
			memcpy(nb, o->buf, o->buf_len);
		if (o->buf != NULL)
			OPENSSL_clear_free(o->buf, o->buf_cap);
		o->buf = nb;
		o->buf_cap = cap;
	}
	if (n != 0)
		memcpy(o->buf + o->buf_len, in, n);
	o->buf_len += n;
	return CKR_OK;
}

CK_RV kt_asym_final(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen)
{
	kt_asym_op *o = (kt_asym_op *)c;

	if (c->kind != KT_OP_SIGN || (o->hash == NULL && !o->buffered))
		return CKR_FUNCTION_NOT_SUPPORTED;
	return sign_or_verify(o, NULL, 0, out, outlen, NULL, 0);
}

CK_RV kt_asym_verify(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, const CK_BYTE *sig, CK_ULONG siglen)
{
	kt_asym_op *o = (kt_asym_op *)c;
	static const uint8_t empty[1];

	if (sig == NULL)
		sig = empty;                    /* siglen 0: CKR_SIGNATURE_LEN_RANGE */
	if (in == NULL)
		in = empty;
	return sign_or_verify(o, in, n, NULL, NULL, sig, siglen);
}

CK_RV kt_asym_verify_final(kt_crypt *c, const CK_BYTE *sig, CK_ULONG siglen)
{
	kt_asym_op *o = (kt_asym_op *)c;
	static const uint8_t empty[1];

	if (sig == NULL)
		sig = empty;
	if (o->hash == NULL && !o->buffered)
		return CKR_FUNCTION_NOT_SUPPORTED;
	return sign_or_verify(o, NULL, 0, NULL, NULL, sig, siglen);
}

/* ---- the rows ---- */

#define SV     (CKF_SIGN | CKF_VERIFY)
#define EDWU   (CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP)
#define ECF    (CKF_EC_F_P | CKF_EC_OID | CKF_EC_CURVENAME | CKF_EC_UNCOMPRESS | CKF_EC_COMPRESS)
#define ECXF   (CKF_EC_OID | CKF_EC_CURVENAME)
#define RSA_MIN 1024
#define RSA_MAX 16384
#define A(s, h) KT_ASYM_ARG(KT_S_##s, KT_H_##h)

#define RSA_ROW(t, f, ops, arg)  { t, RSA_MIN, RSA_MAX, f, CKK_RSA, &ops, arg }
#define EC_ROW(t, f, ops, arg)   { t, 256, 521, (f) | ECF, CKK_EC, &ops, arg }

static const kt_mech rows[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, 8192, CKF_GENERATE_KEY_PAIR, CKK_RSA, &kt_rsa_gen_ops, 0 },
	RSA_ROW(CKM_RSA_PKCS, EDWU | SV, kt_rsa_ops, A(RSA_PKCS, NONE)),
	RSA_ROW(CKM_RSA_X_509, CKF_ENCRYPT | CKF_DECRYPT | SV, kt_rsa_ops, A(RSA_X509, NONE)),
	RSA_ROW(CKM_RSA_PKCS_OAEP, EDWU, kt_rsa_ops, A(RSA_OAEP, NONE)),
	RSA_ROW(CKM_RSA_PKCS_PSS, SV, kt_rsa_ops, A(RSA_PSS, NONE)),
	RSA_ROW(CKM_SHA1_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA1)),
	RSA_ROW(CKM_SHA224_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA224)),
	RSA_ROW(CKM_SHA256_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA256)),
	RSA_ROW(CKM_SHA384_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA384)),
	RSA_ROW(CKM_SHA512_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA512)),
	RSA_ROW(CKM_SHA3_224_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA3_224)),
	RSA_ROW(CKM_SHA3_256_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA3_256)),
	RSA_ROW(CKM_SHA3_384_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA3_384)),
	RSA_ROW(CKM_SHA3_512_RSA_PKCS, SV, kt_rsa_hash_ops, A(RSA_PKCS, SHA3_512)),
	RSA_ROW(CKM_SHA1_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA1)),
	RSA_ROW(CKM_SHA224_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA224)),
	RSA_ROW(CKM_SHA256_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA256)),
	RSA_ROW(CKM_SHA384_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA384)),
	RSA_ROW(CKM_SHA512_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA512)),
	RSA_ROW(CKM_SHA3_224_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA3_224)),
	RSA_ROW(CKM_SHA3_256_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA3_256)),
	RSA_ROW(CKM_SHA3_384_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA3_384)),
	RSA_ROW(CKM_SHA3_512_RSA_PKCS_PSS, SV, kt_rsa_hash_ops, A(RSA_PSS, SHA3_512)),

	EC_ROW(CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, kt_ec_gen_ops, 0),
	EC_ROW(CKM_ECDSA, SV, kt_ecdsa_ops, A(ECDSA, NONE)),
	EC_ROW(CKM_ECDSA_SHA1, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA1)),
	EC_ROW(CKM_ECDSA_SHA224, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA224)),
	EC_ROW(CKM_ECDSA_SHA256, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA256)),
	EC_ROW(CKM_ECDSA_SHA384, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA384)),
	EC_ROW(CKM_ECDSA_SHA512, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA512)),
	EC_ROW(CKM_ECDSA_SHA3_224, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA3_224)),
	EC_ROW(CKM_ECDSA_SHA3_256, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA3_256)),
	EC_ROW(CKM_ECDSA_SHA3_384, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA3_384)),
	EC_ROW(CKM_ECDSA_SHA3_512, SV, kt_ecdsa_hash_ops, A(ECDSA, SHA3_512)),
	/* P-curves and X25519 / X448: the family checks the base key's type */
	{ CKM_ECDH1_DERIVE, 255, 521, CKF_DERIVE | ECF, KT_KEY_ECDH, &kt_ecdh_ops, 0 },

	{ CKM_EC_EDWARDS_KEY_PAIR_GEN, 255, 448, CKF_GENERATE_KEY_PAIR | ECXF, CKK_EC_EDWARDS, &kt_ed_gen_ops, 0 },
	{ CKM_EDDSA, 255, 448, SV | ECXF, CKK_EC_EDWARDS, &kt_eddsa_ops, A(EDDSA, NONE) },
	{ CKM_EC_MONTGOMERY_KEY_PAIR_GEN, 255, 448, CKF_GENERATE_KEY_PAIR | ECXF, CKK_EC_MONTGOMERY,
	  &kt_x_gen_ops, 0 },
};

const kt_mech_family kt_mech_family_asym = { rows, N(rows) };

/* ---- C_CreateObject of an asymmetric key ---- */

CK_RV kt_key_import_asym(kt_attrs *all)
{
	CK_OBJECT_CLASS cls = kt_attrs_ulong(all, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	CK_KEY_TYPE kt = kt_attrs_ulong(all, CKA_KEY_TYPE, CK_UNAVAILABLE_INFORMATION);
	EVP_PKEY *k = NULL;
	CK_RV rv;

	if (cls != CKO_PUBLIC_KEY && cls != CKO_PRIVATE_KEY)
		return CKR_OK;
	if (kt != CKK_RSA && kt != CKK_EC && kt != CKK_EC_EDWARDS && kt != CKK_EC_MONTGOMERY)
		return CKR_OK;
	rv = kt_pkey_from_attrs(all, &k);
	if (rv == CKR_OK && kt == CKK_RSA && cls == CKO_PRIVATE_KEY)
		rv = kt_pkey_rsa_check(all, k);
	if (rv == CKR_OK)
		rv = kt_pkey_put_spki(all, k, true);
	EVP_PKEY_free(k);
	kt_ossl_clear();
	return rv;
}
