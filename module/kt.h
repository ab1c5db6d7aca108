/* kt.h - the module's core types and the narrow calls between its files.
 *
 * Ownership and lifetime, in one place (see docs/ARCHITECTURE.md):
 *   kt_app      one per caller of the module (a function-list view); holds its
 *               sessions and its login state per token.  Apps never die while
 *               the library is loaded; their state is reset by C_Finalize.
 *   kt_token    one per initialized token per process; refcounted, because a
 *               session (and an in-flight call) may outlive C_Finalize.
 *   kt_object   an immutable parsed copy of one key's payload; refcounted and
 *               replaced (never edited) when the object changes.
 *   kt_session  refcounted; every call on it holds its mutex, so one session is
 *               never used by two threads at once (the spec leaves this undefined).
 */
#ifndef KT_H
#define KT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "pkcs11.h"
#include "attrs.h"
#include "keyring/kr.h"

#define KT_MAX_TOKENS    64        /* slot ids 0..63; more tokens per store than any HSM */
#define KT_OBJID_LEN     16
#define KT_SK_LEN        32        /* storage key: AES-256 */
#define KT_PIN_MIN       4
#define KT_PIN_MAX       64
#define KT_KDF_ITER      200000    /* PBKDF2-HMAC-SHA256; the floor the brief sets */
#define KT_DEFAULT_TRIES 10

/* ---- locks: pthreads, or the application's mutex callbacks (lock.c) ---- */
typedef struct kt_mutex kt_mutex;
CK_RV kt_lock_setup(const CK_C_INITIALIZE_ARGS *args);   /* picks the lock flavour */
kt_mutex *kt_mutex_new(bool app_callbacks);   /* false: always pthreads */
bool kt_lock_app_callbacks(void);              /* C_Initialize gave callbacks we must use */
void kt_mutex_free(kt_mutex *m);
void kt_mutex_lock(kt_mutex *m);
void kt_mutex_unlock(kt_mutex *m);

/* ---- secrets (secmem.c) ---- */
void *kt_secret_alloc(size_t n);            /* zeroed, MADV_DONTDUMP, mlock'ed when allowed */
void  kt_secret_free(void *p, size_t n);    /* wipes; NULL-safe */
void  kt_wipe(void *p, size_t n);

/* ---- errors (rv.c): the one place errno becomes CK_RV ---- */
CK_RV kt_rv_from_errno(int neg_errno, const char *what);

/* ---- logging (log.c) ---- */
extern int kt_log_level;                     /* 0 off, 1 calls, 2 debug */
void kt_log_init(void);
void kt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kt_log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- store paths and files (disk.c) ---- */
int  kt_disk_root(char *buf, size_t n);      /* KERNTOK_DIR or the default; created 0700 */
int  kt_disk_write(int dirfd, const char *name, const uint8_t *p, size_t n); /* atomic */
int  kt_disk_read(int dirfd, const char *name, uint8_t **p, size_t *n, size_t max);
int  kt_disk_lock(int dirfd);                /* flock(LOCK_EX) on the directory itself */
void kt_disk_unlock(int dirfd);
void kt_disk_reset(void);                    /* after fork */

/* ---- token metadata (meta.c) ---- */
typedef struct {
	uint8_t  uuid[16];
	char     label[32];                  /* blank padded, as CK_TOKEN_INFO */
	char     serial[16];
	uint32_t max_tries, user_fails, so_fails;
	uint32_t kdf_iter;
	bool     user_pin_set;
	uint8_t  salt_so[16], salt_user[16];
	uint8_t  wrap_so[12 + KT_SK_LEN + 16], wrap_user[12 + KT_SK_LEN + 16];
	uint8_t  mac_key[32];                /* object-file MAC key: damage detection */
	/* token.meta version 2 (module/tpmkey.h has the TPM side) */
	uint32_t protection;                 /* KT_PROT_SOFTWARE (wrap_*) or KT_PROT_TPM (tpm.* files) */
	uint32_t tpm_copies;                 /* KT_COPY_*: storage-key blobs sealed to the TPM */
	uint32_t boot_pcr_bank, boot_pcr_mask;  /* the boot copy's PCR policy (bank in bits: 256) */
	uint8_t  check[12 + 16 + 16];        /* a constant sealed under the storage key (TPM tokens) */
} kt_meta;
enum { KT_PROT_SOFTWARE = 0, KT_PROT_TPM = 1 };
enum { KT_COPY_SO = 1, KT_COPY_USER = 2, KT_COPY_BOOT = 4 };
int  kt_meta_load(int tokfd, kt_meta *m);            /* -ENOENT: no token here */
int  kt_meta_save(int tokfd, const kt_meta *m);
void kt_meta_wipe(kt_meta *m);

/* ---- crypto used by the core itself (seal.c) ---- */
int kt_seal(const uint8_t key[KT_SK_LEN], const uint8_t *aad, size_t aadlen,
            const uint8_t *in, size_t n, uint8_t *out);          /* out: 12+n+16 */
int kt_unseal(const uint8_t key[KT_SK_LEN], const uint8_t *aad, size_t aadlen,
              const uint8_t *in, size_t n, uint8_t *out);        /* out: n-28 */
int kt_pin_kek(const uint8_t *pin, size_t pinlen, const uint8_t salt[16],
               uint32_t iter, uint8_t kek[KT_SK_LEN]);
int kt_mac(const uint8_t key[32], const uint8_t *p, size_t n, uint8_t out[32]);
int kt_random(void *p, size_t n);
bool kt_memeq(const void *a, const void *b, size_t n);  /* constant time */

/* ---- objects ---- */
typedef struct kt_session kt_session;
typedef struct kt_token kt_token;
typedef struct kt_app kt_app;

/* A per-object slot where a mechanism family parks a parsed key (e.g. an
 * EVP_PKEY) so the next operation skips parsing; freed with the object. */
typedef struct kt_keycache {
	_Atomic(void *) p;
	void (*free)(void *);
} kt_keycache;
/* Install `p` unless another thread won; returns the one in place (the loser's
 * `p` is freed with `fr`). */
void *kt_keycache_set(kt_keycache *c, void *p, void (*fr)(void *));

typedef struct kt_object {
	atomic_int refs;
	kr_serial handle;                    /* the kernel key serial = CK_OBJECT_HANDLE */
	uint8_t objid[KT_OBJID_LEN];
	CK_OBJECT_CLASS cls;                 /* CK_UNAVAILABLE_INFORMATION for sealed private */
	bool priv, token;
	kt_session *owner;                   /* session objects: the creating session */
	kt_app *app;                         /* session objects: visible to this app only */
	kt_attrs attrs;                      /* clear attributes (none for private objects) */
	uint8_t *sealed;                     /* encrypted part: secrets, or all of a private object */
	size_t sealed_len, size;
	kt_keycache cache;
} kt_object;

/* objcodec.c: payload <-> object */
int  kt_obj_encode(const kt_attrs *all, const uint8_t objid[KT_OBJID_LEN], bool priv,
                   const uint8_t *key, const uint8_t uuid[16], uint8_t **out, size_t *n);
int  kt_obj_decode(const uint8_t *p, size_t n, kt_object *o);
int  kt_obj_open(const kt_object *o, const uint8_t *key, const uint8_t uuid[16], kt_attrs *all);
void kt_obj_put(kt_object *o);       /* drop a reference */
kt_object *kt_obj_get(kt_object *o); /* take a reference */

/* ---- tokens (token.c) ---- */
typedef struct kt_objmap kt_objmap;
struct kt_token {
	atomic_int refs;
	CK_SLOT_ID slot;
	int dirfd, objfd;
	kt_meta meta;                        /* as last read from disk */
	pthread_mutex_t meta_lock;           /* meta + storage key */
	uint8_t *sk;                         /* storage key while some app is logged in */
	int sk_users;
	pthread_rwlock_t lock;               /* object cache */
	kr_serial ring, gen_key;
	kr_serial reconciled;                /* the ring whose files we made agree */
	size_t ring_keys;                    /* keys in the ring at the last full sync */
	uint64_t gen_seen;
	kt_objmap *map;
	bool dead;                           /* re-initialized or deleted */
};
CK_RV kt_tokens_scan(void);                     /* refresh the slot table from disk */
CK_RV kt_token_get(CK_SLOT_ID slot, kt_token **t);   /* CKR_SLOT_ID_INVALID / CKR_TOKEN_NOT_RECOGNIZED */
void  kt_token_put(kt_token *t);
CK_RV kt_slot_list(CK_SLOT_ID *ids, CK_ULONG *n);  /* tokens plus the free slot */
CK_SLOT_ID kt_free_slot(void);
bool  kt_slot_exists(CK_SLOT_ID slot);
CK_RV kt_token_create(CK_SLOT_ID slot, const kt_meta *m, kt_token **t);
CK_RV kt_token_refresh_meta(kt_token *t);
CK_RV kt_token_save_meta(kt_token *t);           /* meta_lock held */
void  kt_tokens_reset(void);                    /* after fork / last finalize */
int   kt_tokens_dirfd(void);                    /* $KERNTOK_DIR/tokens, for the store lock */
int   kt_store_rootfd(void);

/* object cache over the token keyring (store.c) */
CK_RV kt_store_sync(kt_token *t);               /* bring the cache up to the keyring */
CK_RV kt_store_lookup(kt_token *t, CK_OBJECT_HANDLE h, kt_object **o);
CK_RV kt_store_add(kt_token *t, kt_attrs *all, kt_session *s, kt_object **o);
CK_RV kt_store_replace(kt_token *t, kt_object *old, const kt_attrs *all);
CK_RV kt_store_remove(kt_token *t, kt_object *o);
CK_RV kt_store_each(kt_token *t, int (*fn)(void *ud, kt_object *o), void *ud);
void  kt_store_drop_session(kt_token *t, kt_session *s);
void  kt_store_forget_opened(kt_token *t);       /* last logout: drop opened key material */
CK_RV kt_store_wipe_token(kt_token *t);         /* C_InitToken: every token object */
const uint8_t *kt_session_key(void);            /* the per-process key for session objects */
const char *kt_store_ring_desc(void);           /* "kerntok:<16 hex>" of KERNTOK_DIR */

/* ---- apps, sessions, login ---- */
enum { KT_LOGGED_OUT = 0, KT_LOGGED_USER, KT_LOGGED_SO };

typedef struct kt_op {
	void (*free)(struct kt_op *op);
} kt_op;
enum { KT_OP_FIND, KT_OP_ENCRYPT, KT_OP_DECRYPT, KT_OP_DIGEST, KT_OP_SIGN,
       KT_OP_VERIFY, KT_OP_SIGN_RECOVER, KT_OP_VERIFY_RECOVER, KT_OP_KINDS };

struct kt_session {
	atomic_int refs;
	CK_SESSION_HANDLE handle;            /* serial of this session's keyring */
	kt_app *app;
	kt_token *tok;
	CK_FLAGS flags;
	pthread_mutex_t lock;                /* serializes calls on this session */
	bool closed;
	bool ctx_login;                      /* CKU_CONTEXT_SPECIFIC satisfied for the current op */
	kt_op *op[KT_OP_KINDS];
	bool ctx_pending;                    /* an op waits for CKU_CONTEXT_SPECIFIC */
	kt_session *next;                    /* app's list */
	kt_session *tnext;                   /* handle table chain */
};

#define KT_MAX_APPS 16
struct kt_app {
	int index;
	atomic_bool initialized;
	bool finalized;                      /* its caller let it go: views.c may hand it out again */
	kt_mutex *lock;                      /* sessions list + login table */
	kt_mutex *os_lock;                   /* pthreads, never freed: lock outside callback mode */
	kt_session *sessions;
	uint8_t login[KT_MAX_TOKENS];        /* KT_LOGGED_* per slot */
	uint32_t nsessions[KT_MAX_TOKENS], nrw[KT_MAX_TOKENS], nro[KT_MAX_TOKENS];
};
kt_app *kt_app_at(int index);
kt_app *kt_view(int view);                      /* views.c: the app a view acts on */
kt_app *kt_view_init(int view);                 /* same, for C_Initialize */

/* session.c */
CK_RV kt_session_open(kt_app *a, CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *h);
CK_RV kt_session_close(kt_app *a, CK_SESSION_HANDLE h);
CK_RV kt_session_close_all(kt_app *a, CK_SLOT_ID slot);
CK_RV kt_session_get(kt_app *a, CK_SESSION_HANDLE h, kt_session **s);  /* locked + ref */
void  kt_session_release(kt_session *s);                                 /* unlock + unref */
void  kt_session_set_op(kt_session *s, int kind, kt_op *op);
CK_STATE kt_session_state(const kt_session *s);
void  kt_sessions_drop_app(kt_app *a);
void  kt_sessions_reset(void);                  /* after fork */
void  kt_store_reset(void);                     /* after fork */
void  kt_views_reset(void);                     /* after fork */
CK_ULONG kt_session_count(CK_SLOT_ID slot, bool rw_only);
bool  kt_app_logged(const kt_app *a, CK_SLOT_ID slot, int who);

/* login.c */
CK_RV kt_init_token(kt_app *a, CK_SLOT_ID slot, const CK_UTF8CHAR *pin, CK_ULONG n, const CK_UTF8CHAR *label);
CK_RV kt_init_pin(kt_session *s, const CK_UTF8CHAR *pin, CK_ULONG n);
CK_RV kt_set_pin(kt_session *s, const CK_UTF8CHAR *old, CK_ULONG on, const CK_UTF8CHAR *new_, CK_ULONG nn);
CK_RV kt_login(kt_session *s, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG n);
CK_RV kt_logout(kt_session *s);
void  kt_logout_app_slot(kt_app *a, CK_SLOT_ID slot);   /* last session closed */
const uint8_t *kt_token_key(kt_token *t);       /* storage key or NULL (meta_lock not needed: stable while logged) */

/* slot.c */
CK_RV kt_get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO *info);
CK_RV kt_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *info);

/* object.c */
CK_RV kt_create_object(kt_session *s, CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *h);
CK_RV kt_copy_object(kt_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out);
CK_RV kt_destroy_object(kt_session *s, CK_OBJECT_HANDLE h);
CK_RV kt_get_object_size(kt_session *s, CK_OBJECT_HANDLE h, CK_ULONG *size);
CK_RV kt_get_attribute_value(kt_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV kt_set_attribute_value(kt_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV kt_find_init(kt_session *s, CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV kt_find(kt_session *s, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
CK_RV kt_find_final(kt_session *s);
/* for mechanisms: the object's full attribute set (secrets opened) if this session may use it */
CK_RV kt_object_open(kt_session *s, CK_OBJECT_HANDLE h, kt_object **o, kt_attrs *all);
CK_RV kt_object_new(kt_session *s, kt_attrs *all, CK_OBJECT_HANDLE *h); /* validated attrs in */

/* init.c */
struct kt_global {
	pthread_mutex_t init_lock;           /* C_Initialize / C_Finalize of all apps */
	int napps_live;                      /* apps initialized */
	pid_t pid;
};
extern struct kt_global kt_gl;
CK_RV kt_initialize(kt_app *a, CK_VOID_PTR args);
CK_RV kt_finalize(kt_app *a, CK_VOID_PTR reserved);

#define KT_RETURN_IF(cond, rv) do { if (cond) return (rv); } while (0)

#endif
