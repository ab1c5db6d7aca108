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
 * Families embed it as the first member of their own state and allocate that
 * state zeroed (calloc): the members after key_len belong to the plumbing,
 * which sets them after init returns. */
typedef struct kt_crypt {
	kt_op op;                        /* .free wipes and frees the whole state */
	const kt_mech *mech;
	int kind;                        /* KT_OP_* */
	bool multipart;                  /* an Update happened: one-shot calls now refused */
	CK_ULONG key_len;                /* bytes (sym) or bits (asym) of the key, for size queries */
	/* plumbing only */
	bool ctx_auth;                   /* CKA_ALWAYS_AUTHENTICATE: needs CKU_CONTEXT_SPECIFIC */
	struct kt_object *obj;           /* the key object, referenced while the op lives
	                                  * (keeps its keycache valid) */
	void (*fam_free)(kt_op *op);     /* the family's .free; .free is the plumbing's */
} kt_crypt;

/* kt_mech.key_type values besides a CKK_*:
 *   KT_KEY_NONE        no key (digests)
 *   KT_KEY_ANY_SECRET  any CKO_SECRET_KEY; the family checks the type (its
 *                      parameters decide, e.g. SP 800-108 with an HMAC or
 *                      CMAC PRF) and returns CKR_KEY_TYPE_INCONSISTENT
 * and CKK_GENERIC_SECRET also admits the generic-secret-like types
 * (CKK_SHA*_HMAC, CKK_SHA3_*_HMAC, CKK_HKDF): the family refines (an HMAC
 * mechanism takes CKK_GENERIC_SECRET or its own CKK_*_HMAC type).
 * Otherwise the key's CKA_KEY_TYPE must equal key_type, and its class must
 * suit the function: secret types CKO_SECRET_KEY; asymmetric types
 * CKO_PUBLIC_KEY for encrypt / verify / wrap, CKO_PRIVATE_KEY for decrypt /
 * sign / unwrap / derive. */
#define KT_KEY_NONE       ((CK_KEY_TYPE)-1)
#define KT_KEY_ANY_SECRET ((CK_KEY_TYPE)-2)
/* CKK_EC or CKK_EC_MONTGOMERY (CKM_ECDH1_DERIVE on P-curves and X25519 /
 * X448); class rules as for the asymmetric types (derive: CKO_PRIVATE_KEY). */
#define KT_KEY_ECDH       ((CK_KEY_TYPE)-3)

/* kt_mech.xflags */
#define KT_MX_DERIVE_DATA 0x1u           /* C_DeriveKey makes a CKO_DATA object (CKM_HKDF_DATA):
                                          * the template's CKA_VALUE_LEN (taken out of it) is
                                          * put on `key` for the family, which sets CKA_VALUE */

/* Lets a family open another key its parameter names (CKM_HKDF_* with
 * CKF_HKDF_SALT_KEY) with the same visibility rules as the base key; the
 * result is the key's full attribute set (kt_attrs_free it). */
typedef struct kt_keyopen {
	CK_RV (*open)(const struct kt_keyopen *ko, CK_OBJECT_HANDLE h, kt_attrs *out);
	void *ctx;
} kt_keyopen;

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
	/* Size of the output for `in_len` more input bytes: final==true, what
	 * finishing the message after those bytes emits (one-shot: the whole
	 * result; C_*Final: in_len 0); final==false, what an update would emit.
	 * May be an upper bound (CBC_PAD decrypt).  Must not change state (used
	 * for the NULL-output length query and BUFFER_TOO_SMALL). */
	CK_ULONG (*out_len)(const kt_crypt *c, CK_ULONG in_len, bool final);
	/* One-shot: C_Encrypt/C_Decrypt/C_Sign/C_Digest (out has room: checked). */
	CK_RV (*oneshot)(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen);
	/* Multi-part; update may emit output (ciphers) or not (sign, verify,
	 * digest: out and outlen are NULL).  NULL update: single-part only
	 * (C_*Update gives CKR_FUNCTION_NOT_SUPPORTED). */
	CK_RV (*update)(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen);
	CK_RV (*final)(kt_crypt *c, CK_BYTE *out, CK_ULONG *outlen);
	/* Verify: one-shot and final; CKR_SIGNATURE_INVALID / CKR_SIGNATURE_LEN_RANGE. */
	CK_RV (*verify)(kt_crypt *c, const CK_BYTE *in, CK_ULONG n, const CK_BYTE *sig, CK_ULONG siglen);
	CK_RV (*verify_final)(kt_crypt *c, const CK_BYTE *sig, CK_ULONG siglen);
	/* C_DigestKey: feed a secret key's value into a running digest */
	CK_RV (*digest_key)(kt_crypt *c, const kt_attrs *key);

	/* Key generation: fill `tmpl` (already validated by kt_template_make with the
	 * class/type this mechanism implies) with the key material and the
	 * attributes the mechanism contributes (CKA_VALUE_LEN, CKA_MODULUS, ...).
	 * The plumbing then sets CKA_LOCAL, CKA_KEY_GEN_MECHANISM,
	 * CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE (a family may too) and
	 * stores the result. */
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
	/* Optional, used instead of derive when set: keys[0] is the main key,
	 * keys[1..n-1] the parameter's additional keys (derive_extra), each with
	 * its template made; `ko` opens keys the parameter names. */
	CK_RV (*derive_ex)(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *base,
	                   const kt_keyopen *ko, kt_attrs *keys, CK_ULONG n);
	/* Optional: the additional keys a derivation parameter asks for
	 * (SP 800-108 pAdditionalDerivedKeys); 0 when none.
	 * CKR_MECHANISM_PARAM_INVALID for a malformed parameter. */
	CK_RV (*derive_extra)(const CK_MECHANISM *p, const CK_DERIVED_KEY **extra, CK_ULONG *n);
} kt_mech_ops;

struct kt_mech {
	CK_MECHANISM_TYPE type;
	CK_ULONG min_key, max_key;       /* CK_MECHANISM_INFO: bits or bytes as the spec says */
	CK_FLAGS flags;                  /* CKF_ENCRYPT | CKF_SIGN | ... | CKF_EC_* */
	CK_KEY_TYPE key_type;            /* key it needs; KT_KEY_NONE: none (digest); see above */
	const kt_mech_ops *ops;
	uintptr_t arg;                   /* family's own selector (hash, mode, ...) */
	uint32_t xflags;                 /* KT_MX_* */
};

/* Families export their rows; mech.c merges and sorts them once. */
typedef struct { const kt_mech *rows; size_t n; } kt_mech_family;
extern const kt_mech_family kt_mech_family_sym;    /* AES, digests, HMAC, CMAC, wraps, KDFs */
extern const kt_mech_family kt_mech_family_asym;   /* RSA, EC, EdDSA, Montgomery */

const kt_mech *kt_mech_find(CK_MECHANISM_TYPE type);
CK_RV kt_mech_list(CK_MECHANISM_TYPE *list, CK_ULONG *n);
CK_RV kt_mech_info(CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

/* Key import hooks per key type: fill key-type-specific derived / public
 * attributes of a key made outside a generation (e.g. CKA_MODULUS_BITS,
 * CKA_PUBLIC_KEY_INFO, CKA_EC_POINT check, CKA_VALUE_LEN, CKA_CHECK_VALUE)
 * and validate the material: CKR_ATTRIBUTE_VALUE_INVALID /
 * CKR_TEMPLATE_INCONSISTENT.  Called by C_CreateObject for key classes, by
 * C_UnwrapKey / C_DeriveKey once the material is in, and by C_GenerateKey
 * for secret keys.  kt_key_import_check is a no-op (CKR_OK) for other classes. */
CK_RV kt_key_import_check(kt_attrs *all);          /* dispatches to the family */
CK_RV kt_key_import_sym(kt_attrs *all);
CK_RV kt_key_import_asym(kt_attrs *all);           /* weak default in mech.c: CKR_OK */

/* Private keys as wrap payloads (PKCS #8 PrivateKeyInfo, DER), for the
 * symmetric wrapping mechanisms.  Implemented by the asymmetric family;
 * weak defaults in mech.c return CKR_KEY_NOT_WRAPPABLE and
 * CKR_WRAPPED_KEY_INVALID.  encode: *der malloc'ed, the caller wipes and
 * frees it.  decode: fill `key` (template made, class CKO_PRIVATE_KEY and its
 * CKA_KEY_TYPE set) with the material; CKR_WRAPPED_KEY_INVALID when the DER
 * or its key type does not fit. */
CK_RV kt_key_pkcs8_encode(const kt_attrs *priv, uint8_t **der, size_t *n);
CK_RV kt_key_pkcs8_decode(const uint8_t *der, size_t n, kt_attrs *key);

/* 1 for CKK_* types of secret keys */
bool kt_key_type_secret(CK_KEY_TYPE t);
#endif
