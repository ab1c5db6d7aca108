/* mech.h - the mechanism table and the interface between the generic
 * operation plumbing (crypt.c: sessions, keys, the spec's operation rules)
 * and the mechanism families (mech_*.c: the actual cryptography).
 *
 * A family never sees a session or a handle: it gets the key's full
 * attribute set (secrets opened) and returns CK_RVs.  The plumbing never
 * sees a cipher: it checks the rules, keeps the op in the session, and
 * handles the length query / CKR_BUFFER_TOO_SMALL contract once for all.
 */
#ifndef KT_MECH_H
#define KT_MECH_H
#include "kt.h"

/* what a mechanism entry can do: CK_MECHANISM_INFO.flags bits */
typedef struct kt_mech kt_mech;

/* One running operation (encrypt, decrypt, sign, verify, digest, ...).
 * Families embed it as the first member of their own state. */
typedef struct kt_crypt {
	kt_op op;                        /* .free wipes and frees the whole state */
	const kt_mech *mech;
	int kind;                        /* KT_OP_* */
	bool multipart;                  /* an Update happened: one-shot calls now refused */
	CK_ULONG key_len;                /* bytes (sym) or bits (asym) of the key, for size queries */
} kt_crypt;

typedef struct kt_mech_ops {
	/* Start an operation.  `key` is NULL for digests.  `cache` belongs to the
	 * key object (NULL for digests): a family may park a parsed key there
	 * (e.g. an EVP_PKEY) with kt_keycache_set, valid for the object's life in
	 * this process (objects are immutable: a changed or destroyed object is a
	 * new kt_object, so the cache can never be stale).  The plumbing has
	 * already checked the key's class/type against kt_mech.key_type and the
	 * usage attribute; the family checks parameters (CKR_MECHANISM_PARAM_INVALID)
	 * and key sizes (CKR_KEY_SIZE_RANGE). */
	CK_RV (*init)(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *key,
	              kt_keycache *cache, int kind, kt_crypt **out);
	/* Size of the output for `in_len` more input bytes: the one-shot result when
	 * final==true (whole message), or what an update would emit.  Must not
	 * change state (used for the NULL-output length query and BUFFER_TOO_SMALL). */
	CK_ULONG (*out_len)(const kt_crypt *c, CK_ULONG in_len, bool final);
	/* One-shot: C_Encrypt/C_Decrypt/C_Sign/C_Digest (out has room: checked). */
	CK_RV (*oneshot)(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen);
	/* Multi-part; update may emit output (ciphers) or not (sign, digest). */
	CK_RV (*update)(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen);
	CK_RV (*final)(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen);
	/* Verify: one-shot and final; CKR_SIGNATURE_INVALID / CKR_SIGNATURE_LEN_RANGE. */
	CK_RV (*verify)(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, const CK_BYTE *sig, CK_ULONG siglen);
	CK_RV (*verify_final)(kt_crypt *c, const CK_BYTE *sig, CK_ULONG siglen);
	/* C_DigestKey: feed a secret key's value into a running digest */
	CK_RV (*digest_key)(kt_crypt *c, const kt_attrs *key);

	/* Key generation: fill `tmpl` (already validated by kt_template_make with the
	 * class/type this mechanism implies) with the key material and the
	 * attributes the mechanism contributes (CKA_LOCAL, CKA_KEY_GEN_MECHANISM,
	 * CKA_VALUE_LEN, ...).  The plumbing stores the result. */
	CK_RV (*generate)(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *key);
	CK_RV (*generate_pair)(const kt_mech *m, const CK_MECHANISM *p, kt_attrs *pub, kt_attrs *priv);
	/* Wrap `target` (full attrs) with `wkey`; out NULL or too small: set *outlen only. */
	CK_RV (*wrap)(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *wkey,
	              const kt_attrs *target, CK_BYTE *out, CK_ULONG *outlen);
	/* Unwrap into `key` (template already made): set the key material. */
	CK_RV (*unwrap)(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *ukey,
	                const CK_BYTE *in, CK_ULONG n, kt_attrs *key);
	/* Derive from `base` into `key` (template already made). */
	CK_RV (*derive)(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *base, kt_attrs *key);
	/* Fill key-type-specific derived/public attributes of an IMPORTED key
	 * (C_CreateObject of a key: e.g. CKA_MODULUS_BITS, CKA_PUBLIC_KEY_INFO,
	 * CKA_EC_POINT check, CKA_CHECK_VALUE) and validate the material:
	 * CKR_ATTRIBUTE_VALUE_INVALID / CKR_TEMPLATE_INCONSISTENT. */
} kt_mech_ops;

struct kt_mech {
	CK_MECHANISM_TYPE type;
	CK_ULONG min_key, max_key;       /* CK_MECHANISM_INFO: bits or bytes as the spec says */
	CK_FLAGS flags;                  /* CKF_ENCRYPT | CKF_SIGN | ... | CKF_EC_* */
	CK_KEY_TYPE key_type;            /* key it needs; (CK_KEY_TYPE)-1: none (digest) */
	const kt_mech_ops *ops;
	uintptr_t arg;                   /* family's own selector (hash, mode, ...) */
};

/* Families export their rows; mech.c merges and sorts them once. */
typedef struct { const kt_mech *rows; size_t n; } kt_mech_family;
extern const kt_mech_family kt_mech_family_sym;    /* AES, digests, HMAC, CMAC, wraps, KDFs */
extern const kt_mech_family kt_mech_family_asym;   /* RSA, EC, EdDSA, Montgomery */

const kt_mech *kt_mech_find(CK_MECHANISM_TYPE type);
CK_RV kt_mech_list(CK_MECHANISM_TYPE *list, CK_ULONG *n);
CK_RV kt_mech_info(CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

/* Key import hooks per key type (called by object creation for key classes). */
CK_RV kt_key_import_check(kt_attrs *all);          /* dispatches to the family */
CK_RV kt_key_import_sym(kt_attrs *all);
CK_RV kt_key_import_asym(kt_attrs *all);
#endif
