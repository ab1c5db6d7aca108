/* crypt.h - the cryptographic functions' core (crypt*.c), called by
 * entry_crypto.c with the session locked.  Private to those files. */
#ifndef KT_CRYPT_H
#define KT_CRYPT_H
#include "mech.h"

/* Functions a key is checked for: the operation kinds (KT_OP_ENCRYPT ...
 * KT_OP_VERIFY_RECOVER) plus these. */
enum { KT_FN_WRAP = KT_OP_KINDS, KT_FN_UNWRAP, KT_FN_DERIVE, KT_FN_GENERATE,
       KT_FN_GENERATE_PAIR, KT_FN_COUNT };

/* crypt.c: a key object opened for a mechanism */
typedef struct kt_key {
	kt_object *o;                /* referenced */
	const kt_attrs *attrs;       /* full attribute set, secrets opened (cached
	                              * on the object: immutable, never free it) */
	kt_keycache *cache;          /* the families' slot on the object */
} kt_key;

/* Look up h for this session: CKR_OBJECT_HANDLE_INVALID when absent or not
 * visible, CKR_USER_NOT_LOGGED_IN when its secrets need a login; callers map
 * the first to the code their function uses for its key argument. */
CK_RV kt_key_open(kt_session *s, CK_OBJECT_HANDLE h, kt_key *k);
void  kt_key_close(kt_key *k);                     /* NULL-safe, idempotent */
/* The spec's checks of a key against a mechanism and function, in order:
 * not a key -> CKR_KEY_HANDLE_INVALID; wrong class or type ->
 * CKR_KEY_TYPE_INCONSISTENT; usage attribute false ->
 * CKR_KEY_FUNCTION_NOT_PERMITTED; CKA_ALLOWED_MECHANISMS without it ->
 * CKR_MECHANISM_INVALID. */
CK_RV kt_key_check(const kt_mech *m, int fn, const kt_attrs *key);
/* The mechanism for function fn: CKR_MECHANISM_INVALID when unknown or
 * lacking the function's CKF_ flag; CKR_ARGUMENTS_BAD for a NULL pm. */
CK_RV kt_mech_for(const CK_MECHANISM *pm, int fn, const kt_mech **m);
bool  kt_session_is_so(const kt_session *s);

/* crypt_ops.c: encrypt, decrypt, sign, verify, digest (kind = KT_OP_*) */
CK_RV kt_crypt_init(kt_session *s, int kind, const CK_MECHANISM *pm, CK_OBJECT_HANDLE key);
CK_RV kt_crypt_oneshot(kt_session *s, int kind, const CK_BYTE *in, CK_ULONG n,
                       CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_crypt_update(kt_session *s, int kind, const CK_BYTE *in, CK_ULONG n,
                      CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_crypt_final(kt_session *s, int kind, CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_crypt_verify(kt_session *s, const CK_BYTE *in, CK_ULONG n,
                      const CK_BYTE *sig, CK_ULONG siglen);
CK_RV kt_crypt_verify_final(kt_session *s, const CK_BYTE *sig, CK_ULONG siglen);
CK_RV kt_crypt_digest_key(kt_session *s, CK_OBJECT_HANDLE key);

/* crypt_keys.c */
CK_RV kt_generate_key(kt_session *s, const CK_MECHANISM *pm, const CK_ATTRIBUTE *t,
                      CK_ULONG n, CK_OBJECT_HANDLE *h);
CK_RV kt_generate_key_pair(kt_session *s, const CK_MECHANISM *pm,
                           const CK_ATTRIBUTE *pt, CK_ULONG pn,
                           const CK_ATTRIBUTE *vt, CK_ULONG vn,
                           CK_OBJECT_HANDLE *hpub, CK_OBJECT_HANDLE *hpriv);
CK_RV kt_wrap_key(kt_session *s, const CK_MECHANISM *pm, CK_OBJECT_HANDLE wrapping,
                  CK_OBJECT_HANDLE key, CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_unwrap_key(kt_session *s, const CK_MECHANISM *pm, CK_OBJECT_HANDLE unwrapping,
                    const CK_BYTE *in, CK_ULONG n, const CK_ATTRIBUTE *t, CK_ULONG tn,
                    CK_OBJECT_HANDLE *h);
CK_RV kt_derive_key(kt_session *s, const CK_MECHANISM *pm, CK_OBJECT_HANDLE base,
                    const CK_ATTRIBUTE *t, CK_ULONG tn, CK_OBJECT_HANDLE *h);
#endif
