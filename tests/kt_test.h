/*
 * kt_test.h - shared helpers for kerntok's black-box PKCS#11 conformance tests.
 *
 * The module under test is only ever reached through dlopen() of
 * $KT_BUILD/kerntok-pkcs11.so (KT_BUILD defaults to "build"; KT_MODULE, if
 * set, overrides the whole path) and the function lists it hands out.  Never
 * call a C_* symbol directly from test code: the test binaries are linked
 * against the project's static libraries and a direct call would link the
 * module into the test instead of testing the shared object.
 *
 * Every test binary's main() should just be
 *     return kt_main(argc, argv, register_suites, helper_or_NULL);
 * kt_main() runs the CUnit registry, or, when argv[1] is "helper", one of the
 * helper modes below (used for cross-process tests: the test re-executes
 * itself, see kt_run_self()).
 */
#ifndef KT_TEST_H
#define KT_TEST_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <keyutils.h>
#include <CUnit/CUnit.h>
#include "pkcs11.h"

/* Link-level names.  These helpers are linked into every test binary, and
 * some binaries also link module objects that have kt_* symbols of their
 * own (kt_login, kt_find, kt_free_slot, kt_init_token, ...).  So that the
 * two never collide, every helper's real symbol is ktt_*; sources keep
 * using the kt_* names.  (A file must not include both this header and the
 * module's kt.h.) */
#define kt_GetFunctionList ktt_GetFunctionList
#define kt_GetInterface ktt_GetInterface
#define kt_GetInterfaceList ktt_GetInterfaceList
#define kt_attr ktt_attr
#define kt_attr_bool ktt_attr_bool
#define kt_attr_ul ktt_attr_ul
#define kt_cert_der ktt_cert_der
#define kt_cert_der_len ktt_cert_der_len
#define kt_cert_parts ktt_cert_parts
#define kt_check ktt_check
#define kt_check_rv ktt_check_rv
#define kt_child_watchdog ktt_child_watchdog
#define kt_cleanup_store ktt_cleanup_store
#define kt_contains ktt_contains
#define kt_dl ktt_dl
#define kt_find ktt_find
#define kt_find_label ktt_find_label
#define kt_fini ktt_fini
#define kt_fork ktt_fork
#define kt_free_slot ktt_free_slot
#define kt_fresh_token ktt_fresh_token
#define kt_gen_sign_pair ktt_gen_sign_pair
#define kt_hex ktt_hex
#define kt_hfail ktt_hfail
#define kt_init ktt_init
#define kt_init_token ktt_init_token
#define kt_key_describe ktt_key_describe
#define kt_key_find ktt_key_find
#define kt_key_list ktt_key_list
#define kt_label ktt_label
#define kt_load ktt_load
#define kt_login ktt_login
#define kt_main ktt_main
#define kt_mk_data ktt_mk_data
#define kt_mk_secret ktt_mk_secret
#define kt_module_path ktt_module_path
#define kt_msleep ktt_msleep
#define kt_now ktt_now
#define kt_open ktt_open
#define kt_out_get ktt_out_get
#define kt_pad ktt_pad
#define kt_padded_eq ktt_padded_eq
#define kt_run_self ktt_run_self
#define kt_rv_in ktt_rv_in
#define kt_rvname ktt_rvname
#define kt_self ktt_self
#define kt_slot_by_label ktt_slot_by_label
#define kt_slots ktt_slots
#define kt_state ktt_state
#define kt_store_desc ktt_store_desc
#define kt_store_keyring ktt_store_keyring
#define kt_suite ktt_suite
#define kt_suite_login ktt_suite_login
#define kt_test ktt_test
#define kt_tmpdir ktt_tmpdir
#define kt_token_flags ktt_token_flags
#define kt_token_keyring ktt_token_keyring

#ifndef CKA_UNIQUE_ID
#define CKA_UNIQUE_ID 0x00000004UL
#endif
#ifndef CKF_INTERFACE_FORK_SAFE
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif

#define KT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KT_VENDOR_ATTR ((CK_ATTRIBUTE_TYPE)0x80001234UL)

/* ---- the module ------------------------------------------------------ */
extern void *kt_dl;                          /* dlopen handle */
extern CK_FUNCTION_LIST_PTR p11;             /* from C_GetFunctionList */
extern CK_FUNCTION_LIST_3_0_PTR p11_3;       /* "PKCS 11" 3.0, or NULL */
extern CK_C_GetFunctionList kt_GetFunctionList;  /* dlsym'd, may be NULL */
extern CK_C_GetInterfaceList kt_GetInterfaceList;
extern CK_C_GetInterface kt_GetInterface;
extern char kt_self[4096];                   /* this executable */

const char *kt_module_path(void);
/* dlopen + C_GetFunctionList (+ C_GetInterface "PKCS 11" 3.0).  0 = ok. */
int kt_load(void);
/* C_Initialize with CKF_OS_LOCKING_OK (what a threaded application passes). */
CK_RV kt_init(void);
CK_RV kt_fini(void);

/* ---- return values --------------------------------------------------- */
const char *kt_rvname(CK_RV rv);   /* "CKR_PIN_INCORRECT" or "0x..." */
/* 1 if rv is one of ok[0..n-1] (no CUnit report: for threads, children). */
int kt_rv_in(CK_RV rv, const CK_RV *ok, size_t n);

/* Checks that got is one of exp[0..n-1]; reports through CUnit with names. */
int kt_check_rv(CK_RV got, const CK_RV *exp, size_t n, const char *expr,
                const char *file, unsigned line, const char *func, int fatal);
void kt_check(int ok, const char *file, unsigned line, const char *func,
              int fatal, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* KT_RV(call, CKR_A[, CKR_B ...]): call must return one of the listed
 * values.  Evaluates to 1 when it did.  The _F variant aborts the test. */
#define KT_RV(expr, ...)                                                  \
  ({ const CK_RV kt__e[] = {__VA_ARGS__};                                 \
     kt_check_rv((expr), kt__e, KT_ARRAY_LEN(kt__e), #expr, __FILE__,     \
                 __LINE__, __func__, 0); })
#define KT_RV_F(expr, ...)                                                \
  ({ const CK_RV kt__e[] = {__VA_ARGS__};                                 \
     kt_check_rv((expr), kt__e, KT_ARRAY_LEN(kt__e), #expr, __FILE__,     \
                 __LINE__, __func__, 1); })
/* KT_OK(call) == KT_RV(call, CKR_OK) */
#define KT_OK(expr) KT_RV(expr, CKR_OK)
#define KT_OK_F(expr) KT_RV_F(expr, CKR_OK)
/* Boolean check with a printf-style explanation. */
#define KT_CHECK(cond, ...)                                               \
  ({ int kt__c = !!(cond);                                                \
     kt_check(kt__c, __FILE__, __LINE__, __func__, 0, __VA_ARGS__); kt__c; })
#define KT_CHECK_F(cond, ...)                                             \
  ({ int kt__c = !!(cond);                                                \
     kt_check(kt__c, __FILE__, __LINE__, __func__, 1, __VA_ARGS__); kt__c; })
#define KT_EQ_UL(a, b)                                                    \
  ({ unsigned long kt__a = (unsigned long)(a), kt__b = (unsigned long)(b);\
     KT_CHECK(kt__a == kt__b, "%s == %s: got 0x%lx, expected 0x%lx",      \
              #a, #b, kt__a, kt__b); })

/* ---- tokens and sessions --------------------------------------------- */
void kt_pad(CK_UTF8CHAR *dst, size_t len, const char *s); /* blank-pad */
/* 1 if the blank-padded field equals s (with trailing blanks) */
int kt_padded_eq(const CK_UTF8CHAR *field, size_t len, const char *s);
/* All slots (tokenPresent FALSE) into a malloc'd array; NULL on error. */
CK_SLOT_ID *kt_slots(CK_ULONG *n);
/* The slot whose token is present but not initialized; counts them. */
CK_RV kt_free_slot(CK_SLOT_ID *slot, int *nfree);
/* C_InitToken on the free slot (no user PIN).  so_pin as given. */
CK_RV kt_init_token(const char *label, const char *so_pin, CK_SLOT_ID *slot);
/* kt_init_token + RW session + SO login + C_InitPIN + logout + close. */
CK_RV kt_fresh_token(const char *label, const char *so_pin,
                     const char *user_pin, CK_SLOT_ID *slot);
/* Slot of the initialized token with that label (blank padded compare). */
CK_RV kt_slot_by_label(const char *label, CK_SLOT_ID *slot);
CK_RV kt_open(CK_SLOT_ID slot, int rw, CK_SESSION_HANDLE *s);
CK_RV kt_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin);
CK_RV kt_token_flags(CK_SLOT_ID slot, CK_FLAGS *flags);
CK_RV kt_state(CK_SESSION_HANDLE s, CK_STATE *state);
/* CUnit suite init: kt_init(); on the first call (*have_token 0) a
 * kt_fresh_token(label, so_pin, user_pin) into *slot; then a RW session *s
 * logged in as the user.  0 = ok, 1 = failed (a CUnit init's result). */
int kt_suite_login(const char *label, const char *so_pin, const char *user_pin,
                   CK_SLOT_ID *slot, int *have_token, CK_SESSION_HANDLE *s);

/* ---- objects --------------------------------------------------------- */
CK_RV kt_mk_data(CK_SESSION_HANDLE s, int token, int priv, const char *label,
                 const void *val, size_t vlen, CK_OBJECT_HANDLE *h);
CK_RV kt_mk_secret(CK_SESSION_HANDLE s, int token, int priv, int sensitive,
                   const char *label, const void *val, size_t vlen,
                   CK_OBJECT_HANDLE *h);
/* C_FindObjectsInit/C_FindObjects (in chunks)/C_FindObjectsFinal. */
CK_RV kt_find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
              CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
CK_RV kt_find_label(CK_SESSION_HANDLE s, const char *label,
                    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
int kt_contains(const CK_OBJECT_HANDLE *v, CK_ULONG n, CK_OBJECT_HANDLE h);
/* Reads one attribute into a malloc'd buffer (NUL-terminated extra byte). */
CK_RV kt_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
              void **val, CK_ULONG *len);
CK_RV kt_attr_ul(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
                 CK_ULONG *v);
CK_RV kt_attr_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                   CK_ATTRIBUTE_TYPE t, CK_BBOOL *v);
/* label into buf (NUL-terminated) */
CK_RV kt_label(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *buf, size_t sz);
/* C_GenerateKeyPair through f of a signing pair: gen is
 * CKM_RSA_PKCS_KEY_PAIR_GEN (2048 bits, e = 65537), CKM_EC_KEY_PAIR_GEN
 * (P-256) or else Ed25519.  The public key has CKA_VERIFY, the private key
 * CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN and the label; both CKA_TOKEN as
 * token says. */
CK_RV kt_gen_sign_pair(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                       CK_MECHANISM_TYPE gen, int token, const char *label,
                       CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv);

/* ---- X.509 test certificate ------------------------------------------ */
/* A real DER certificate (EC P-256, CN=kt) and its DER subject/issuer and
 * serial number (DER INTEGER), parsed with OpenSSL. */
extern const unsigned char kt_cert_der[];
extern const size_t kt_cert_der_len;
int kt_cert_parts(unsigned char **subj, size_t *subj_len, unsigned char **iss,
                  size_t *iss_len, unsigned char **serial, size_t *serial_len);

/* ---- keyrings (contract: kerntok's keyring layout) ------------------- */
/* "kerntok:<16 hex>" for realpath($KERNTOK_DIR) */
int kt_store_desc(char *buf, size_t sz);
key_serial_t kt_store_keyring(void);                 /* -1 if absent */
key_serial_t kt_token_keyring(CK_SLOT_ID slot);      /* "kt:token:<slot>:*" */
/* Child of ring whose type equals type (NULL: any) and whose description
 * starts with prefix; -1 if none.  *ndesc receives the full description. */
key_serial_t kt_key_find(key_serial_t ring, const char *type,
                         const char *prefix, char *desc, size_t dsz);
/* Children of a keyring, malloc'd; -1 on error. */
int kt_key_list(key_serial_t ring, key_serial_t **out);
/* type and description of a key; 0 ok */
int kt_key_describe(key_serial_t k, char *type, size_t tsz, char *desc,
                    size_t dsz);
/* Unlinks this test's store keyring from @u (tests clean their keyrings). */
void kt_cleanup_store(void);

/* ---- child processes ------------------------------------------------- */
/* fork(); the child runs fn(arg) and _exit()s with its return value.
 * Returns the exit status, 128+signal if killed, -1 if fork failed. */
int kt_fork(int (*fn)(void *), void *arg);
/* Runs this binary as "<self> helper <args...>" (NULL-terminated), inside
 * `keyctl session -` when new_session.  stdout is captured into *out
 * (malloc'd, NUL-terminated; may be NULL), stderr is passed through.
 * With KT_VALGRIND=1 the helper runs under valgrind (exit 99 on errors).
 * Returns the exit status as kt_fork() does. */
int kt_run_self(char **out, int new_session, ...)
    __attribute__((sentinel));
/* Value of "key value" line in helper output (first match), or NULL. */
const char *kt_out_get(const char *out, const char *key, char *buf,
                       size_t sz);

/* In a child process: arm the same per-test watchdog (SIGALRM) so that a
 * hung child dies instead of outliving the test.  kt_fork() and
 * kt_run_self() do this themselves. */
void kt_child_watchdog(void);

/* Helper-side checks (inside helper modes and forked children, where CUnit
 * must not be used): print and count failures. */
extern int kt_hfail;
#define KT_H(cond, ...)                                                   \
  do { if (!(cond)) { kt_hfail++;                                         \
         fprintf(stderr, "helper %d FAIL %s:%d: ", (int)getpid(),         \
                 __FILE__, __LINE__);                                     \
         fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define KT_HRV(expr, exp)                                                 \
  ({ CK_RV kt__r = (expr);                                                \
     KT_H(kt__r == (exp), "%s = %s, expected %s", #expr, kt_rvname(kt__r),\
          kt_rvname(exp)); kt__r; })

/* Built-in helper modes (argv after "helper"):
 *   get <slot> <handle>            rv, label of a handle (RO session)
 *   find <slot> <label>            n, h (handles with that label)
 *   destroy <slot> <handle>        rv
 *   setlabel <slot> <handle> <l>   rv
 *   list <slot> [pin]              o <handle> <label> <hex value|-> lines
 *   sessinfo <session>             rv of C_GetSessionInfo on that handle
 *   tokinfo <slot>                 rv, flags
 *   login <slot> <user type> <pin> rv of C_Login, flags after it
 *   uninit                         rv of C_GetSlotList without C_Initialize
 * Lines are "key value".  Exit 0 unless the helper itself failed. */
typedef int (*kt_helper_fn)(int argc, char **argv); /* argv[0] = mode */

/* main() of every test binary.  helper may be NULL; it is tried first and
 * returns -1 for "unknown mode". */
int kt_main(int argc, char **argv, void (*register_suites)(void),
            kt_helper_fn helper);
/* helpers for register_suites() */
CU_pSuite kt_suite(const char *name, CU_InitializeFunc init,
                   CU_CleanupFunc clean, CU_SetUpFunc setup,
                   CU_TearDownFunc teardown);
void kt_test(CU_pSuite s, const char *name, CU_TestFunc fn);

/* misc */
void kt_msleep(unsigned ms);
double kt_now(void);
char *kt_hex(const void *p, size_t n, char *buf); /* buf >= 2n+1 */
const char *kt_tmpdir(void);  /* private temp dir, removed at exit */

/* Template building, shared by the module tests. */
static const CK_BBOOL T = CK_TRUE, F = CK_FALSE;
#define A(type, ptr, len) {type, (void *)(ptr), (len)}
#define AV(type, var) {type, (void *)&(var), sizeof(var)}
#define AS(type, str) {type, (void *)(str), sizeof(str) - 1}

#endif
