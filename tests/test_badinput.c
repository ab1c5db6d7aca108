/*
 * test_badinput.c - hostile input through the function list (issue 6, part 1).
 *
 * Black box, through the module's 3.0 function list.  Every C_* function is
 * called with what a buggy or hostile application passes: session handles
 * that are 0, closed, or another caller's; object handles that are 0,
 * destroyed, another caller's session object, another token's, or private
 * while logged out; NULL pointers; zero and huge lengths; wrong object
 * classes as keys; and, for every mechanism C_GetMechanismList reports at
 * run time (so mechanisms added later are covered without touching this
 * file), parameters of the wrong size.  Each call must return the CK_RV the
 * specification names (base 3.0 chapter 5) and must not leave an operation
 * half-active: after a failed C_*Init the operation is not active; after a
 * failed C_Encrypt/C_Digest/... it is terminated except on
 * CKR_BUFFER_TOO_SMALL or a successful length query.
 *
 * Functions the module does not implement yet may answer
 * CKR_FUNCTION_NOT_SUPPORTED (decided per function by a probe on a valid
 * session); everything else is checked strictly.
 */
#include "kt_test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"
#define NI CKR_FUNCTION_NOT_SUPPORTED

static CK_SLOT_ID slot, slot2;
static CK_FUNCTION_LIST_3_0_PTR f;     /* our own 3.0 view */
static CK_FUNCTION_LIST_PTR other;     /* another caller in this process */
static int views_shared;               /* the module hands out one view only */

static const CK_OBJECT_CLASS C_DATA = CKO_DATA, C_SECRET = CKO_SECRET_KEY;
static const CK_KEY_TYPE K_GENERIC = CKK_GENERIC_SECRET;
static const CK_ULONG LEN32 = 32;
static const unsigned char KEY32[32] = "badinput-test-key-0123456789abcd";

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* setup: two tokens, our 3.0 view, and the other caller */

static int suite_init(void)
{
  CK_RV rv;
  setenv("KERNTOK_PIN_TRIES", "1000", 1); /* the length tests burn tries */
  if (kt_init() != CKR_OK) return 1;
  rv = kt_fresh_token("badinput", SO_PIN, USER_PIN, &slot);
  if (rv == CKR_OK) rv = kt_fresh_token("badinput2", SO_PIN, USER_PIN, &slot2);
  p11->C_Finalize(NULL);
  unsetenv("KERNTOK_PIN_TRIES");
  return rv != CKR_OK;
}

static void setup(void)
{
  CK_VERSION v = {3, 0};
  CK_INTERFACE_PTR itf = NULL;
  CK_C_INITIALIZE_ARGS ia;
  CK_RV rv;

  KT_CHECK_F(kt_GetInterface != NULL, "the module exports C_GetInterface");
  KT_OK_F(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v, &itf, 0));
  f = (CK_FUNCTION_LIST_3_0_PTR)itf->pFunctionList;
  KT_OK_F(kt_GetFunctionList(&other));
  memset(&ia, 0, sizeof ia);
  ia.flags = CKF_OS_LOCKING_OK;
  rv = f->C_Initialize(&ia);
  KT_RV_F(rv, CKR_OK, CKR_CRYPTOKI_ALREADY_INITIALIZED);
  rv = other->C_Initialize(&ia);
  KT_RV_F(rv, CKR_OK, CKR_CRYPTOKI_ALREADY_INITIALIZED);
  /* and the list the shared helpers (kt_slots, ...) use */
  KT_RV_F(kt_init(), CKR_OK, CKR_CRYPTOKI_ALREADY_INITIALIZED);
  views_shared = (void *)other == (void *)f || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED;
  if (!views_shared) {
    /* same view after all if a session of one works through the other */
    CK_SESSION_HANDLE s;
    CK_SESSION_INFO si;
    if (other->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
      views_shared = f->C_GetSessionInfo(s, &si) == CKR_OK;
      other->C_CloseSession(s);
    }
  }
}

static void teardown(void)
{
  if (f) f->C_Finalize(NULL);
  if (other && (void *)other != (void *)f) other->C_Finalize(NULL);
  p11->C_Finalize(NULL);
}

static CK_SESSION_HANDLE open_rw(CK_FUNCTION_LIST_PTR fl, CK_SLOT_ID sl)
{
  CK_SESSION_HANDLE s = 0;
  KT_OK_F(fl->C_OpenSession(sl, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                            NULL, &s));
  return s;
}

static CK_RV kt_state_f(CK_SESSION_HANDLE s, CK_STATE *st)
{
  CK_SESSION_INFO si;
  CK_RV rv = f->C_GetSessionInfo(s, &si);
  if (rv == CKR_OK) *st = si.state;
  return rv;
}

static CK_SESSION_HANDLE open_f(int rw)
{
  CK_SESSION_HANDLE s = 0;
  KT_OK_F(f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0),
                           NULL, NULL, &s));
  return s;
}

static CK_RV mk_data(CK_SESSION_HANDLE s, CK_BBOOL tok, CK_BBOOL priv,
                     const char *label, CK_OBJECT_HANDLE *h)
{
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, tok),
                      AV(CKA_PRIVATE, priv), A(CKA_LABEL, label, strlen(label)),
                      AS(CKA_VALUE, "bad-input data")};
  return f->C_CreateObject(s, t, N(t), h);
}

/* a session secret key that may do everything (derive included) */
static CK_RV mk_key_p(CK_SESSION_HANDLE s, CK_KEY_TYPE kt, CK_ULONG len,
                      CK_BBOOL priv, CK_OBJECT_HANDLE *h)
{
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, kt),
                      AV(CKA_TOKEN, F), AV(CKA_PRIVATE, priv),
                      AV(CKA_DERIVE, T), A(CKA_VALUE, KEY32, len),
                      AS(CKA_LABEL, "bad-input key")};
  return f->C_CreateObject(s, t, N(t), h);
}

static CK_RV mk_key(CK_SESSION_HANDLE s, CK_KEY_TYPE kt, CK_ULONG len,
                    CK_OBJECT_HANDLE *h)
{
  return mk_key_p(s, kt, len, CK_TRUE, h);
}

static int rv_in(CK_RV rv, const CK_RV *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == rv) return 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* mechanisms, as the module reports them right now */

static CK_MECHANISM_TYPE *mechs;
static CK_ULONG nmechs;

static void load_mechs(void)
{
  CK_ULONG n = 0;
  free(mechs);
  mechs = NULL;
  nmechs = 0;
  KT_OK_F(f->C_GetMechanismList(slot, NULL, &n));
  mechs = calloc(n + 1, sizeof *mechs);
  KT_CHECK_F(mechs != NULL, "calloc");
  if (n) KT_OK_F(f->C_GetMechanismList(slot, mechs, &n));
  nmechs = n;
}

static CK_RV kt_find_f(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
                       CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *cnt)
{
  CK_RV rv = f->C_FindObjectsInit(s, t, n);
  if (rv != CKR_OK) return rv;
  rv = f->C_FindObjects(s, out, max, cnt);
  CK_RV r2 = f->C_FindObjectsFinal(s);
  return rv != CKR_OK ? rv : r2;
}

static int have_mech(CK_MECHANISM_TYPE m, CK_FLAGS need)
{
  CK_MECHANISM_INFO mi;
  for (CK_ULONG i = 0; i < nmechs; i++)
    if (mechs[i] == m)
      return f->C_GetMechanismInfo(slot, m, &mi) == CKR_OK &&
             (mi.flags & need) == need;
  return 0;
}

/* the first mechanism with one of these flags; CKM_SHA256 if none */
static CK_MECHANISM_TYPE some_mech(CK_FLAGS flag)
{
  CK_MECHANISM_INFO mi;
  for (CK_ULONG i = 0; i < nmechs; i++)
    if (f->C_GetMechanismInfo(slot, mechs[i], &mi) == CKR_OK &&
        (mi.flags & flag))
      return mechs[i];
  return CKM_SHA256;
}

/* ------------------------------------------------------------------ */
/* Every function that takes a session, with otherwise plausible
 * arguments.  `core` functions are always implemented; the others may be
 * CKR_FUNCTION_NOT_SUPPORTED (probed). */

typedef struct {
  CK_OBJECT_HANDLE obj, key;
  CK_MECHANISM mech;
  CK_BYTE in[64], out[1024], sig[64];
  CK_ULONG outlen, ul;
  CK_OBJECT_HANDLE h, h2, hs[8];
  CK_SESSION_INFO si;
  CK_ATTRIBUTE get[1], set[1], mk[3];
  CK_BYTE getbuf[64];
  CK_OBJECT_CLASS cls;
} bctx;

typedef CK_RV (*scall_fn)(bctx *c, CK_SESSION_HANDLE s);
typedef struct {
  const char *name;
  scall_fn fn;
  int core;   /* 1: always implemented; 2: legacy, CKR_FUNCTION_NOT_PARALLEL */
  int v3;     /* needs the 3.0 list */
} scall;

#define P(x) ((CK_UTF8CHAR_PTR)(x))
#define S(nm, ...)                                                    \
  static CK_RV s_##nm(bctx *c, CK_SESSION_HANDLE s)                   \
  {                                                                   \
    (void)c; c->outlen = sizeof c->out;                               \
    return f->C_##nm(__VA_ARGS__);                                    \
  }
S(InitPIN, s, P(USER_PIN), 4)
S(SetPIN, s, P(USER_PIN), 4, P(USER_PIN), 4)
S(CloseSession, s)
S(GetSessionInfo, s, &c->si)
S(GetOperationState, s, NULL, &c->outlen)
S(SetOperationState, s, c->in, 16, 0, 0)
S(Login, s, CKU_USER, P(USER_PIN), 4)
S(Logout, s)
S(CreateObject, s, c->mk, 3, &c->h)
S(CopyObject, s, c->obj, NULL, 0, &c->h)
S(DestroyObject, s, c->obj)
S(GetObjectSize, s, c->obj, &c->ul)
S(GetAttributeValue, s, c->obj, c->get, 1)
S(SetAttributeValue, s, c->obj, c->set, 1)
S(FindObjectsInit, s, NULL, 0)
S(FindObjects, s, c->hs, 8, &c->ul)
S(FindObjectsFinal, s)
S(EncryptInit, s, &c->mech, c->key)
S(Encrypt, s, c->in, 16, c->out, &c->outlen)
S(EncryptUpdate, s, c->in, 16, c->out, &c->outlen)
S(EncryptFinal, s, c->out, &c->outlen)
S(DecryptInit, s, &c->mech, c->key)
S(Decrypt, s, c->in, 16, c->out, &c->outlen)
S(DecryptUpdate, s, c->in, 16, c->out, &c->outlen)
S(DecryptFinal, s, c->out, &c->outlen)
S(DigestInit, s, &c->mech)
S(Digest, s, c->in, 16, c->out, &c->outlen)
S(DigestUpdate, s, c->in, 16)
S(DigestKey, s, c->key)
S(DigestFinal, s, c->out, &c->outlen)
S(SignInit, s, &c->mech, c->key)
S(Sign, s, c->in, 16, c->out, &c->outlen)
S(SignUpdate, s, c->in, 16)
S(SignFinal, s, c->out, &c->outlen)
S(SignRecoverInit, s, &c->mech, c->key)
S(SignRecover, s, c->in, 16, c->out, &c->outlen)
S(VerifyInit, s, &c->mech, c->key)
S(Verify, s, c->in, 16, c->sig, 32)
S(VerifyUpdate, s, c->in, 16)
S(VerifyFinal, s, c->sig, 32)
S(VerifyRecoverInit, s, &c->mech, c->key)
S(VerifyRecover, s, c->sig, 32, c->out, &c->outlen)
S(DigestEncryptUpdate, s, c->in, 16, c->out, &c->outlen)
S(DecryptDigestUpdate, s, c->in, 16, c->out, &c->outlen)
S(SignEncryptUpdate, s, c->in, 16, c->out, &c->outlen)
S(DecryptVerifyUpdate, s, c->in, 16, c->out, &c->outlen)
S(GenerateKey, s, &c->mech, NULL, 0, &c->h)
S(GenerateKeyPair, s, &c->mech, NULL, 0, NULL, 0, &c->h, &c->h2)
S(WrapKey, s, &c->mech, c->key, c->key, c->out, &c->outlen)
S(UnwrapKey, s, &c->mech, c->key, c->in, 24, NULL, 0, &c->h)
S(DeriveKey, s, &c->mech, c->key, NULL, 0, &c->h)
S(SeedRandom, s, c->in, 16)
S(GenerateRandom, s, c->out, 16)
S(GetFunctionStatus, s)
S(CancelFunction, s)
S(LoginUser, s, CKU_USER, P(USER_PIN), 4, P("user"), 4)
S(SessionCancel, s, CKF_FIND_OBJECTS)
S(MessageEncryptInit, s, &c->mech, c->key)
S(EncryptMessage, s, c->in, 12, NULL, 0, c->in, 16, c->out, &c->outlen)
S(EncryptMessageBegin, s, c->in, 12, NULL, 0)
S(EncryptMessageNext, s, c->in, 12, c->in, 16, c->out, &c->outlen, CKF_END_OF_MESSAGE)
S(MessageEncryptFinal, s)
S(MessageDecryptInit, s, &c->mech, c->key)
S(DecryptMessage, s, c->in, 12, NULL, 0, c->in, 16, c->out, &c->outlen)
S(DecryptMessageBegin, s, c->in, 12, NULL, 0)
S(DecryptMessageNext, s, c->in, 12, c->in, 16, c->out, &c->outlen, CKF_END_OF_MESSAGE)
S(MessageDecryptFinal, s)
S(MessageSignInit, s, &c->mech, c->key)
S(SignMessage, s, NULL, 0, c->in, 16, c->out, &c->outlen)
S(SignMessageBegin, s, NULL, 0)
S(SignMessageNext, s, NULL, 0, c->in, 16, c->out, &c->outlen)
S(MessageSignFinal, s)
S(MessageVerifyInit, s, &c->mech, c->key)
S(VerifyMessage, s, NULL, 0, c->in, 16, c->sig, 32)
S(VerifyMessageBegin, s, NULL, 0)
S(VerifyMessageNext, s, NULL, 0, c->in, 16, c->sig, 32)
S(MessageVerifyFinal, s)
#undef S

#define E(nm, core, v3) {#nm, s_##nm, core, v3}
static const scall calls[] = {
    E(InitPIN, 1, 0), E(SetPIN, 1, 0), E(GetSessionInfo, 1, 0),
    E(GetOperationState, 0, 0), E(SetOperationState, 0, 0), E(Login, 1, 0),
    E(Logout, 1, 0), E(CreateObject, 1, 0), E(CopyObject, 1, 0),
    E(DestroyObject, 1, 0), E(GetObjectSize, 1, 0),
    E(GetAttributeValue, 1, 0), E(SetAttributeValue, 1, 0),
    E(FindObjectsInit, 1, 0), E(FindObjects, 1, 0), E(FindObjectsFinal, 1, 0),
    E(EncryptInit, 0, 0), E(Encrypt, 0, 0), E(EncryptUpdate, 0, 0),
    E(EncryptFinal, 0, 0), E(DecryptInit, 0, 0), E(Decrypt, 0, 0),
    E(DecryptUpdate, 0, 0), E(DecryptFinal, 0, 0), E(DigestInit, 0, 0),
    E(Digest, 0, 0), E(DigestUpdate, 0, 0), E(DigestKey, 0, 0),
    E(DigestFinal, 0, 0), E(SignInit, 0, 0), E(Sign, 0, 0),
    E(SignUpdate, 0, 0), E(SignFinal, 0, 0), E(SignRecoverInit, 0, 0),
    E(SignRecover, 0, 0), E(VerifyInit, 0, 0), E(Verify, 0, 0),
    E(VerifyUpdate, 0, 0), E(VerifyFinal, 0, 0), E(VerifyRecoverInit, 0, 0),
    E(VerifyRecover, 0, 0), E(DigestEncryptUpdate, 0, 0),
    E(DecryptDigestUpdate, 0, 0), E(SignEncryptUpdate, 0, 0),
    E(DecryptVerifyUpdate, 0, 0), E(GenerateKey, 0, 0),
    E(GenerateKeyPair, 0, 0), E(WrapKey, 0, 0), E(UnwrapKey, 0, 0),
    E(DeriveKey, 0, 0), E(SeedRandom, 0, 0), E(GenerateRandom, 1, 0),
    E(GetFunctionStatus, 2, 0), E(CancelFunction, 2, 0),
    E(LoginUser, 1, 1), E(SessionCancel, 1, 1),
    E(MessageEncryptInit, 0, 1), E(EncryptMessage, 0, 1),
    E(EncryptMessageBegin, 0, 1), E(EncryptMessageNext, 0, 1),
    E(MessageEncryptFinal, 0, 1), E(MessageDecryptInit, 0, 1),
    E(DecryptMessage, 0, 1), E(DecryptMessageBegin, 0, 1),
    E(DecryptMessageNext, 0, 1), E(MessageDecryptFinal, 0, 1),
    E(MessageSignInit, 0, 1), E(SignMessage, 0, 1), E(SignMessageBegin, 0, 1),
    E(SignMessageNext, 0, 1), E(MessageSignFinal, 0, 1),
    E(MessageVerifyInit, 0, 1), E(VerifyMessage, 0, 1),
    E(VerifyMessageBegin, 0, 1), E(VerifyMessageNext, 0, 1),
    E(MessageVerifyFinal, 0, 1),
    E(CloseSession, 1, 0), /* last: a wrongly accepted handle would close */
};
#undef E

static void ctx_init(bctx *c, CK_OBJECT_HANDLE obj, CK_OBJECT_HANDLE key,
                     CK_MECHANISM_TYPE mt)
{
  memset(c, 0, sizeof *c);
  c->obj = obj;
  c->key = key;
  c->mech.mechanism = mt;
  memset(c->in, 0x5a, sizeof c->in);
  c->get[0] = (CK_ATTRIBUTE)A(CKA_LABEL, c->getbuf, sizeof c->getbuf);
  c->set[0] = (CK_ATTRIBUTE)AS(CKA_LABEL, "renamed by a bad handle");
  c->cls = CKO_DATA;
  c->mk[0] = (CK_ATTRIBUTE)AV(CKA_CLASS, c->cls);
  c->mk[1] = (CK_ATTRIBUTE)AV(CKA_TOKEN, F);
  c->mk[2] = (CK_ATTRIBUTE)AS(CKA_LABEL, "made through a bad handle");
}

/* 1: the function answers CKR_FUNCTION_NOT_SUPPORTED on a valid session */
static int unsupported[N(calls)];

static void probe_unsupported(CK_OBJECT_HANDLE key)
{
  bctx c;
  for (size_t i = 0; i < N(calls); i++) {
    unsupported[i] = 0;
    if (calls[i].core) continue;
    /* a fresh session each: a probe may start an operation */
    CK_SESSION_HANDLE s = open_f(1);
    ctx_init(&c, 0, key, some_mech(CKF_ENCRYPT | CKF_DIGEST | CKF_SIGN));
    unsupported[i] = calls[i].fn(&c, s) == NI;
    KT_OK(f->C_CloseSession(s));
  }
}

static void expect_bad_session(CK_SESSION_HANDLE bad, const char *what,
                               CK_OBJECT_HANDLE obj, CK_OBJECT_HANDLE key)
{
  bctx c;
  for (size_t i = 0; i < N(calls); i++) {
    ctx_init(&c, obj, key, some_mech(CKF_ENCRYPT | CKF_DIGEST | CKF_SIGN));
    CK_RV rv = calls[i].fn(&c, bad);
    int ok = rv == CKR_SESSION_HANDLE_INVALID ||
             (unsupported[i] && rv == NI) ||
             (calls[i].core == 2 && rv == CKR_FUNCTION_NOT_PARALLEL);
    KT_CHECK(ok, "C_%s(%s) returned %s, expected CKR_SESSION_HANDLE_INVALID",
             calls[i].name, what, kt_rvname(rv));
  }
}

/* Session handles: 0, ~0, closed, closed long ago, another caller's. */
static void test_bad_session_handles(void)
{
  load_mechs();
  CK_SESSION_HANDLE good = open_f(1), closed = open_f(1), gone = open_f(0);
  CK_OBJECT_HANDLE obj, key;
  KT_OK_F(f->C_Login(good, CKU_USER, P(USER_PIN), 4));
  KT_OK_F(mk_data(good, CK_TRUE, CK_FALSE, "victim", &obj));
  KT_OK_F(mk_key(good, CKK_GENERIC_SECRET, 32, &key));
  probe_unsupported(key);
  KT_OK(f->C_CloseSession(closed));
  KT_OK(f->C_CloseSession(gone));
  /* a session opened and closed before others were opened */
  CK_SESSION_HANDLE later = open_f(0);

  expect_bad_session(CK_INVALID_HANDLE, "session 0", obj, key);
  expect_bad_session((CK_SESSION_HANDLE)-1, "session ~0", obj, key);
  expect_bad_session(0x7ffffff3UL, "a random handle", obj, key);
  expect_bad_session(closed, "a closed session", obj, key);
  expect_bad_session(gone, "a closed R/O session", obj, key);
  expect_bad_session((CK_SESSION_HANDLE)obj, "an object handle", obj, key);

  /* another caller's live session (a second function list of this process) */
  if (views_shared) {
    fprintf(stderr, "  note: the module hands out one caller view only: "
                    "the other caller's handles are not tested\n");
  } else {
    CK_SESSION_HANDLE theirs = open_rw(other, slot);
    KT_OK(other->C_Login(theirs, CKU_USER, P(USER_PIN), 4));
    expect_bad_session(theirs, "another caller's session", obj, key);
    CK_SESSION_INFO si;
    KT_OK(other->C_GetSessionInfo(theirs, &si));
    KT_EQ_UL(si.state, CKS_RW_USER_FUNCTIONS);
    KT_OK(other->C_CloseSession(theirs));
  }

  /* nothing happened to the valid session, its object, or its login */
  CK_SESSION_INFO si;
  KT_OK(f->C_GetSessionInfo(good, &si));
  KT_EQ_UL(si.state, CKS_RW_USER_FUNCTIONS);
  char lab[64] = {0};
  CK_ATTRIBUTE la = A(CKA_LABEL, lab, sizeof lab - 1);
  KT_OK(f->C_GetAttributeValue(good, obj, &la, 1));
  KT_CHECK(!strcmp(lab, "victim"), "label unchanged by the bad calls: '%s'",
           lab);
  KT_OK(f->C_GetSessionInfo(later, &si));
  KT_OK(f->C_DestroyObject(good, obj));
  KT_OK(f->C_CloseSession(later));
  KT_OK(f->C_CloseSession(good));
}

/* ------------------------------------------------------------------ */
/* NULL pointers (base 3.0 5.1: CKR_ARGUMENTS_BAD) */

#define BAD(expr) KT_RV(expr, CKR_ARGUMENTS_BAD)
#define BAD_OR_NI(i, expr)                                                \
  do {                                                                    \
    CK_RV r_ = (expr);                                                    \
    KT_CHECK(r_ == CKR_ARGUMENTS_BAD || (unsup(i) && r_ == NI),           \
             "%s: %s, expected CKR_ARGUMENTS_BAD", #expr, kt_rvname(r_)); \
  } while (0)

#define NULL_MECH(i, expr)                                                \
  do {                                                                    \
    CK_RV r_ = (expr);                                                    \
    KT_CHECK(r_ == CKR_OK || r_ == CKR_ARGUMENTS_BAD || (unsup(i) && r_ == NI), \
             "%s: %s, expected CKR_OK (3.0: ends the operation) or "       \
             "CKR_ARGUMENTS_BAD", #expr, kt_rvname(r_));                  \
  } while (0)

static int unsup(const char *name)
{
  for (size_t i = 0; i < N(calls); i++)
    if (!strcmp(calls[i].name, name)) return unsupported[i];
  return 0;
}

static void test_null_pointers(void)
{
  CK_SESSION_HANDLE s = open_f(1), ro = open_f(0);
  CK_OBJECT_HANDLE obj, key, h;
  CK_ULONG n = 0;
  CK_BYTE buf[256];
  CK_MECHANISM mech = {some_mech(CKF_DIGEST), NULL, 0};
  CK_UTF8CHAR label[32];
  load_mechs();
  /* before anyone logs in: "already logged in" would come first */
  BAD(f->C_Login(ro, CKU_USER, NULL, 4));
  BAD(f->C_LoginUser(ro, CKU_USER, NULL, 4, P("u"), 1));
  KT_OK_F(f->C_Login(s, CKU_USER, P(USER_PIN), 4));
  KT_OK_F(mk_data(s, CK_FALSE, CK_FALSE, "nulls", &obj));
  KT_OK_F(mk_key(s, CKK_GENERIC_SECRET, 32, &key));
  probe_unsupported(key);
  kt_pad(label, sizeof label, "never");

  /* general, slot and token functions */
  BAD(f->C_GetInfo(NULL));
  BAD(f->C_GetSlotList(CK_FALSE, NULL, NULL));
  BAD(f->C_GetSlotList(CK_TRUE, (CK_SLOT_ID_PTR)buf, NULL));
  BAD(f->C_GetSlotInfo(slot, NULL));
  BAD(f->C_GetTokenInfo(slot, NULL));
  BAD(f->C_GetMechanismList(slot, NULL, NULL));
  BAD(f->C_GetMechanismInfo(slot, CKM_SHA256, NULL));
  BAD(f->C_InitToken(slot, NULL, 8, label));
  BAD(f->C_InitToken(slot, P(SO_PIN), 8, NULL));
  BAD(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL));
  BAD(f->C_GetSessionInfo(s, NULL));
  BAD(f->C_SetPIN(s, NULL, 4, P("5678"), 4));
  BAD(f->C_SetPIN(s, P(USER_PIN), 4, NULL, 4));
  {
    CK_RV rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL);
    KT_CHECK(rv == CKR_ARGUMENTS_BAD || rv == NI || rv == CKR_NO_EVENT,
             "C_WaitForSlotEvent(NULL slot): %s", kt_rvname(rv));
  }
  BAD(kt_GetFunctionList(NULL));
  if (kt_GetInterfaceList) BAD(kt_GetInterfaceList(NULL, NULL));
  if (kt_GetInterface)
    BAD(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", NULL, NULL, 0));
  BAD_OR_NI("GetOperationState", f->C_GetOperationState(s, buf, NULL));

  /* objects */
  CK_ATTRIBUTE one = AS(CKA_LABEL, "x");
  BAD(f->C_CreateObject(s, NULL, 3, &h));
  BAD(f->C_CreateObject(s, &one, 1, NULL));
  BAD(f->C_CopyObject(s, obj, NULL, 1, &h));
  BAD(f->C_CopyObject(s, obj, &one, 1, NULL));
  BAD(f->C_GetObjectSize(s, obj, NULL));
  BAD(f->C_GetAttributeValue(s, obj, NULL, 1));
  BAD(f->C_SetAttributeValue(s, obj, NULL, 1));
  BAD(f->C_FindObjectsInit(s, NULL, 1));
  KT_RV(f->C_FindObjects(s, (CK_OBJECT_HANDLE_PTR)buf, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
  KT_OK(f->C_FindObjectsInit(s, NULL, 0));
  BAD(f->C_FindObjects(s, NULL, 4, &n));
  BAD(f->C_FindObjects(s, (CK_OBJECT_HANDLE_PTR)buf, 4, NULL));
  /* the search survives a bad call (the spec ends it only at Final) */
  KT_OK(f->C_FindObjects(s, (CK_OBJECT_HANDLE_PTR)buf, 4, &n));
  KT_OK(f->C_FindObjectsFinal(s));
  BAD(f->C_GenerateRandom(s, NULL, 16));
  {
    CK_RV rv = f->C_SeedRandom(s, NULL, 16);
    KT_CHECK(rv == CKR_ARGUMENTS_BAD || rv == CKR_RANDOM_SEED_NOT_SUPPORTED ||
                 rv == NI,
             "C_SeedRandom(NULL, 16): %s", kt_rvname(rv));
  }

  /* cryptographic Init functions with a NULL mechanism: in 3.0 that ends
   * the operation of that kind (base 5.9 ff: "C_EncryptInit can be called
   * with pMechanism set to NULL_PTR to terminate an active encryption
   * operation"); 2.40 said CKR_ARGUMENTS_BAD.  Either way nothing is
   * active afterwards. */
  CK_ULONG ol = sizeof buf;
  NULL_MECH("EncryptInit", f->C_EncryptInit(s, NULL, key));
  KT_RV(f->C_Encrypt(s, buf, 16, buf, &ol), CKR_OPERATION_NOT_INITIALIZED, NI);
  NULL_MECH("DecryptInit", f->C_DecryptInit(s, NULL, key));
  ol = sizeof buf;
  KT_RV(f->C_Decrypt(s, buf, 16, buf, &ol), CKR_OPERATION_NOT_INITIALIZED, NI);
  NULL_MECH("DigestInit", f->C_DigestInit(s, NULL));
  ol = sizeof buf;
  KT_RV(f->C_Digest(s, buf, 16, buf, &ol), CKR_OPERATION_NOT_INITIALIZED, NI);
  NULL_MECH("SignInit", f->C_SignInit(s, NULL, key));
  ol = sizeof buf;
  KT_RV(f->C_Sign(s, buf, 16, buf, &ol), CKR_OPERATION_NOT_INITIALIZED, NI);
  NULL_MECH("VerifyInit", f->C_VerifyInit(s, NULL, key));
  KT_RV(f->C_Verify(s, buf, 16, buf, 32), CKR_OPERATION_NOT_INITIALIZED, NI);
  NULL_MECH("SignRecoverInit", f->C_SignRecoverInit(s, NULL, key));
  NULL_MECH("VerifyRecoverInit", f->C_VerifyRecoverInit(s, NULL, key));
  BAD_OR_NI("GenerateKey", f->C_GenerateKey(s, NULL, NULL, 0, &h));
  BAD_OR_NI("GenerateKeyPair",
            f->C_GenerateKeyPair(s, NULL, NULL, 0, NULL, 0, &h, &h));
  BAD_OR_NI("WrapKey", f->C_WrapKey(s, NULL, key, key, buf, &ol));
  BAD_OR_NI("UnwrapKey", f->C_UnwrapKey(s, NULL, key, buf, 24, NULL, 0, &h));
  BAD_OR_NI("DeriveKey", f->C_DeriveKey(s, NULL, key, NULL, 0, &h));
  NULL_MECH("MessageEncryptInit", f->C_MessageEncryptInit(s, NULL, key));
  NULL_MECH("MessageDecryptInit", f->C_MessageDecryptInit(s, NULL, key));
  NULL_MECH("MessageSignInit", f->C_MessageSignInit(s, NULL, key));
  NULL_MECH("MessageVerifyInit", f->C_MessageVerifyInit(s, NULL, key));

  /* output pointers of key management functions */
  CK_ATTRIBUTE gt[] = {AV(CKA_VALUE_LEN, LEN32), AV(CKA_TOKEN, F)};
  CK_MECHANISM gm = {some_mech(CKF_GENERATE), NULL, 0};
  BAD_OR_NI("GenerateKey", f->C_GenerateKey(s, &gm, gt, N(gt), NULL));
  BAD_OR_NI("GenerateKey", f->C_GenerateKey(s, &gm, NULL, 2, &h));
  CK_MECHANISM wm = {some_mech(CKF_WRAP), NULL, 0};
  BAD_OR_NI("WrapKey", f->C_WrapKey(s, &wm, key, key, buf, NULL));
  BAD_OR_NI("UnwrapKey", f->C_UnwrapKey(s, &wm, key, NULL, 24, gt, 2, &h));
  BAD_OR_NI("UnwrapKey", f->C_UnwrapKey(s, &wm, key, buf, 24, gt, 2, NULL));
  CK_MECHANISM dm = {some_mech(CKF_DERIVE), NULL, 0};
  BAD_OR_NI("DeriveKey", f->C_DeriveKey(s, &dm, key, gt, 2, NULL));

  /* output pointers of running operations: the call fails, and (base
   * 5.8-5.12: "always terminates the active operation unless it returns
   * CKR_BUFFER_TOO_SMALL or is a successful length query") ends the op */
  if (!unsup("DigestInit") && have_mech(mech.mechanism, CKF_DIGEST)) {
    KT_OK(f->C_DigestInit(s, &mech));
    BAD(f->C_Digest(s, buf, 16, buf, NULL));
    KT_OK(f->C_DigestInit(s, &mech));      /* not CKR_OPERATION_ACTIVE */
    BAD(f->C_Digest(s, NULL, 16, buf, &ol));
    KT_OK(f->C_DigestInit(s, &mech));
    BAD(f->C_DigestUpdate(s, NULL, 16));
    KT_OK(f->C_DigestInit(s, &mech));
    KT_OK(f->C_DigestUpdate(s, buf, 16));
    BAD(f->C_DigestFinal(s, buf, NULL));
    KT_RV(f->C_DigestUpdate(s, buf, 16), CKR_OPERATION_NOT_INITIALIZED);
  } else {
    fprintf(stderr, "  note: no digest mechanism yet: digest op rules not "
                    "tested\n");
  }
  KT_OK(f->C_DestroyObject(s, obj));
  KT_OK(f->C_CloseSession(ro));
  KT_OK(f->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
/* slot ids (base 3.0 5.5: CKR_SLOT_ID_INVALID) */
static void test_bad_slots(void)
{
  static const CK_SLOT_ID bad[] = {64, 65, 1000, 0x7fffffffUL, (CK_SLOT_ID)-1};
  CK_SLOT_INFO si;
  CK_TOKEN_INFO ti;
  CK_MECHANISM_INFO mi;
  CK_ULONG n = 0;
  CK_SESSION_HANDLE s;
  CK_UTF8CHAR label[32];
  CK_SLOT_ID free_slot;
  kt_pad(label, sizeof label, "never");
  KT_OK_F(kt_free_slot(&free_slot, NULL));
  for (size_t i = 0; i < N(bad); i++) {
    CK_SLOT_ID b = bad[i];
    if (b == free_slot) continue;
    KT_RV(f->C_GetSlotInfo(b, &si), CKR_SLOT_ID_INVALID);
    KT_RV(f->C_GetTokenInfo(b, &ti), CKR_SLOT_ID_INVALID);
    KT_RV(f->C_GetMechanismList(b, NULL, &n), CKR_SLOT_ID_INVALID);
    KT_RV(f->C_GetMechanismInfo(b, CKM_SHA256, &mi), CKR_SLOT_ID_INVALID);
    KT_RV(f->C_InitToken(b, P(SO_PIN), 8, label), CKR_SLOT_ID_INVALID);
    KT_RV(f->C_OpenSession(b, CKF_SERIAL_SESSION, NULL, NULL, &s),
          CKR_SLOT_ID_INVALID);
    KT_RV(f->C_CloseAllSessions(b), CKR_SLOT_ID_INVALID);
  }
  /* slots between the tokens and the free slot that hold nothing */
  CK_ULONG cnt = 0;
  CK_SLOT_ID *v = kt_slots(&cnt);
  KT_CHECK_F(v != NULL, "slot list");
  for (CK_SLOT_ID sl = 0; sl < 64; sl++) {
    if (kt_contains((CK_OBJECT_HANDLE *)v, cnt, sl)) continue;
    KT_RV(f->C_GetTokenInfo(sl, &ti), CKR_SLOT_ID_INVALID);
    KT_RV(f->C_OpenSession(sl, CKF_SERIAL_SESSION, NULL, NULL, &s),
          CKR_SLOT_ID_INVALID);
  }
  free(v);
  /* C_OpenSession flags: no CKF_SERIAL_SESSION (base 5.6.1) */
  KT_RV(f->C_OpenSession(slot, 0, NULL, NULL, &s),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  KT_RV(f->C_OpenSession(slot, CKF_RW_SESSION, NULL, NULL, &s),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED);
}

/* ------------------------------------------------------------------ */
/* object handles: 0, destroyed, another caller's session object, another
 * token's object, a private object while logged out, a session keyring */

typedef struct {
  CK_OBJECT_HANDLE h;
  const char *what;
} badobj;

static void expect_bad_object(CK_SESSION_HANDLE s, const badobj *b,
                              CK_OBJECT_HANDLE key)
{
  CK_BYTE buf[256];
  CK_ULONG n = 0, ol = sizeof buf;
  CK_OBJECT_HANDLE h;
  CK_ATTRIBUTE la = A(CKA_LABEL, buf, sizeof buf);
  CK_ATTRIBUTE set = AS(CKA_LABEL, "changed");
  const CK_RV OI = CKR_OBJECT_HANDLE_INVALID;

  KT_CHECK(f->C_GetAttributeValue(s, b->h, &la, 1) == OI,
           "C_GetAttributeValue(%s)", b->what);
  KT_CHECK(f->C_SetAttributeValue(s, b->h, &set, 1) == OI,
           "C_SetAttributeValue(%s)", b->what);
  KT_CHECK(f->C_GetObjectSize(s, b->h, &n) == OI, "C_GetObjectSize(%s)",
           b->what);
  KT_CHECK(f->C_CopyObject(s, b->h, NULL, 0, &h) == OI, "C_CopyObject(%s)",
           b->what);
  KT_CHECK(f->C_DestroyObject(s, b->h) == OI, "C_DestroyObject(%s)", b->what);

  /* as a key: CKR_KEY_HANDLE_INVALID (or the function's own code) */
  struct {
    const char *fn;
    CK_FLAGS flag;
    int kind;
  } k[] = {{"EncryptInit", CKF_ENCRYPT, 0}, {"DecryptInit", CKF_DECRYPT, 1},
           {"SignInit", CKF_SIGN, 2},       {"VerifyInit", CKF_VERIFY, 3},
           {"WrapKey", CKF_WRAP, 4},        {"UnwrapKey", CKF_UNWRAP, 5},
           {"DeriveKey", CKF_DERIVE, 6},    {"DigestKey", CKF_DIGEST, 7}};
  for (size_t i = 0; i < N(k); i++) {
    CK_MECHANISM m = {some_mech(k[i].flag), NULL, 0};
    int have = have_mech(m.mechanism, k[i].flag);
    CK_RV rv, want = CKR_KEY_HANDLE_INVALID, want2 = CKR_KEY_HANDLE_INVALID;
    CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_GENERIC),
                        AV(CKA_VALUE_LEN, LEN32), AV(CKA_TOKEN, F)};
    switch (k[i].kind) {
    case 0: rv = f->C_EncryptInit(s, &m, b->h); break;
    case 1: rv = f->C_DecryptInit(s, &m, b->h); break;
    case 2: rv = f->C_SignInit(s, &m, b->h); break;
    case 3: rv = f->C_VerifyInit(s, &m, b->h); break;
    case 4:
      /* as the wrapping key, then as the key to wrap */
      ol = sizeof buf;
      rv = f->C_WrapKey(s, &m, b->h, key, buf, &ol);
      want = CKR_WRAPPING_KEY_HANDLE_INVALID;
      if (rv == want || (!have && rv == CKR_MECHANISM_INVALID)) {
        ol = sizeof buf;
        rv = f->C_WrapKey(s, &m, key, b->h, buf, &ol);
        want = CKR_KEY_HANDLE_INVALID;
        /* a key that cannot wrap may be refused first */
        want2 = CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
      }
      break;
    case 5:
      rv = f->C_UnwrapKey(s, &m, b->h, buf, 24, t, N(t), &h);
      want = want2 = CKR_UNWRAPPING_KEY_HANDLE_INVALID;
      break;
    case 6: rv = f->C_DeriveKey(s, &m, b->h, t, N(t), &h); break;
    default:
      if (!have) continue;
      rv = f->C_DigestInit(s, &m);
      if (rv != CKR_OK) continue;
      rv = f->C_DigestKey(s, b->h);
      /* an error ends the digest; make sure for the next round */
      (void)f->C_DigestFinal(s, buf, &ol);
      break;
    }
    int ok = rv == want || rv == want2 || (!have && rv == CKR_MECHANISM_INVALID) ||
             (unsup(k[i].fn) && rv == NI);
    KT_CHECK(ok, "C_%s with %s as the key: %s, expected %s", k[i].fn, b->what,
             kt_rvname(rv), kt_rvname(want));
    if (rv == CKR_OK) /* the op must not run on it: clean up */
      f->C_SessionCancel(s, CKF_ENCRYPT | CKF_DECRYPT | CKF_SIGN | CKF_VERIFY |
                                CKF_DIGEST);
  }
}

static void test_bad_object_handles(void)
{
  CK_SESSION_HANDLE s = open_f(1), s2;
  CK_OBJECT_HANDLE key, dead, priv, elsewhere, theirs = 0;
  load_mechs();
  KT_OK_F(f->C_Login(s, CKU_USER, P(USER_PIN), 4));
  /* not private: it must stay usable after the logout below */
  KT_OK_F(mk_key_p(s, CKK_AES, 32, CK_FALSE, &key));
  probe_unsupported(key);
  KT_OK_F(mk_data(s, CK_TRUE, CK_FALSE, "to-destroy", &dead));
  KT_OK(f->C_DestroyObject(s, dead));
  KT_OK_F(mk_data(s, CK_TRUE, CK_TRUE, "private-one", &priv));
  s2 = open_rw((CK_FUNCTION_LIST_PTR)f, slot2);
  KT_OK_F(mk_data(s2, CK_TRUE, CK_FALSE, "on-token-2", &elsewhere));
  KT_OK(f->C_CloseSession(s2));

  badobj list[8];
  size_t nb = 0;
  list[nb++] = (badobj){CK_INVALID_HANDLE, "handle 0"};
  list[nb++] = (badobj){dead, "a destroyed object"};
  list[nb++] = (badobj){elsewhere, "another token's object"};
  list[nb++] = (badobj){(CK_OBJECT_HANDLE)s, "the session handle"};
  list[nb++] = (badobj){(CK_OBJECT_HANDLE)1 << 40, "a handle above 2^32"};
  if (!views_shared) {
    CK_SESSION_HANDLE os = open_rw(other, slot);
    KT_OK(other->C_Login(os, CKU_USER, P(USER_PIN), 4));
    CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_GENERIC),
                        AV(CKA_TOKEN, F), A(CKA_VALUE, KEY32, 32)};
    KT_OK(other->C_CreateObject(os, t, N(t), &theirs));
    list[nb++] = (badobj){theirs, "another caller's session key"};
    for (size_t i = 0; i < nb; i++) expect_bad_object(s, &list[i], key);
    /* their key is intact */
    CK_BYTE v[32];
    CK_ATTRIBUTE va = A(CKA_VALUE, v, sizeof v);
    KT_OK(other->C_GetAttributeValue(os, theirs, &va, 1));
    KT_CHECK(!memcmp(v, KEY32, 32), "the other caller's key is unchanged");
    KT_OK(other->C_CloseSession(os));
  } else {
    for (size_t i = 0; i < nb; i++) expect_bad_object(s, &list[i], key);
  }
  /* logged out, the private object is as good as absent (base 4.1.2) */
  KT_OK(f->C_Logout(s));
  badobj p = {priv, "a private object while logged out"};
  expect_bad_object(s, &p, key);
  KT_OK(f->C_Login(s, CKU_USER, P(USER_PIN), 4));
  KT_OK(f->C_DestroyObject(s, priv));
  s2 = open_rw((CK_FUNCTION_LIST_PTR)f, slot2);
  KT_OK(f->C_DestroyObject(s2, elsewhere));
  KT_OK(f->C_CloseSession(s2));
  KT_OK(f->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
/* wrong object classes as keys */
static void test_wrong_classes(void)
{
  CK_SESSION_HANDLE s = open_f(1);
  CK_OBJECT_HANDLE data, gen, aes = 0;
  CK_BYTE buf[64];
  CK_ULONG ol = sizeof buf;
  load_mechs();
  KT_OK_F(f->C_Login(s, CKU_USER, P(USER_PIN), 4));
  KT_OK_F(mk_data(s, CK_FALSE, CK_FALSE, "not a key", &data));
  KT_OK_F(mk_key(s, CKK_GENERIC_SECRET, 32, &gen));
  (void)mk_key(s, CKK_AES, 32, &aes);
  probe_unsupported(gen);
  int tested = 0;
  for (CK_ULONG i = 0; i < nmechs; i++) {
    CK_MECHANISM_INFO mi;
    CK_MECHANISM m = {mechs[i], NULL, 0};
    if (f->C_GetMechanismInfo(slot, mechs[i], &mi) != CKR_OK) continue;
    /* a data object is never a key: CKR_KEY_HANDLE_INVALID, or the
     * parameter check first (the spec does not order them) */
    const CK_RV ok1[] = {CKR_KEY_HANDLE_INVALID, CKR_MECHANISM_PARAM_INVALID,
                         CKR_ARGUMENTS_BAD, CKR_KEY_TYPE_INCONSISTENT};
    CK_RV rv;
    if (mi.flags & CKF_ENCRYPT) {
      rv = f->C_EncryptInit(s, &m, data);
      KT_CHECK(rv != CKR_OK && rv_in(rv, ok1, N(ok1)),
               "C_EncryptInit(0x%lx, data object): %s", mechs[i], kt_rvname(rv));
      tested++;
    }
    if (mi.flags & CKF_SIGN) {
      rv = f->C_SignInit(s, &m, data);
      KT_CHECK(rv != CKR_OK && rv_in(rv, ok1, N(ok1)),
               "C_SignInit(0x%lx, data object): %s", mechs[i], kt_rvname(rv));
      tested++;
    }
    if (mi.flags & CKF_DIGEST) {
      if (f->C_DigestInit(s, &m) == CKR_OK) {
        rv = f->C_DigestKey(s, data);
        KT_CHECK(rv == CKR_KEY_HANDLE_INVALID || rv == CKR_KEY_INDIGESTIBLE,
                 "C_DigestKey(0x%lx, data object): %s", mechs[i], kt_rvname(rv));
        ol = sizeof buf;
        (void)f->C_DigestFinal(s, buf, &ol);
        tested++;
      }
    }
  }
  if (!tested)
    fprintf(stderr, "  note: no mechanisms yet: class checks not run\n");
  KT_OK(f->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
/* Mechanism parameters of the wrong size, for every mechanism the module
 * lists now: pParameter NULL with ulParameterLen 16, and a 1-byte
 * parameter.  Allowed: CKR_MECHANISM_PARAM_INVALID or CKR_ARGUMENTS_BAD
 * ("reached"); a key or template refusal when the candidate key does not
 * suit the mechanism ("blocked"); never CKR_OK, never anything else.
 * After a failed Init the operation is not active. */

typedef struct {
  CK_OBJECT_HANDLE h;
  const char *what;
} cand;

static const CK_RV blocked_rvs[] = {
    CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED,
    CKR_KEY_SIZE_RANGE, CKR_KEY_HANDLE_INVALID, CKR_TEMPLATE_INCOMPLETE,
    CKR_TEMPLATE_INCONSISTENT, CKR_ATTRIBUTE_VALUE_INVALID,
    CKR_WRAPPING_KEY_TYPE_INCONSISTENT, CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
    CKR_WRAPPING_KEY_SIZE_RANGE, CKR_UNWRAPPING_KEY_SIZE_RANGE,
    CKR_KEY_NOT_WRAPPABLE, CKR_CURVE_NOT_SUPPORTED, CKR_DOMAIN_PARAMS_INVALID,
    CKR_USER_NOT_LOGGED_IN,
};

/* the follow-up call that must say "not initialized" */
static CK_RV still_active(CK_SESSION_HANDLE s, CK_FLAGS fn)
{
  CK_BYTE in[32] = {0}, out[1024];
  CK_ULONG ol = sizeof out;
  switch (fn) {
  case CKF_ENCRYPT: return f->C_Encrypt(s, in, 16, out, &ol);
  case CKF_DECRYPT: return f->C_Decrypt(s, in, 16, out, &ol);
  case CKF_SIGN: return f->C_Sign(s, in, 16, out, &ol);
  case CKF_VERIFY: return f->C_Verify(s, in, 16, out, 32);
  case CKF_DIGEST: return f->C_Digest(s, in, 16, out, &ol);
  case CKF_MESSAGE_ENCRYPT:
    return f->C_EncryptMessage(s, in, 12, NULL, 0, in, 16, out, &ol);
  case CKF_MESSAGE_DECRYPT:
    return f->C_DecryptMessage(s, in, 12, NULL, 0, in, 16, out, &ol);
  case CKF_MESSAGE_SIGN: return f->C_SignMessage(s, NULL, 0, in, 16, out, &ol);
  case CKF_MESSAGE_VERIFY:
    return f->C_VerifyMessage(s, NULL, 0, in, 16, out, 32);
  default: return CKR_OPERATION_NOT_INITIALIZED;
  }
}

/* key pairs the parameter walk generates, with what each generator needs */
static const CK_BYTE OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE OID_ED25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const CK_BYTE OID_X25519[] = {0x06, 0x03, 0x2b, 0x65, 0x6e};
static const CK_ULONG RSA_BITS = 2048;
static const CK_BYTE E65537[] = {1, 0, 1};
static const struct {
  CK_MECHANISM_TYPE m;
  CK_ATTRIBUTE a, a2;
  const char *what;
} kp[] = {
    {CKM_RSA_PKCS_KEY_PAIR_GEN, AV(CKA_MODULUS_BITS, RSA_BITS),
     A(CKA_PUBLIC_EXPONENT, E65537, 3), "RSA-2048"},
    {CKM_EC_KEY_PAIR_GEN, A(CKA_EC_PARAMS, OID_P256, sizeof OID_P256),
     AV(CKA_TOKEN, F), "EC P-256"},
    {CKM_EC_EDWARDS_KEY_PAIR_GEN,
     A(CKA_EC_PARAMS, OID_ED25519, sizeof OID_ED25519), AV(CKA_TOKEN, F),
     "Ed25519"},
    {CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
     A(CKA_EC_PARAMS, OID_X25519, sizeof OID_X25519), AV(CKA_TOKEN, F),
     "X25519"},
};

static CK_RV gen_pair(CK_SESSION_HANDLE s, size_t i, CK_MECHANISM *m,
                      CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *prv)
{
  CK_ATTRIBUTE pt[] = {kp[i].a, kp[i].a2, AV(CKA_TOKEN, F)};
  /* derive for ECDH / X25519; refused for key types without it is fine */
  CK_ATTRIBUTE vt[] = {AV(CKA_TOKEN, F), AV(CKA_DERIVE, T)};
  CK_ULONG nv = kp[i].m == CKM_RSA_PKCS_KEY_PAIR_GEN ||
                        kp[i].m == CKM_EC_EDWARDS_KEY_PAIR_GEN ? 1 : 2;
  return f->C_GenerateKeyPair(s, m, pt, N(pt), vt, nv, pub, prv);
}

static CK_RV call_with(CK_SESSION_HANDLE s, CK_FLAGS fn, CK_MECHANISM *m,
                       CK_OBJECT_HANDLE key, CK_OBJECT_HANDLE other_key)
{
  CK_BYTE buf[512];
  CK_ULONG ol = sizeof buf;
  CK_OBJECT_HANDLE h, h2;
  CK_ATTRIBUTE gt[] = {AV(CKA_VALUE_LEN, LEN32), AV(CKA_TOKEN, F)};
  CK_ATTRIBUTE ut[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_GENERIC),
                       AV(CKA_TOKEN, F)};
  CK_ATTRIBUTE dt[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_GENERIC),
                       AV(CKA_VALUE_LEN, LEN32), AV(CKA_TOKEN, F)};
  CK_ATTRIBUTE pub[] = {AV(CKA_TOKEN, F)}, prv[] = {AV(CKA_TOKEN, F)};
  memset(buf, 0x42, sizeof buf);
  switch (fn) {
  case CKF_ENCRYPT: return f->C_EncryptInit(s, m, key);
  case CKF_DECRYPT: return f->C_DecryptInit(s, m, key);
  case CKF_SIGN: return f->C_SignInit(s, m, key);
  case CKF_VERIFY: return f->C_VerifyInit(s, m, key);
  case CKF_DIGEST: return f->C_DigestInit(s, m);
  case CKF_GENERATE: return f->C_GenerateKey(s, m, gt, N(gt), &h);
  case CKF_GENERATE_KEY_PAIR:
    for (size_t i = 0; i < N(kp); i++)
      if (kp[i].m == m->mechanism) return gen_pair(s, i, m, &h, &h2);
    return f->C_GenerateKeyPair(s, m, pub, N(pub), prv, N(prv), &h, &h2);
  case CKF_WRAP: return f->C_WrapKey(s, m, key, other_key, buf, &ol);
  case CKF_UNWRAP: return f->C_UnwrapKey(s, m, key, buf, 40, ut, N(ut), &h);
  case CKF_DERIVE: return f->C_DeriveKey(s, m, key, dt, N(dt), &h);
  case CKF_MESSAGE_ENCRYPT: return f->C_MessageEncryptInit(s, m, key);
  case CKF_MESSAGE_DECRYPT: return f->C_MessageDecryptInit(s, m, key);
  case CKF_MESSAGE_SIGN: return f->C_MessageSignInit(s, m, key);
  case CKF_MESSAGE_VERIFY: return f->C_MessageVerifyInit(s, m, key);
  }
  return CKR_GENERAL_ERROR;
}

static void make_candidates(CK_SESSION_HANDLE s, cand *c, size_t *n)
{
  CK_OBJECT_HANDLE h, pub, prv;
  *n = 0;
  if (mk_key(s, CKK_GENERIC_SECRET, 32, &h) == CKR_OK)
    c[(*n)++] = (cand){h, "generic secret (32)"};
  if (mk_key(s, CKK_AES, 16, &h) == CKR_OK) c[(*n)++] = (cand){h, "AES-128"};
  if (mk_key(s, CKK_AES, 32, &h) == CKR_OK) c[(*n)++] = (cand){h, "AES-256"};
  if (mk_key(s, CKK_SHA256_HMAC, 32, &h) == CKR_OK)
    c[(*n)++] = (cand){h, "SHA256-HMAC key"};
  if (mk_key(s, CKK_HKDF, 32, &h) == CKR_OK) c[(*n)++] = (cand){h, "HKDF key"};
  for (size_t i = 0; i < N(kp); i++) {
    if (!have_mech(kp[i].m, CKF_GENERATE_KEY_PAIR)) continue;
    CK_MECHANISM m = {kp[i].m, NULL, 0};
    CK_RV rv = gen_pair(s, i, &m, &pub, &prv);
    if (rv != CKR_OK) {
      fprintf(stderr, "  note: C_GenerateKeyPair(%s): %s\n", kp[i].what,
              kt_rvname(rv));
      continue;
    }
    c[(*n)++] = (cand){pub, kp[i].what};
    c[(*n)++] = (cand){prv, kp[i].what};
  }
}

static void test_mechanism_params(void)
{
  static const CK_FLAGS fns[] = {
      CKF_ENCRYPT, CKF_DECRYPT, CKF_SIGN, CKF_VERIFY, CKF_DIGEST,
      CKF_GENERATE, CKF_GENERATE_KEY_PAIR, CKF_WRAP, CKF_UNWRAP, CKF_DERIVE,
      CKF_MESSAGE_ENCRYPT, CKF_MESSAGE_DECRYPT, CKF_MESSAGE_SIGN,
      CKF_MESSAGE_VERIFY};
  CK_SESSION_HANDLE s = open_f(1);
  cand c[16];
  size_t nc = 0;
  int combos = 0, reached = 0, notreached = 0;
  load_mechs();
  KT_OK_F(f->C_Login(s, CKU_USER, P(USER_PIN), 4));
  if (nmechs == 0) {
    fprintf(stderr, "  note: C_GetMechanismList is empty: nothing to test\n");
    KT_OK(f->C_CloseSession(s));
    return;
  }
  make_candidates(s, c, &nc);
  KT_CHECK_F(nc > 0, "no candidate keys could be made");
  alarm(120); /* many calls; RSA/EC key generation included */

  CK_BYTE one = 0x01;
  for (CK_ULONG i = 0; i < nmechs; i++) {
    CK_MECHANISM_INFO mi;
    if (!KT_OK(f->C_GetMechanismInfo(slot, mechs[i], &mi))) continue;
    for (size_t k = 0; k < N(fns); k++) {
      if (!(mi.flags & fns[k])) continue;
      int keyless = fns[k] == CKF_DIGEST || fns[k] == CKF_GENERATE ||
                    fns[k] == CKF_GENERATE_KEY_PAIR;
      for (int form = 0; form < 2; form++) {
        CK_MECHANISM m = {mechs[i], form ? &one : NULL, form ? 1 : 16};
        int hit = 0, anyok = 0;
        char seen[512] = "";
        size_t used = 0;
        for (size_t j = 0; j < (keyless ? 1 : nc); j++) {
          CK_OBJECT_HANDLE key = keyless ? 0 : c[j].h;
          CK_OBJECT_HANDLE other_key = c[0].h;
          CK_RV rv = call_with(s, fns[k], &m, key, other_key);
          combos++;
          if (rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD) {
            hit = 1;
          } else if (!rv_in(rv, blocked_rvs, N(blocked_rvs))) {
            anyok |= rv == CKR_OK;
            KT_CHECK(0, "mechanism 0x%lx, function 0x%lx, %s parameter, "
                     "key %s: %s (expected CKR_MECHANISM_PARAM_INVALID)",
                     mechs[i], fns[k], form ? "1-byte" : "NULL/16-byte",
                     keyless ? "-" : c[j].what, kt_rvname(rv));
          }
          if (used < sizeof seen - 64)
            used += snprintf(seen + used, sizeof seen - used, " %s=%s",
                             keyless ? "-" : c[j].what, kt_rvname(rv));
          /* a failed Init leaves nothing active */
          if (rv != CKR_OK) {
            CK_RV a = still_active(s, fns[k]);
            KT_CHECK(a == CKR_OPERATION_NOT_INITIALIZED,
                     "after a failed init (mechanism 0x%lx, function 0x%lx): "
                     "follow-up call gives %s, expected "
                     "CKR_OPERATION_NOT_INITIALIZED", mechs[i], fns[k],
                     kt_rvname(a));
          } else {
            (void)f->C_SessionCancel(s, fns[k]);
          }
          if (hit) break;
        }
        if (hit) reached++;
        else if (!anyok) {
          notreached++;
          fprintf(stderr, "  note: 0x%lx fn 0x%lx: no candidate key reached "
                  "the parameter check:%s\n", mechs[i], fns[k], seen);
        }
      }
    }
  }
  fprintf(stderr, "  %lu mechanisms, %d calls: %d (mechanism, function, "
          "parameter) cases reached the parameter check, %d were stopped "
          "by the key first\n", (unsigned long)nmechs, combos, reached,
          notreached);
  KT_OK(f->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
/* Operations after errors, with the mechanisms every build has once the
 * crypto is in (skipped with a note until then). */
static void test_operation_state(void)
{
  CK_SESSION_HANDLE s = open_f(1);
  CK_OBJECT_HANDLE gen, aes;
  CK_BYTE in[32], out[256];
  CK_ULONG ol;
  load_mechs();
  memset(in, 7, sizeof in);
  KT_OK_F(f->C_Login(s, CKU_USER, P(USER_PIN), 4));
  KT_OK_F(mk_key(s, CKK_GENERIC_SECRET, 32, &gen));
  /* find: active until Final, whatever goes wrong in between */
  KT_OK(f->C_FindObjectsInit(s, NULL, 0));
  KT_RV(f->C_FindObjectsInit(s, NULL, 0), CKR_OPERATION_ACTIVE);
  KT_RV(f->C_FindObjects(s, NULL, 1, &ol), CKR_ARGUMENTS_BAD);
  KT_OK(f->C_FindObjects(s, (CK_OBJECT_HANDLE_PTR)out, 0, &ol));
  KT_EQ_UL(ol, 0);
  KT_OK(f->C_FindObjectsFinal(s));
  KT_RV(f->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
  /* a failed FindObjectsInit leaves nothing */
  CK_ATTRIBUTE bad = {CKA_LABEL, NULL, 5};
  {
    CK_RV rv = f->C_FindObjectsInit(s, &bad, 1);
    if (rv == CKR_OK) {
      KT_OK(f->C_FindObjectsFinal(s)); /* a search that matches nothing */
    } else {
      KT_RV(f->C_FindObjects(s, (CK_OBJECT_HANDLE_PTR)out, 1, &ol),
            CKR_OPERATION_NOT_INITIALIZED);
    }
  }
  /* C_SessionCancel ends every kind it names, even inactive ones */
  KT_OK(f->C_FindObjectsInit(s, NULL, 0));
  KT_OK(f->C_SessionCancel(s, CKF_FIND_OBJECTS | CKF_ENCRYPT | CKF_SIGN));
  KT_RV(f->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);

  int did = 0;
  /* digest: BUFFER_TOO_SMALL and the length query keep it, errors end it */
  if (have_mech(CKM_SHA256, CKF_DIGEST)) {
    CK_MECHANISM m = {CKM_SHA256, NULL, 0};
    did++;
    KT_OK(f->C_DigestInit(s, &m));
    KT_RV(f->C_DigestInit(s, &m), CKR_OPERATION_ACTIVE);
    ol = 0;
    KT_OK(f->C_Digest(s, in, 32, NULL, &ol));
    KT_EQ_UL(ol, 32);
    ol = 31;
    KT_RV(f->C_Digest(s, in, 32, out, &ol), CKR_BUFFER_TOO_SMALL);
    KT_EQ_UL(ol, 32);
    ol = sizeof out;
    KT_OK(f->C_Digest(s, in, 32, out, &ol));
    ol = sizeof out;
    KT_RV(f->C_Digest(s, in, 32, out, &ol), CKR_OPERATION_NOT_INITIALIZED);
    KT_OK(f->C_DigestInit(s, &m));
    KT_OK(f->C_DigestUpdate(s, in, 16));
    ol = sizeof out;
    KT_RV(f->C_Digest(s, in, 16, out, &ol), CKR_OPERATION_ACTIVE,
          CKR_FUNCTION_FAILED, CKR_OPERATION_NOT_INITIALIZED);
    (void)f->C_SessionCancel(s, CKF_DIGEST);
    /* 3.0: Init with a NULL mechanism ends the operation */
    KT_OK(f->C_DigestInit(s, &m));
    KT_OK(f->C_DigestInit(s, NULL));
    KT_RV(f->C_DigestUpdate(s, in, 16), CKR_OPERATION_NOT_INITIALIZED);
    KT_OK(f->C_DigestInit(s, &m));
    KT_RV(f->C_DigestKey(s, 0x7ffffff5UL), CKR_KEY_HANDLE_INVALID,
          CKR_OBJECT_HANDLE_INVALID);
    KT_OK(f->C_DigestInit(s, &m)); /* the error ended it */
    (void)f->C_SessionCancel(s, CKF_DIGEST);
  }
  /* sign: HMAC with a generic secret */
  if (have_mech(CKM_SHA256_HMAC, CKF_SIGN)) {
    CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
    did++;
    KT_OK(f->C_SignInit(s, &m, gen));
    KT_RV(f->C_SignInit(s, &m, gen), CKR_OPERATION_ACTIVE);
    ol = 1;
    KT_RV(f->C_Sign(s, in, 32, out, &ol), CKR_BUFFER_TOO_SMALL);
    ol = sizeof out;
    KT_OK(f->C_Sign(s, in, 32, out, &ol));
    KT_EQ_UL(ol, 32);
    KT_OK(f->C_SignInit(s, &m, gen));
    KT_RV(f->C_SignUpdate(s, NULL, 5), CKR_ARGUMENTS_BAD);
    KT_OK(f->C_SignInit(s, &m, gen)); /* the error ended it */
    KT_OK(f->C_SignUpdate(s, in, 5));
    KT_RV(f->C_SignFinal(s, out, NULL), CKR_ARGUMENTS_BAD);
    KT_RV(f->C_SignUpdate(s, in, 5), CKR_OPERATION_NOT_INITIALIZED);
    /* verify with a signature of the wrong length: an answer, then over */
    KT_OK(f->C_VerifyInit(s, &m, gen));
    KT_RV(f->C_Verify(s, in, 32, out, 31), CKR_SIGNATURE_LEN_RANGE,
          CKR_SIGNATURE_INVALID);
    KT_RV(f->C_Verify(s, in, 32, out, 32), CKR_OPERATION_NOT_INITIALIZED);
  }
  /* encrypt: AES-ECB, data of the wrong length */
  if (have_mech(CKM_AES_ECB, CKF_ENCRYPT) &&
      mk_key(s, CKK_AES, 16, &aes) == CKR_OK) {
    CK_MECHANISM m = {CKM_AES_ECB, NULL, 0};
    did++;
    KT_OK(f->C_EncryptInit(s, &m, aes));
    ol = sizeof out;
    KT_RV(f->C_Encrypt(s, in, 15, out, &ol), CKR_DATA_LEN_RANGE);
    KT_OK(f->C_EncryptInit(s, &m, aes)); /* ended by the error */
    ol = 0;
    KT_OK(f->C_Encrypt(s, in, 32, NULL, &ol));
    KT_EQ_UL(ol, 32);
    ol = 16;
    KT_RV(f->C_Encrypt(s, in, 32, out, &ol), CKR_BUFFER_TOO_SMALL);
    ol = sizeof out;
    KT_OK(f->C_Encrypt(s, in, 32, out, &ol));
    KT_OK(f->C_DecryptInit(s, &m, aes));
    ol = sizeof out;
    KT_RV(f->C_Decrypt(s, out, 17, in, &ol), CKR_ENCRYPTED_DATA_LEN_RANGE);
    ol = sizeof out;
    KT_RV(f->C_Decrypt(s, out, 32, in, &ol), CKR_OPERATION_NOT_INITIALIZED);
    /* two operation kinds at once are allowed (dual functions) */
    KT_OK(f->C_EncryptInit(s, &m, aes));
    KT_OK(f->C_DecryptInit(s, &m, aes));
    (void)f->C_SessionCancel(s, CKF_ENCRYPT | CKF_DECRYPT);
  }
  if (!did)
    fprintf(stderr, "  note: SHA256 / SHA256-HMAC / AES-ECB not offered yet: "
                    "operation rules after errors only checked for find\n");
  KT_OK(f->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
/* zero and huge lengths */
static void test_lengths(void)
{
  CK_SESSION_HANDLE s = open_f(1), ro = open_f(0);
  CK_OBJECT_HANDLE h;
  CK_ULONG n;
  CK_STATE st = 0;
  size_t big = 1u << 20;
  CK_BYTE *huge = malloc(big);
  KT_CHECK_F(huge != NULL, "malloc");
  memset(huge, '1', big);

  /* PINs: empty, too short, too long, 1 MiB, and lengths a 32-bit int
   * would truncate to the right PIN -- none may log in, none may crash */
  static const CK_ULONG plen[] = {0, 3, 65, 1u << 20};
  for (size_t i = 0; i < N(plen); i++) {
    CK_RV rv = f->C_Login(ro, CKU_USER, huge, plen[i]);
    KT_CHECK(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE,
             "C_Login with a %lu-byte PIN: %s", plen[i], kt_rvname(rv));
  }
  static const CK_ULONG trunc[] = {
      (CK_ULONG)-1, ((CK_ULONG)1 << 32) + 4, ((CK_ULONG)1 << 31) + 4};
  for (size_t i = 0; i < N(trunc); i++) {
    /* "1234" with a length that is not 4: a module that never reads a PIN
     * longer than its maximum does not read past the 5 bytes either */
    CK_RV rv = f->C_Login(ro, CKU_USER, P(USER_PIN), trunc[i]);
    KT_CHECK(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE,
             "C_Login(\"1234\", length 0x%lx) = %s: must not log in", trunc[i],
             kt_rvname(rv));
    if (rv == CKR_OK) KT_OK(f->C_Logout(ro));
  }
  KT_OK(kt_state_f(ro, &st));
  KT_EQ_UL(st, CKS_RO_PUBLIC_SESSION);
  KT_OK(f->C_Login(ro, CKU_USER, P(USER_PIN), 4)); /* resets the counter */
  KT_OK(f->C_Logout(ro));
  KT_OK(f->C_CloseSession(ro));                   /* the SO needs no R/O one */
  KT_RV(f->C_InitPIN(s, huge, 4), CKR_USER_NOT_LOGGED_IN);
  KT_OK(f->C_Login(s, CKU_SO, P(SO_PIN), 8));
  KT_RV(f->C_InitPIN(s, huge, 0), CKR_PIN_LEN_RANGE, CKR_PIN_INVALID);
  KT_RV(f->C_InitPIN(s, huge, 65), CKR_PIN_LEN_RANGE, CKR_PIN_INVALID);
  KT_RV(f->C_InitPIN(s, huge, big), CKR_PIN_LEN_RANGE, CKR_PIN_INVALID);
  KT_RV(f->C_SetPIN(s, P(SO_PIN), 8, huge, big), CKR_PIN_LEN_RANGE,
        CKR_PIN_INVALID);
  KT_RV(f->C_SetPIN(s, huge, big, P(SO_PIN), 8), CKR_PIN_INCORRECT,
        CKR_PIN_LEN_RANGE);
  KT_OK(f->C_Logout(s));
  KT_OK(f->C_Login(s, CKU_SO, P(SO_PIN), 8)); /* the SO PIN still works */
  KT_OK(f->C_Logout(s));
  KT_OK(f->C_Login(s, CKU_USER, P(USER_PIN), 4));

  /* random: 0 bytes and 1 MiB */
  KT_OK(f->C_GenerateRandom(s, huge, 0));
  huge[0] = 0x11;
  huge[big - 1] = 0x11;
  KT_OK(f->C_GenerateRandom(s, huge, big));
  KT_OK(f->C_GenerateRandom(s, NULL, 0));

  /* templates: no attributes, attribute lengths with a NULL value */
  KT_RV(f->C_CreateObject(s, (CK_ATTRIBUTE_PTR)huge, 0, &h), CKR_TEMPLATE_INCOMPLETE);
  KT_RV(f->C_CreateObject(s, NULL, 0, &h), CKR_TEMPLATE_INCOMPLETE);
  {
    CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), {CKA_LABEL, NULL, 1u << 30}};
    KT_RV(f->C_CreateObject(s, t, N(t), &h), CKR_ATTRIBUTE_VALUE_INVALID);
    CK_ATTRIBUTE t2[] = {AV(CKA_CLASS, C_DATA), {CKA_VALUE, NULL, (CK_ULONG)-1}};
    KT_RV(f->C_CreateObject(s, t2, N(t2), &h), CKR_ATTRIBUTE_VALUE_INVALID);
    CK_ATTRIBUTE t3[] = {{CKA_CLASS, NULL, sizeof(CK_ULONG)}};
    KT_RV(f->C_CreateObject(s, t3, N(t3), &h), CKR_ATTRIBUTE_VALUE_INVALID,
          CKR_TEMPLATE_INCOMPLETE);
    CK_ATTRIBUTE t4[] = {{CKA_CLASS, (void *)&C_DATA, 3}};
    KT_RV(f->C_CreateObject(s, t4, N(t4), &h), CKR_ATTRIBUTE_VALUE_INVALID);
  }
  /* values: just under a kernel key's limit, and over it (token and
   * session objects): an answer, never a crash or CKR_GENERAL_ERROR */
  static const CK_ULONG vlen[] = {32000, 40000, 70000, 1u << 20};
  for (size_t i = 0; i < N(vlen); i++) {
    for (int tok = 0; tok < 2; tok++) {
      CK_BBOOL tb = tok ? CK_TRUE : CK_FALSE;
      CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, tb),
                          AS(CKA_LABEL, "big"), A(CKA_VALUE, huge, vlen[i])};
      CK_RV rv = f->C_CreateObject(s, t, N(t), &h);
      KT_CHECK(rv == CKR_OK || rv == CKR_DEVICE_MEMORY ||
                   rv == CKR_ATTRIBUTE_VALUE_INVALID,
               "%s object with a %lu-byte value: %s", tok ? "token" : "session",
               vlen[i], kt_rvname(rv));
      if (vlen[i] <= 32000)
        KT_CHECK(rv == CKR_OK, "a 32000-byte value fits (%s)", kt_rvname(rv));
      if (rv == CKR_OK) {
        CK_ATTRIBUTE va = {CKA_VALUE, NULL, 0};
        KT_OK(f->C_GetAttributeValue(s, h, &va, 1));
        KT_EQ_UL(va.ulValueLen, vlen[i]);
        KT_OK(f->C_DestroyObject(s, h));
      }
    }
  }
  /* a change that makes a token object too big: refused, and nothing of it
   * reaches the disk (seen after a reload of the token from its files) */
  {
    CK_OBJECT_HANDLE tk;
    KT_OK_F(mk_data(s, CK_TRUE, CK_FALSE, "stays small", &tk));
    CK_ATTRIBUTE big = A(CKA_LABEL, huge, 40000);
    CK_RV rv = f->C_SetAttributeValue(s, tk, &big, 1);
    KT_CHECK(rv == CKR_DEVICE_MEMORY || rv == CKR_ATTRIBUTE_VALUE_INVALID,
             "a 40000-byte label on a token object: %s", kt_rvname(rv));
    key_serial_t tr = kt_token_keyring(slot);
    KT_CHECK(tr > 0 && keyctl_clear(tr) == 0, "clear the token keyring");
    CK_OBJECT_HANDLE found[4];
    CK_ULONG nf = 0;
    CK_ATTRIBUTE q = AS(CKA_LABEL, "stays small");
    KT_OK(kt_find_f(s, &q, 1, found, 4, &nf));
    KT_CHECK(nf == 1, "after a reload from disk the object keeps its label "
             "(%lu found)", nf);
    if (nf == 1) KT_OK(f->C_DestroyObject(s, found[0]));
  }
  /* reads: no attributes, a huge length with no buffer (a length query) */
  KT_OK_F(mk_data(s, CK_FALSE, CK_FALSE, "len", &h));
  KT_OK(f->C_GetAttributeValue(s, h, NULL, 0));
  {
    CK_ATTRIBUTE q = {CKA_LABEL, NULL, (CK_ULONG)-1};
    KT_OK(f->C_GetAttributeValue(s, h, &q, 1));
    KT_EQ_UL(q.ulValueLen, 3);
    CK_BYTE small[2];
    CK_ATTRIBUTE q2 = {CKA_LABEL, small, sizeof small};
    KT_RV(f->C_GetAttributeValue(s, h, &q2, 1), CKR_BUFFER_TOO_SMALL);
    KT_EQ_UL(q2.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  }
  KT_OK(f->C_SetAttributeValue(s, h, NULL, 0));
  {
    CK_ATTRIBUTE sl = {CKA_LABEL, NULL, 12};
    KT_RV(f->C_SetAttributeValue(s, h, &sl, 1), CKR_ATTRIBUTE_VALUE_INVALID);
  }
  KT_OK(f->C_FindObjectsInit(s, NULL, 0));
  KT_OK(f->C_FindObjects(s, NULL, 0, &n));
  KT_EQ_UL(n, 0);
  KT_OK(f->C_FindObjectsFinal(s));
  KT_OK(f->C_DestroyObject(s, h));

  /* lists with a buffer too small */
  CK_SLOT_ID sl[1];
  n = 0;
  KT_RV(f->C_GetSlotList(CK_FALSE, sl, &n), CKR_BUFFER_TOO_SMALL);
  KT_CHECK(n >= 3, "C_GetSlotList count after BUFFER_TOO_SMALL: %lu", n);
  CK_MECHANISM_TYPE mt[1];
  load_mechs();
  if (nmechs > 0) {
    n = 0;
    KT_RV(f->C_GetMechanismList(slot, mt, &n), CKR_BUFFER_TOO_SMALL);
    KT_EQ_UL(n, nmechs);
  }
  free(huge);
  KT_OK(f->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
static void register_suites(void)
{
  CU_pSuite s = kt_suite("badinput", suite_init, NULL, setup, teardown);
  kt_test(s, "bad session handles, every function", test_bad_session_handles);
  kt_test(s, "NULL pointers", test_null_pointers);
  kt_test(s, "bad slot ids", test_bad_slots);
  kt_test(s, "bad object handles", test_bad_object_handles);
  kt_test(s, "wrong object classes as keys", test_wrong_classes);
  kt_test(s, "mechanism parameters of the wrong size",
          test_mechanism_params);
  kt_test(s, "operation state after errors", test_operation_state);
  kt_test(s, "zero and huge lengths", test_lengths);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, NULL);
}
