/* pkey.h - the asymmetric family's private interface (mech_asym.c, mech_rsa.c,
 * mech_ec.c, mech_ed.c, pkey.c): kt_attrs <-> EVP_PKEY, DER helpers, the
 * hash table, curves, and the running operation they share.
 *
 * OpenSSL 3.0 EVP only; the default library context.  Nothing here is
 * visible outside module/ (the .so is built -fvisibility=hidden). */
#ifndef KT_PKEY_H
#define KT_PKEY_H

#include <openssl/evp.h>
#include "mech.h"

/* ---- hashes: CKM / CKG_MGF1 / CKD values, fetched EVP_MDs ---- */
enum { KT_H_NONE, KT_H_SHA1, KT_H_SHA224, KT_H_SHA256, KT_H_SHA384, KT_H_SHA512,
       KT_H_SHA3_224, KT_H_SHA3_256, KT_H_SHA3_384, KT_H_SHA3_512, KT_H_COUNT };

typedef struct kt_hash {
	CK_MECHANISM_TYPE ckm;               /* CKM_SHA256 ... */
	CK_RSA_PKCS_MGF_TYPE mgf;            /* CKG_MGF1_SHA256 ... */
	CK_EC_KDF_TYPE kdf;                  /* CKD_SHA256_KDF ... */
	const char *name;                    /* OpenSSL name */
	size_t len;                          /* output bytes */
	const uint8_t *dinfo;                /* DER DigestInfo prefix (PKCS #1 v1.5) */
	size_t dinfo_len;
} kt_hash;

const kt_hash *kt_hash_get(int id);                      /* NULL for KT_H_NONE */
const kt_hash *kt_hash_by_ckm(CK_MECHANISM_TYPE ckm);    /* NULL: not one of ours */
const kt_hash *kt_hash_by_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
const kt_hash *kt_hash_by_kdf(CK_EC_KDF_TYPE kdf);
/* The EVP_MD, fetched once per process; NULL if the provider lacks it. */
const EVP_MD *kt_hash_md(const kt_hash *h);

/* ---- kt_mech.arg of the asymmetric rows: scheme and hash ---- */
enum { KT_S_NONE, KT_S_RSA_PKCS, KT_S_RSA_X509, KT_S_RSA_PSS, KT_S_RSA_OAEP,
       KT_S_ECDSA, KT_S_EDDSA };
#define KT_ASYM_ARG(s, h)   (((uintptr_t)(s) << 8) | (uintptr_t)(h))
#define KT_ASYM_SCHEME(a)   ((int)((a) >> 8))
#define KT_ASYM_HASH(a)     ((int)((a) & 0xff))

/* ---- the running operation (sign, verify, encrypt, decrypt) ---- */
typedef struct kt_asym_op kt_asym_op;
typedef struct kt_asym_vt {
	/* tbs: the digest (hashing mechanisms), the raw input, or the whole
	 * message (EdDSA).  sig has room for op->outlen bytes. */
	CK_RV (*sign)(kt_asym_op *o, const uint8_t *tbs, size_t n, uint8_t *sig, CK_ULONG *siglen);
	CK_RV (*verify)(kt_asym_op *o, const uint8_t *tbs, size_t n, const uint8_t *sig, size_t siglen);
	/* encrypt / decrypt (RSA): out has room for op->outlen bytes */
	CK_RV (*crypt)(kt_asym_op *o, const uint8_t *in, size_t n, uint8_t *out, CK_ULONG *outlen);
} kt_asym_vt;

struct kt_asym_op {
	kt_crypt c;                          /* first: the plumbing's view */
	const kt_asym_vt *vt;
	EVP_PKEY *pkey;                      /* our reference */
	EVP_PKEY_CTX *pctx;                  /* sign / verify / encrypt / decrypt (RSA, ECDSA) */
	EVP_MD_CTX *mctx;                    /* EdDSA: DigestSign / DigestVerify */
	const kt_hash *hash;                 /* hash-then-sign: the token hashes */
	EVP_MD_CTX *dctx;                    /* multi-part digest of hash-then-sign */
	size_t outlen;                       /* signature bytes / modulus bytes */
	size_t in_max;                       /* raw input limit (encrypt, raw sign) */
	size_t in_exact;                     /* raw PSS: the input is a digest of this size */
	bool buffered;                       /* EdDSA multi-part: collect the message */
	uint8_t *buf;
	size_t buf_len, buf_cap;
};

/* Allocate the op for mechanism m / kind; takes a reference on pkey. */
CK_RV kt_asym_op_new(const kt_mech *m, int kind, EVP_PKEY *pkey, const kt_asym_vt *vt,
                     kt_asym_op **out);
/* The shared kt_mech_ops members (out_len, oneshot, update, final, verify,
 * verify_final): each family's ops tables use them with its own init. */
CK_ULONG kt_asym_out_len(const kt_crypt *c, CK_ULONG in_len, bool final);
CK_RV kt_asym_oneshot(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_asym_update(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_asym_final(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_asym_verify(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, const CK_BYTE *sig, CK_ULONG siglen);
CK_RV kt_asym_verify_final(kt_crypt *c, const CK_BYTE *sig, CK_ULONG siglen);

/* The mechanism's parameter as a T, or NULL when absent / of another size. */
const void *kt_mech_param(const CK_MECHANISM *p, size_t size);
/* key bits within the row's range, else CKR_KEY_SIZE_RANGE */
CK_RV kt_asym_check_bits(const kt_mech *m, CK_ULONG bits);
/* Drop OpenSSL's error queue (after a failure we have mapped to a CK_RV). */
void kt_ossl_clear(void);

/* ---- curves (mech_ec.c) ---- */
typedef struct kt_curve {
	const char *name;                    /* OpenSSL group / key type name */
	CK_KEY_TYPE kt;                      /* CKK_EC, CKK_EC_EDWARDS, CKK_EC_MONTGOMERY */
	const uint8_t *oid;                  /* DER OBJECT IDENTIFIER, tag included */
	size_t oid_len;
	const char *pstr;                    /* DER PrintableString form (curr 2.3.x) */
	const char *alias;                   /* another accepted PrintableString, or NULL */
	CK_ULONG bits;                       /* field size: CK_MECHANISM_INFO unit */
	size_t flen;                         /* private value bytes / coordinate bytes */
	size_t plen;                         /* public value bytes (uncompressed point) */
	size_t siglen;                       /* ECDSA r||s / EdDSA signature bytes */
} kt_curve;

/* CKA_EC_PARAMS -> curve.  kt: the key type the curve must belong to.
 * Absent: CKR_TEMPLATE_INCOMPLETE; not an OID / PrintableString:
 * CKR_ATTRIBUTE_VALUE_INVALID; unknown or of another key type:
 * CKR_CURVE_NOT_SUPPORTED. */
CK_RV kt_curve_of(const kt_attrs *a, CK_KEY_TYPE kt, const kt_curve **out);
/* By OpenSSL group / key type name (case-insensitive): CKR_CURVE_NOT_SUPPORTED. */
CK_RV kt_curve_by_name(const char *name, CK_KEY_TYPE kt, const kt_curve **out);

/* ---- DER (pkey.c) ---- */
/* OCTET STRING around p (out: malloc'ed) */
CK_RV kt_der_octet_wrap(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen);
/* The content of a DER OCTET STRING that is exactly p[0..n), or -1. */
int kt_der_octet_body(const uint8_t *p, size_t n, const uint8_t **body, size_t *blen);
/* A public point / key: raw of size want, or a DER OCTET STRING of it.
 * want 0: P-curve point of the curve (uncompressed or compressed). */
int kt_ec_point_raw(const kt_curve *c, const uint8_t *p, size_t n, const uint8_t **raw, size_t *rlen);

/* ---- kt_attrs <-> EVP_PKEY (pkey.c) ---- */
/* The key object's EVP_PKEY (public or private by CKA_CLASS).  Errors:
 * CKR_TEMPLATE_INCOMPLETE (component missing), CKR_ATTRIBUTE_VALUE_INVALID
 * (garbage), CKR_CURVE_NOT_SUPPORTED, CKR_KEY_TYPE_INCONSISTENT, CKR_HOST_MEMORY. */
CK_RV kt_pkey_from_attrs(const kt_attrs *a, EVP_PKEY **out);
/* "RSA"/"EC" as OIDs, so an application's default ENGINE is not used */
const char *kt_ossl_keytype(const char *type);
/* Same through the object's cache (cache may be NULL).  The cache keeps the
 * EVP_PKEY and, for private EC / Edwards keys, contexts already initialized
 * for signing: an operation dups them (EVP_PKEY_CTX_dup / EVP_MD_CTX_copy_ex)
 * instead of paying EVP_PKEY_CTX_new_from_pkey + *_init (a keymgmt and a
 * signature fetch) on every C_SignInit. */
typedef struct kt_pkey_ref {
	EVP_PKEY *pkey;                      /* a new reference: EVP_PKEY_free it */
	const EVP_PKEY_CTX *sign;            /* ECDSA template or NULL: dup it, never use it */
	const EVP_MD_CTX *dsign;             /* EdDSA template or NULL: copy it */
} kt_pkey_ref;
CK_RV kt_pkey_cached(const kt_attrs *a, kt_keycache *cache, kt_pkey_ref *out);
/* CKA_PUBLIC_KEY_INFO = DER SubjectPublicKeyInfo of k.  check: a non-empty
 * value already there must equal it (CKR_TEMPLATE_INCONSISTENT). */
CK_RV kt_pkey_put_spki(kt_attrs *a, EVP_PKEY *k, bool check);
/* Public part of an EC / Edwards / Montgomery key, raw (uncompressed point). */
CK_RV kt_pkey_pub_raw(EVP_PKEY *k, const kt_curve *c, uint8_t *out, size_t *outlen);
/* Peer public value for ECDH (raw or DER OCTET STRING) on curve c. */
CK_RV kt_pkey_peer(const kt_curve *c, const uint8_t *p, size_t n, EVP_PKEY **out);
/* Build keys from parts (the private bytes are not kept by the caller's buffer). */
CK_RV kt_pkey_ec_pub(const kt_curve *c, const uint8_t *pt, size_t n, EVP_PKEY **out);
CK_RV kt_pkey_ec_priv(const kt_curve *c, const uint8_t *d, size_t n, EVP_PKEY **out);
CK_RV kt_pkey_ecx(const kt_curve *c, bool priv, const uint8_t *p, size_t n, EVP_PKEY **out);
/* Freshly generated keys -> the attributes of both halves. */
CK_RV kt_pkey_rsa_to_attrs(EVP_PKEY *k, kt_attrs *pub, kt_attrs *priv);
CK_RV kt_pkey_ec_to_attrs(EVP_PKEY *k, const kt_curve *c, kt_attrs *pub, kt_attrs *priv);
/* RSA private key sanity (n = pq, CRT values, e*d round trip). */
CK_RV kt_pkey_rsa_check(const kt_attrs *a, EVP_PKEY *k);

/* Attributes every generated pair gets (curr / base 5.14). */
CK_RV kt_asym_gen_common(CK_MECHANISM_TYPE mech, kt_attrs *pub, kt_attrs *priv);

/* ---- the families' tables ---- */
extern const kt_mech_ops kt_rsa_gen_ops, kt_rsa_ops, kt_rsa_hash_ops;
extern const kt_mech_ops kt_ec_gen_ops, kt_ecdsa_ops, kt_ecdsa_hash_ops, kt_ecdh_ops;
extern const kt_mech_ops kt_ed_gen_ops, kt_x_gen_ops, kt_eddsa_ops;

#endif
