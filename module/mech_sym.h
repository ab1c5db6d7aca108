/* mech_sym.h - private to the symmetric family (mech_sym.c, mech_aes.c,
 * mech_md.c, mech_wrap.c, mech_kdf.c): the ops tables the row table points
 * at, and the helpers they share.  The bulk crypto is kcapi/kc.h. */
#ifndef KT_MECH_SYM_H
#define KT_MECH_SYM_H
#include "mech.h"
#include "kcapi/kc.h"

/* kt_mech.arg of the AES cipher rows: a kc_mode, plus */
#define SYM_PAD      0x100u          /* CKM_AES_CBC_PAD: PKCS #7 */
/* ... of the MAC rows: a kc_hash_alg or SYM_CMAC, plus */
#define SYM_CMAC     0xffu
#define SYM_GENERAL  0x200u          /* *_GENERAL: CK_MAC_GENERAL_PARAMS length */
/* ... of the key wrap rows */
enum { SYM_KW = 1, SYM_KW_PKCS7, SYM_KWP };

extern const kt_mech_ops kt_sym_aes_ops;     /* mech_aes.c: ECB CBC CBC_PAD CTR GCM */
extern const kt_mech_ops kt_sym_keygen_ops;  /* mech_aes.c: AES and generic secret */
extern const kt_mech_ops kt_sym_digest_ops;  /* mech_md.c */
extern const kt_mech_ops kt_sym_mac_ops;     /* mech_md.c: HMAC and CMAC */
extern const kt_mech_ops kt_sym_kw_ops;      /* mech_wrap.c: RFC 3394 / 5649 / PKCS#7+3394 */
extern const kt_mech_ops kt_sym_encdata_ops; /* mech_kdf.c: AES_*_ENCRYPT_DATA */
extern const kt_mech_ops kt_sym_hkdf_ops;    /* mech_kdf.c */
extern const kt_mech_ops kt_sym_sp108_ops;   /* mech_kdf.c */

/* wrap / unwrap with the block cipher modes (mech_wrap.c) */
CK_RV kt_sym_block_wrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *wkey,
                        const kt_attrs *target, CK_BYTE *out, CK_ULONG *outlen);
CK_RV kt_sym_block_unwrap(const kt_mech *m, const CK_MECHANISM *p, const kt_attrs *ukey,
                          const CK_BYTE *in, CK_ULONG n, kt_attrs *key);

/* ---- shared helpers (mech_sym.c) ---- */

/* The CKA_VALUE of a secret key: CKR_KEY_SIZE_RANGE outside [min, max]
 * bytes (0 = no bound), CKR_GENERAL_ERROR when absent. */
CK_RV kt_sym_value(const kt_attrs *key, size_t min, size_t max, const uint8_t **v, size_t *n);
/* kc's -errno for the failures every call may see */
CK_RV kt_sym_rv(int err);
/* a mechanism parameter of exactly `size` bytes, or NULL */
const void *kt_sym_param(const CK_MECHANISM *p, size_t size);

/* Per key object: prepared kc objects kept between operations, so a message
 * costs neither an allocation nor a key schedule.  One spare per slot, taken
 * and returned with atomic exchanges (no lock); a second concurrent user of
 * the same key makes its own object.  NULL when there is no cache. */
typedef struct {
	_Atomic(kc_cipher *) aes[4][2];  /* [kc_mode][encrypt] */
	_Atomic(kc_md *) hmac[9];        /* [kc_hash_alg] */
	_Atomic(kc_mac *) cmac;
} kt_sym_cache;
kt_sym_cache *kt_sym_cache_of(kt_keycache *kc);
/* Take the spare in *slot (NULL: none); give one back (freed when the slot
 * is taken meanwhile or there is no slot). */
#define KT_SYM_TAKE(slot) ((slot) != NULL ? atomic_exchange((slot), NULL) : NULL)
void kt_sym_give_cipher(_Atomic(kc_cipher *) *slot, kc_cipher *c);
void kt_sym_give_md(_Atomic(kc_md *) *slot, kc_md *md);

/* HKDF / SP 800-108 PRFs: the hash of a CKM_SHA*_HMAC mechanism, -1 if none */
int kt_sym_hmac_hash(CK_MECHANISM_TYPE hmac);
/* the hash of a digest mechanism (CKM_SHA256 ...), -1 if none */
int kt_sym_digest_hash(CK_MECHANISM_TYPE digest);
#endif
