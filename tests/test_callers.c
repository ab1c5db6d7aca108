/*
 * test_callers.c - several callers in one process, threads, fork.
 *
 * kerntok hands every C_GetFunctionList / C_GetInterface call a caller view
 * of its own (module/views.c): its own C_Initialize count, sessions,
 * C_CloseAllSessions and login state, as p11-kit's managed modules do for
 * their callers.  The plain exported C_* symbols are view 0 (the first one
 * handed out: the harness's `p11`).  There are 16 views; once all are in
 * use the last one is shared by the newcomers.  A forked child starts with
 * every view uninitialized.
 *
 * Threads: a caller initialized with NULL args (no locking promised by the
 * application) is still driven by 8 threads with a session each, and by
 * threads sharing one session: the module serializes calls per session, so
 * every call must return a legal CK_RV and the session stays consistent.
 *
 * Signing is exercised with the first of CKM_ECDSA, CKM_SHA256_RSA_PKCS,
 * CKM_EDDSA, CKM_SHA256_HMAC the module lists (skipped with a note while
 * none is there yet).
 */
#include "kt_test.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

static CK_SLOT_ID cslot;

static unsigned thread_seconds(void)
{
  const char *v = getenv("KT_THREAD_SECONDS");
  return v && atoi(v) > 0 ? (unsigned)atoi(v) : 3;
}

/* ------------------------------------------------------------------ */
/* callers: each a fresh C_GetFunctionList / C_GetInterface */
static CK_FUNCTION_LIST_PTR caller_fl(void)
{
  CK_FUNCTION_LIST_PTR f = NULL;
  if (kt_GetFunctionList(&f) != CKR_OK) return NULL;
  return f;
}

/* The 3.0 list; its first members are laid out as a CK_FUNCTION_LIST. */
static CK_FUNCTION_LIST_PTR caller_if(void)
{
  CK_VERSION v30 = {3, 0};
  CK_INTERFACE_PTR itf = NULL;
  if (!kt_GetInterface ||
      kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &itf, 0) != CKR_OK ||
      !itf)
    return NULL;
  return (CK_FUNCTION_LIST_PTR)itf->pFunctionList;
}

/* One view behind two lists (its 2.40 and its 3.0 list) has one set of
 * entry points. */
static int same_view(CK_FUNCTION_LIST_PTR a, CK_FUNCTION_LIST_PTR b)
{
  return a && b && a->C_Initialize == b->C_Initialize;
}

static CK_RV init_os(CK_FUNCTION_LIST_PTR f)
{
  CK_C_INITIALIZE_ARGS a;
  memset(&a, 0, sizeof a);
  a.flags = CKF_OS_LOCKING_OK;
  return f->C_Initialize(&a);
}

static CK_RV open_s(CK_FUNCTION_LIST_PTR f, int rw, CK_SESSION_HANDLE *s)
{
  return f->C_OpenSession(cslot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0),
                          NULL, NULL, s);
}

static CK_RV login_s(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                     CK_USER_TYPE who)
{
  const char *pin = who == CKU_SO ? SO_PIN : USER_PIN;
  return f->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static CK_STATE state_of(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s)
{
  CK_SESSION_INFO si;
  if (f->C_GetSessionInfo(s, &si) != CKR_OK) return (CK_STATE)-1;
  return si.state;
}

static CK_RV mk_data(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, int token,
                     int priv, const char *label, CK_OBJECT_HANDLE *h)
{
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_TOKEN, (void *)(token ? &T : &F), 1},
      {CKA_PRIVATE, (void *)(priv ? &T : &F), 1},
      {CKA_LABEL, (void *)label, strlen(label)},
      {CKA_VALUE, "v", 1},
  };
  return f->C_CreateObject(s, t, KT_ARRAY_LEN(t), h);
}

/* Number of objects labelled `label` this session sees; -1 on error. */
static long count_label(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                        const char *label, CK_OBJECT_HANDLE *first)
{
  CK_ATTRIBUTE t[] = {{CKA_LABEL, (void *)label, strlen(label)}};
  CK_OBJECT_HANDLE h[16];
  CK_ULONG got = 0;
  long n = 0;
  if (f->C_FindObjectsInit(s, t, 1) != CKR_OK) return -1;
  do {
    if (f->C_FindObjects(s, h, 16, &got) != CKR_OK) {
      f->C_FindObjectsFinal(s);
      return -1;
    }
    if (n == 0 && got > 0 && first) *first = h[0];
    n += got;
  } while (got > 0);
  return f->C_FindObjectsFinal(s) == CKR_OK ? n : -1;
}

static CK_RV find_all(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                     CK_ATTRIBUTE *t, CK_ULONG nt, CK_OBJECT_HANDLE *out,
                     CK_ULONG max, CK_ULONG *n)
{
  CK_ULONG got = 0;
  CK_RV rv = f->C_FindObjectsInit(s, t, nt);
  *n = 0;
  if (rv != CKR_OK) return rv;
  do {
    CK_OBJECT_HANDLE h[16];
    rv = f->C_FindObjects(s, h, 16, &got);
    for (CK_ULONG i = 0; rv == CKR_OK && i < got; i++, (*n)++)
      if (*n < max) out[*n] = h[i];
  } while (rv == CKR_OK && got > 0);
  CK_RV r2 = f->C_FindObjectsFinal(s);
  return rv != CKR_OK ? rv : r2;
}

/* ------------------------------------------------------------------ */
/* signing with whatever the module offers */
typedef struct {
  CK_MECHANISM_TYPE mech;       /* 0: nothing to sign with */
  CK_OBJECT_HANDLE priv, pub;   /* pub == priv for HMAC */
  const char *name;
} signer;


static int has_mech(CK_FUNCTION_LIST_PTR f, CK_MECHANISM_TYPE m, CK_FLAGS fl)
{
  CK_MECHANISM_INFO mi;
  return f->C_GetMechanismInfo(cslot, m, &mi) == CKR_OK &&
         (mi.flags & fl) == fl;
}

static CK_RV make_hmac(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, int token,
                       const char *label, signer *sg)
{
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
  static const unsigned char key[32] = "kerntok callers hmac key 32 byte";
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},   {CKA_KEY_TYPE, &kt, sizeof kt},
      {CKA_TOKEN, &tok, 1},            {CKA_PRIVATE, (void *)&T, 1},
      {CKA_SIGN, (void *)&T, 1},       {CKA_VERIFY, (void *)&T, 1},
      {CKA_LABEL, (void *)label, strlen(label)},
      {CKA_VALUE, (void *)key, sizeof key}};
  CK_RV rv = f->C_CreateObject(s, t, KT_ARRAY_LEN(t), &sg->priv);
  sg->pub = sg->priv;
  return rv;
}

/* First usable of ECDSA, SHA256_RSA_PKCS, EDDSA, SHA256_HMAC; the session
 * must be logged in as the user (the keys are private).  1 = made, 0 = none
 * offered (a note is printed once), -1 = offered but key creation failed. */
static int signer_make(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, int token,
                       const char *label, signer *sg)
{
  static const struct {
    CK_MECHANISM_TYPE sign, gen;
    const char *name;
  } order[] = {
      {CKM_ECDSA, CKM_EC_KEY_PAIR_GEN, "CKM_ECDSA"},
      {CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_SHA256_RSA_PKCS"},
      {CKM_EDDSA, CKM_EC_EDWARDS_KEY_PAIR_GEN, "CKM_EDDSA"},
      {CKM_SHA256_HMAC, 0, "CKM_SHA256_HMAC"},
  };
  static int noted;
  int offered = 0;
  memset(sg, 0, sizeof *sg);
  for (size_t i = 0; i < KT_ARRAY_LEN(order); i++) {
    if (!has_mech(f, order[i].sign, CKF_SIGN)) continue;
    if (order[i].gen && !has_mech(f, order[i].gen, CKF_GENERATE_KEY_PAIR))
      continue;
    offered = 1;
    CK_RV rv = order[i].gen ? kt_gen_sign_pair(f, s, order[i].gen, token, label,
                                               &sg->pub, &sg->priv)
                            : make_hmac(f, s, token, label, sg);
    if (rv == CKR_OK) {
      sg->mech = order[i].sign;
      sg->name = order[i].name;
      return 1;
    }
    fprintf(stderr, "  note: %s key creation: %s\n", order[i].name,
            kt_rvname(rv));
  }
  if (!offered && !noted++)
    printf("\n  note: no CKM_ECDSA / CKM_SHA256_RSA_PKCS / CKM_EDDSA / "
           "CKM_SHA256_HMAC listed yet: signing skipped\n");
  return offered ? -1 : 0;
}

static const unsigned char MSG[32] = "kerntok: the message to be sign";

static CK_RV signer_sign(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                         const signer *sg, CK_BYTE *sig, CK_ULONG *len)
{
  CK_MECHANISM m = {sg->mech, NULL, 0};
  CK_RV rv = f->C_SignInit(s, &m, sg->priv);
  if (rv != CKR_OK) return rv;
  return f->C_Sign(s, (CK_BYTE_PTR)MSG, sizeof MSG, sig, len);
}

static CK_RV signer_verify(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                           const signer *sg, CK_BYTE *sig, CK_ULONG len)
{
  CK_MECHANISM m = {sg->mech, NULL, 0};
  CK_RV rv = f->C_VerifyInit(s, &m, sg->pub);
  if (rv != CKR_OK) return rv;
  return f->C_Verify(s, (CK_BYTE_PTR)MSG, sizeof MSG, sig, len);
}

/* sign + verify; 1 ok */
static int sign_roundtrip(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                          const signer *sg)
{
  CK_BYTE sig[1024];
  CK_ULONG len = sizeof sig;
  if (!KT_OK(signer_sign(f, s, sg, sig, &len))) return 0;
  KT_CHECK(len > 0 && len <= sizeof sig, "%s signature length %lu", sg->name,
           (unsigned long)len);
  return KT_OK(signer_verify(f, s, sg, sig, len));
}

/* ------------------------------------------------------------------ */
static int suite_init(void)
{
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_slot_by_label("callers", &cslot);
  if (rv != CKR_OK) rv = kt_fresh_token("callers", SO_PIN, USER_PIN, &cslot);
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}

/* ================================================================== */
/* the seed scenario */
static void test_two_callers(void)
{
  CK_FUNCTION_LIST_PTR A = caller_fl(), B = caller_if();
  CK_SESSION_HANDLE a1, a2, b1, b2, b3, x;
  CK_OBJECT_HANDLE h, ha;
  signer sg;
  KT_CHECK_F(A && B, "two callers got function lists");
  KT_CHECK(!same_view(A, B), "each C_GetFunctionList/C_GetInterface call is a caller "
                   "of its own (distinct lists)");

  KT_OK_F(init_os(A));
  KT_OK_F(B->C_Initialize(NULL));
  KT_RV(A->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  KT_RV(B->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);

  /* logins are per caller */
  KT_OK_F(open_s(B, 1, &b1));
  KT_OK_F(login_s(B, b1, CKU_USER));
  KT_OK_F(open_s(A, 1, &a1));
  KT_OK_F(open_s(A, 0, &a2));
  KT_EQ_UL(state_of(A, a1), CKS_RW_PUBLIC_SESSION);
  KT_OK(login_s(A, a1, CKU_USER));
  KT_EQ_UL(state_of(A, a2), CKS_RO_USER_FUNCTIONS);
  /* session handles belong to their caller */
  CK_SESSION_INFO si;
  KT_RV(A->C_GetSessionInfo(b1, &si), CKR_SESSION_HANDLE_INVALID);
  KT_RV(B->C_CloseSession(a1), CKR_SESSION_HANDLE_INVALID);

  /* A's session objects are A's; token objects are everybody's */
  KT_OK(mk_data(A, a1, 0, 0, "callers-sess-A", &ha));
  KT_EQ_UL(count_label(A, a2, "callers-sess-A", NULL), 1);
  KT_EQ_UL(count_label(B, b1, "callers-sess-A", NULL), 0);
  KT_OK(mk_data(A, a1, 1, 1, "callers-tok-A", &h));
  KT_EQ_UL(count_label(B, b1, "callers-tok-A", NULL), 1);
  KT_OK(B->C_DestroyObject(b1, h));

  /* A's C_CloseAllSessions: B's sessions and login live on */
  KT_OK(A->C_CloseAllSessions(cslot));
  KT_RV(A->C_GetSessionInfo(a1, &si), CKR_SESSION_HANDLE_INVALID);
  KT_RV(A->C_GetSessionInfo(a2, &si), CKR_SESSION_HANDLE_INVALID);
  KT_EQ_UL(state_of(B, b1), CKS_RW_USER_FUNCTIONS);
  KT_OK(mk_data(B, b1, 0, 1, "callers-B-after-closeall", &h));

  /* A's logout: B still logged in */
  KT_OK_F(open_s(A, 1, &a1));
  KT_OK(login_s(A, a1, CKU_USER));
  KT_OK(A->C_Logout(a1));
  KT_EQ_UL(state_of(A, a1), CKS_RW_PUBLIC_SESSION);
  KT_EQ_UL(state_of(B, b1), CKS_RW_USER_FUNCTIONS);
  KT_OK(mk_data(B, b1, 1, 1, "callers-B-priv", &h));
  KT_EQ_UL(count_label(A, a1, "callers-B-priv", NULL), 0); /* A: logged out */
  KT_EQ_UL(count_label(B, b1, "callers-B-priv", NULL), 1);
  KT_OK(B->C_DestroyObject(b1, h));

  /* CKU_SO: refused for A's own RO session only, never for B's */
  KT_OK_F(open_s(B, 0, &b2));
  KT_OK_F(open_s(A, 0, &a2));
  KT_RV(login_s(A, a1, CKU_SO), CKR_SESSION_READ_ONLY_EXISTS);
  KT_OK(A->C_CloseSession(a2));
  KT_OK(login_s(A, a1, CKU_SO));            /* B's RO session and login: no matter */
  KT_EQ_UL(state_of(A, a1), CKS_RW_SO_FUNCTIONS);
  KT_EQ_UL(state_of(B, b2), CKS_RO_USER_FUNCTIONS);
  KT_RV(open_s(A, 0, &x), CKR_SESSION_READ_WRITE_SO_EXISTS);
  KT_OK(open_s(B, 0, &b3));                 /* A's SO login does not stop B */
  KT_OK(A->C_Logout(a1));

  /* signing key of B (before A leaves) */
  int can_sign = signer_make(B, b1, 0, "callers-B-key", &sg);
  KT_CHECK(can_sign >= 0, "a listed sign mechanism could make a key");
  if (can_sign > 0) {
    printf("\n    B signs with %s ", sg.name);
    sign_roundtrip(B, b1, &sg);
  }

  /* A's C_Finalize: B keeps working */
  KT_OK(A->C_Finalize(NULL));
  CK_ULONG n = 0;
  KT_RV(A->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_EQ_UL(state_of(B, b1), CKS_RW_USER_FUNCTIONS);
  KT_EQ_UL(count_label(B, b3, "callers-B-after-closeall", NULL), 1);
  KT_OK(open_s(B, 1, &x));
  KT_OK(mk_data(B, x, 1, 1, "callers-B-after-fini", &h));
  KT_EQ_UL(count_label(B, b1, "callers-B-after-fini", NULL), 1);
  KT_OK(B->C_DestroyObject(x, h));
  KT_EQ_UL(count_label(B, b1, "callers-B-after-fini", NULL), 0);
  if (can_sign > 0) sign_roundtrip(B, x, &sg);
  /* and A comes back as a new, independent initialization */
  KT_OK(init_os(A));
  KT_EQ_UL(state_of(B, b1), CKS_RW_USER_FUNCTIONS);
  KT_OK(A->C_Finalize(NULL));

  KT_OK(B->C_Finalize(NULL));
  KT_RV(B->C_GetSessionInfo(b1, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* ================================================================== */
/* the plain exported symbols are view 0: the harness's first list */
static void test_exported_symbols(void)
{
  CK_C_Initialize sInit = (CK_C_Initialize)dlsym(kt_dl, "C_Initialize");
  CK_C_Finalize sFini = (CK_C_Finalize)dlsym(kt_dl, "C_Finalize");
  CK_C_OpenSession sOpen = (CK_C_OpenSession)dlsym(kt_dl, "C_OpenSession");
  CK_C_GetSessionInfo sInfo =
      (CK_C_GetSessionInfo)dlsym(kt_dl, "C_GetSessionInfo");
  CK_C_CloseAllSessions sCloseAll =
      (CK_C_CloseAllSessions)dlsym(kt_dl, "C_CloseAllSessions");
  CK_SESSION_HANDLE h, hb;
  CK_SESSION_INFO si;
  KT_CHECK_F(sInit && sFini && sOpen && sInfo && sCloseAll,
             "C_* symbols exported");

  p11->C_Finalize(NULL);                    /* whatever earlier tests left */
  KT_OK(sInit(NULL));
  KT_RV(p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  KT_OK_F(sOpen(cslot, CKF_SERIAL_SESSION, NULL, NULL, &h));
  KT_OK(p11->C_GetSessionInfo(h, &si));     /* same caller */

  CK_FUNCTION_LIST_PTR B = caller_fl();
  KT_CHECK_F(B && !same_view(B, p11), "a new caller");
  KT_OK_F(B->C_Initialize(NULL));
  KT_RV(B->C_GetSessionInfo(h, &si), CKR_SESSION_HANDLE_INVALID);
  KT_OK_F(open_s(B, 0, &hb));
  KT_RV(sInfo(hb, &si), CKR_SESSION_HANDLE_INVALID);
  KT_OK(sCloseAll(cslot));                  /* view 0's sessions only */
  KT_RV(p11->C_GetSessionInfo(h, &si), CKR_SESSION_HANDLE_INVALID);
  KT_OK(B->C_GetSessionInfo(hb, &si));

  KT_OK(p11->C_Finalize(NULL));
  KT_RV(sInfo(h, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_RV(sFini(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_OK(B->C_GetSessionInfo(hb, &si));
  KT_OK(B->C_Finalize(NULL));
}

/* ================================================================== */
/* 16 views; newcomers beyond that share the last one (views.c) */
#define NCALLERS 17
static void test_seventeen_callers(void)
{
  CK_FUNCTION_LIST_PTR c[NCALLERS + 2];
  int n = 0, distinct = 0, first_shared = -1;
  CK_SESSION_HANDLE s;
  CK_SESSION_INFO si;

  /* the harness holds p11 (initialized here) and p11_3 (handed, never
   * finalized): callers too */
  p11->C_Finalize(NULL);
  KT_OK_F(kt_init());
  CK_FUNCTION_LIST_PTR known[NCALLERS + 4];
  int nknown = 0;
  known[nknown++] = p11;
  if (p11_3 && !same_view((CK_FUNCTION_LIST_PTR)p11_3, p11))
    known[nknown++] = (CK_FUNCTION_LIST_PTR)p11_3;

  /* every new caller initializes at once, so no view is free for reuse */
  for (n = 0; n < NCALLERS; n++) {
    c[n] = n % 2 ? caller_if() : caller_fl();
    KT_CHECK_F(c[n] != NULL, "caller %d got a list", n);
    int seen = 0;
    for (int k = 0; k < nknown; k++) seen |= same_view(known[k], c[n]);
    CK_RV rv = init_os(c[n]);
    if (!seen) {
      known[nknown++] = c[n];
      KT_OK(rv);
    } else {
      if (first_shared < 0) first_shared = n;
      /* shared: the caller it shares with initialized it already */
      KT_RV(rv, CKR_CRYPTOKI_ALREADY_INITIALIZED);
    }
  }
  distinct = nknown;
  KT_EQ_UL(distinct, 16);
  KT_CHECK(first_shared >= 0, "callers beyond 16 share a view");
  if (first_shared >= 0) {
    CK_FUNCTION_LIST_PTR sh = c[first_shared];
    /* documented: the last view; newcomers behave like callers of a
     * classic module towards each other */
    for (int k = first_shared; k < NCALLERS; k++)
      KT_CHECK(same_view(c[k], sh), "caller %d shares the same view", k);
    KT_OK(open_s(c[NCALLERS - 1], 0, &s));
    KT_OK(sh->C_GetSessionInfo(s, &si));
    KT_OK(sh->C_CloseAllSessions(cslot));
    KT_RV(c[NCALLERS - 1]->C_GetSessionInfo(s, &si),
          CKR_SESSION_HANDLE_INVALID);
    KT_OK(c[NCALLERS - 1]->C_Finalize(NULL));
    KT_RV(sh->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  }
  /* the others stayed independent.  (p11_3 is left alone: its first call
   * would bind it to some initialized view, see views.c) */
  for (int k = 0; k < nknown; k++) {
    if (same_view(known[k], (CK_FUNCTION_LIST_PTR)p11_3)) continue;
    CK_RV rv = known[k]->C_Finalize(NULL);
    if (first_shared >= 0 && same_view(known[k], c[first_shared]))
      KT_RV(rv, CKR_CRYPTOKI_NOT_INITIALIZED);
    else
      KT_OK(rv);
  }

  /* finalized views are handed out again, an initialized one never */
  CK_FUNCTION_LIST_PTR again = caller_fl(), other = caller_fl();
  KT_CHECK(again != NULL && other != NULL, "lists after release");
  if (again && other) {
    KT_OK(init_os(again));
    KT_CHECK(!same_view(again, other), "a handed-out, not finalized view is not reused");
    KT_OK(init_os(other));
    KT_OK(again->C_Finalize(NULL));
    KT_OK(other->C_Finalize(NULL));
  }
}

/* ================================================================== */
/* a list whose first call is not C_Initialize, while one caller is
 * initialized, is that caller's (C_GetFunctionList + C_Initialize, then
 * C_GetInterface for the 3.0 list): views.c */
static void test_alias_first_call(void)
{
  CK_SESSION_HANDLE h;
  CK_SESSION_INFO si;
  CK_INFO info;
  p11->C_Finalize(NULL);
  CK_FUNCTION_LIST_PTR X = caller_fl();
  KT_CHECK_F(X != NULL, "caller");
  KT_OK_F(init_os(X));
  CK_FUNCTION_LIST_PTR Y = caller_if();
  KT_CHECK_F(Y != NULL && !same_view(X, Y), "a second list");
  KT_OK(Y->C_GetInfo(&info));               /* first call: binds to X */
  KT_RV(Y->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  KT_OK_F(open_s(X, 0, &h));
  KT_OK(Y->C_GetSessionInfo(h, &si));
  KT_OK(Y->C_Finalize(NULL));               /* one caller, one library */
  KT_RV(X->C_GetSessionInfo(h, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_RV(X->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* ================================================================== */
/* fork: the child starts uninitialized in every view */
struct fork_arg {
  CK_FUNCTION_LIST_PTR A, B;
  CK_SESSION_HANDLE a, b;
};

static int fork_child(void *p)
{
  struct fork_arg *fa = p;
  CK_FUNCTION_LIST_PTR views[] = {fa->A, fa->B, p11};
  CK_C_GetSlotList sList = (CK_C_GetSlotList)dlsym(kt_dl, "C_GetSlotList");
  CK_ULONG n = 0;
  CK_SESSION_INFO si;
  CK_SESSION_HANDLE s;

  for (size_t i = 0; i < KT_ARRAY_LEN(views); i++)
    KT_HRV(views[i]->C_GetSlotList(CK_FALSE, NULL, &n),
           CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_HRV(sList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_HRV(fa->A->C_GetSessionInfo(fa->a, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
  /* each view initializes on its own, with none of the parent's state */
  KT_HRV(init_os(fa->A), CKR_OK);
  KT_HRV(fa->A->C_GetSessionInfo(fa->a, &si), CKR_SESSION_HANDLE_INVALID);
  KT_HRV(fa->B->C_GetSlotList(CK_FALSE, NULL, &n),
         CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_HRV(fa->B->C_Initialize(NULL), CKR_OK);
  KT_HRV(fa->B->C_GetSessionInfo(fa->b, &si), CKR_SESSION_HANDLE_INVALID);
  if (KT_HRV(open_s(fa->A, 1, &s), CKR_OK) == CKR_OK) {
    KT_H(state_of(fa->A, s) == CKS_RW_PUBLIC_SESSION,
         "child starts logged out (parent A was logged in)");
    KT_H(count_label(fa->A, s, "callers-fork-tok", NULL) == 1,
         "child sees the token object");
    KT_HRV(login_s(fa->A, s, CKU_USER), CKR_OK);
  }
  KT_HRV(fa->A->C_Finalize(NULL), CKR_OK);
  KT_HRV(fa->B->C_Finalize(NULL), CKR_OK);
  /* a caller new in the child gets a view of its own too */
  CK_FUNCTION_LIST_PTR C = caller_fl();
  KT_H(C != NULL, "C_GetFunctionList in the child");
  if (C) {
    KT_HRV(C->C_Initialize(NULL), CKR_OK);
    KT_HRV(C->C_Finalize(NULL), CKR_OK);
  }
  return kt_hfail ? 1 : 0;
}

static void test_fork(void)
{
  struct fork_arg fa = {caller_fl(), caller_if(), 0, 0};
  CK_OBJECT_HANDLE h;
  KT_CHECK_F(fa.A && fa.B, "two callers");
  p11->C_Finalize(NULL);
  KT_OK_F(init_os(fa.A));
  KT_OK_F(fa.B->C_Initialize(NULL));
  KT_OK_F(open_s(fa.A, 1, &fa.a));
  KT_OK_F(login_s(fa.A, fa.a, CKU_USER));
  KT_OK_F(open_s(fa.B, 0, &fa.b));
  KT_OK(mk_data(fa.A, fa.a, 1, 0, "callers-fork-tok", &h));

  KT_EQ_UL(kt_fork(fork_child, &fa), 0);

  /* the parent is untouched */
  KT_EQ_UL(state_of(fa.A, fa.a), CKS_RW_USER_FUNCTIONS);
  KT_EQ_UL(state_of(fa.B, fa.b), CKS_RO_PUBLIC_SESSION);
  KT_OK(fa.A->C_DestroyObject(fa.a, h));
  KT_OK(fa.A->C_Finalize(NULL));
  KT_OK(fa.B->C_Finalize(NULL));
}

/* ================================================================== */
/* threads */
struct worker {
  pthread_t th;
  int id;
  CK_FUNCTION_LIST_PTR f;
  CK_SESSION_HANDLE s;          /* own, or shared */
  const signer *sg;
  double until;
  /* results */
  unsigned long ops, signs, bad;
  char first_bad[160];
  long live;                    /* shared mode: objects this thread owns */
};

#define W_EXPECT(w, call, ...)                                            \
  ({ CK_RV w__r = (call); const CK_RV w__ok[] = {__VA_ARGS__};            \
     if (!kt_rv_in(w__r, w__ok, KT_ARRAY_LEN(w__ok)) && (w)->bad++ == 0)  \
       snprintf((w)->first_bad, sizeof (w)->first_bad, "%s: %s", #call,    \
                kt_rvname(w__r));                                          \
     w__r; })

/* own session: every call must succeed */
static void *own_session_worker(void *p)
{
  struct worker *w = p;
  char lab[48];
  CK_OBJECT_HANDLE h, found;
  CK_BYTE sig[1024];
  for (unsigned i = 0; kt_now() < w->until; i++) {
    snprintf(lab, sizeof lab, "thr-%d-%u", w->id, i);
    int tok = i % 2;
    if (W_EXPECT(w, mk_data(w->f, w->s, tok, i % 3 == 0, lab, &h), CKR_OK))
      continue;
    long c = count_label(w->f, w->s, lab, &found);
    if (c != 1 || found != h) {
      if (w->bad++ == 0)
        snprintf(w->first_bad, sizeof w->first_bad,
                 "find %s: %ld objects, handle %lu vs %lu", lab, c,
                 (unsigned long)found, (unsigned long)h);
    }
    char got[64];
    CK_ATTRIBUTE a = {CKA_LABEL, got, sizeof got - 1};
    if (!W_EXPECT(w, w->f->C_GetAttributeValue(w->s, h, &a, 1), CKR_OK) &&
        (a.ulValueLen != strlen(lab) || memcmp(got, lab, a.ulValueLen)))
      if (w->bad++ == 0)
        snprintf(w->first_bad, sizeof w->first_bad, "label of %s wrong", lab);
    W_EXPECT(w, w->f->C_DestroyObject(w->s, h), CKR_OK);
    if (count_label(w->f, w->s, lab, NULL) != 0 && w->bad++ == 0)
      snprintf(w->first_bad, sizeof w->first_bad, "%s still found", lab);
    if (w->sg && w->sg->mech) {
      CK_ULONG len = sizeof sig;
      if (!W_EXPECT(w, signer_sign(w->f, w->s, w->sg, sig, &len), CKR_OK)) {
        W_EXPECT(w, signer_verify(w->f, w->s, w->sg, sig, len), CKR_OK);
        w->signs++;
      }
    }
    w->ops++;
  }
  return NULL;
}

/* shared session: calls interleave between threads at will, so operation
 * state errors are legal; everything else must hold */
static void *shared_session_worker(void *p)
{
  struct worker *w = p;
  char lab[48];
  CK_OBJECT_HANDLE mine[64], got[8];
  int nmine = 0;
  CK_ULONG n;
  CK_BYTE sig[1024];
  CK_MECHANISM m = {w->sg && w->sg->mech ? w->sg->mech : 0, NULL, 0};
  snprintf(lab, sizeof lab, "shared-thr-%d", w->id);
  CK_ATTRIBUTE t[] = {{CKA_LABEL, lab, strlen(lab)}};

  for (unsigned i = 0; kt_now() < w->until; i++) {
    switch (i % 6) {
    case 0: /* create */
      if (nmine < 64 &&
          W_EXPECT(w, mk_data(w->f, w->s, i % 12 == 0, 0, lab, &mine[nmine]),
                   CKR_OK) == CKR_OK)
        nmine++;
      break;
    case 1: /* find: another thread may own the find operation */
      W_EXPECT(w, w->f->C_FindObjectsInit(w->s, t, 1), CKR_OK,
               CKR_OPERATION_ACTIVE);
      W_EXPECT(w, w->f->C_FindObjects(w->s, got, 8, &n), CKR_OK,
               CKR_OPERATION_NOT_INITIALIZED);
      W_EXPECT(w, w->f->C_FindObjectsFinal(w->s), CKR_OK,
               CKR_OPERATION_NOT_INITIALIZED);
      break;
    case 2: { /* read one of mine */
      CK_ULONG cls = 0;
      CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof cls};
      if (nmine > 0 &&
          W_EXPECT(w, w->f->C_GetAttributeValue(w->s, mine[i % nmine], &a, 1),
                   CKR_OK) == CKR_OK && cls != CKO_DATA && w->bad++ == 0)
        snprintf(w->first_bad, sizeof w->first_bad, "class %lu", cls);
      break;
    }
    case 3: /* destroy one of mine */
      if (nmine > 0 &&
          W_EXPECT(w, w->f->C_DestroyObject(w->s, mine[nmine - 1]), CKR_OK) ==
              CKR_OK)
        nmine--;
      break;
    case 4: { /* sign: init and sign may be split by another thread's */
      if (!m.mechanism) break;
      CK_ULONG len = sizeof sig;
      W_EXPECT(w, w->f->C_SignInit(w->s, &m, w->sg->priv), CKR_OK,
               CKR_OPERATION_ACTIVE);
      if (W_EXPECT(w, w->f->C_Sign(w->s, (CK_BYTE_PTR)MSG, sizeof MSG, sig,
                                   &len),
                   CKR_OK, CKR_OPERATION_NOT_INITIALIZED) == CKR_OK)
        w->signs++;
      break;
    }
    case 5: { /* session info and a random handle */
      CK_SESSION_INFO si;
      W_EXPECT(w, w->f->C_GetSessionInfo(w->s, &si), CKR_OK);
      CK_ULONG cls;
      CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof cls};
      W_EXPECT(w, w->f->C_GetAttributeValue(w->s, 0x7ffffff0u - w->id, &a, 1),
               CKR_OBJECT_HANDLE_INVALID);
      break;
    }
    }
    w->ops++;
  }
  w->live = nmine;
  /* leave nothing behind: the test counts what remains */
  return NULL;
}

static void run_workers(struct worker *w, int n, void *(*fn)(void *))
{
  for (int i = 0; i < n; i++)
    KT_CHECK_F(pthread_create(&w[i].th, NULL, fn, &w[i]) == 0, "thread %d", i);
  for (int i = 0; i < n; i++) pthread_join(w[i].th, NULL);
}

static void report(const char *what, struct worker *w, int n)
{
  unsigned long ops = 0, signs = 0;
  for (int i = 0; i < n; i++) {
    ops += w[i].ops;
    signs += w[i].signs;
    KT_CHECK(w[i].bad == 0, "%s thread %d: %lu unexpected results, first: %s",
             what, i, w[i].bad, w[i].first_bad);
    KT_CHECK(w[i].ops > 0, "%s thread %d made progress", what, i);
  }
  printf("\n    %s: %d threads, %lu rounds, %lu signatures ", what, n, ops,
         signs);
}

#define NTHREADS 8
static void test_threads_own_sessions(void)
{
  CK_FUNCTION_LIST_PTR f = caller_fl();
  CK_SESSION_HANDLE s0;
  struct worker w[NTHREADS];
  signer sg;
  KT_CHECK_F(f != NULL, "caller");
  KT_OK_F(f->C_Initialize(NULL));           /* NULL args: still thread safe */
  KT_OK_F(open_s(f, 1, &s0));
  KT_OK_F(login_s(f, s0, CKU_USER));        /* the caller's login: all sessions */
  int can_sign = signer_make(f, s0, 1, "callers-thr-key", &sg) > 0;
  memset(w, 0, sizeof w);
  double until = kt_now() + thread_seconds();
  for (int i = 0; i < NTHREADS; i++) {
    w[i].id = i;
    w[i].f = f;
    w[i].sg = can_sign ? &sg : NULL;
    w[i].until = until;
    KT_OK_F(open_s(f, 1, &w[i].s));
  }
  run_workers(w, NTHREADS, own_session_worker);
  report("own sessions", w, NTHREADS);
  for (int i = 0; i < NTHREADS; i++) KT_OK(f->C_CloseSession(w[i].s));
  if (can_sign) {
    KT_OK(f->C_DestroyObject(s0, sg.priv));
    if (sg.pub != sg.priv) KT_OK(f->C_DestroyObject(s0, sg.pub));
  }
  KT_OK(f->C_Finalize(NULL));
}

#define NSHARED 4
static void test_threads_shared_session(void)
{
  CK_FUNCTION_LIST_PTR f = caller_fl();
  CK_SESSION_HANDLE s;
  struct worker w[NSHARED];
  signer sg;
  KT_CHECK_F(f != NULL, "caller");
  KT_OK_F(f->C_Initialize(NULL));
  KT_OK_F(open_s(f, 1, &s));
  KT_OK_F(login_s(f, s, CKU_USER));
  int can_sign = signer_make(f, s, 0, "callers-shared-key", &sg) > 0;
  memset(w, 0, sizeof w);
  double until = kt_now() + thread_seconds();
  for (int i = 0; i < NSHARED; i++) {
    w[i].id = i;
    w[i].f = f;
    w[i].s = s;
    w[i].sg = can_sign ? &sg : NULL;
    w[i].until = until;
  }
  run_workers(w, NSHARED, shared_session_worker);
  report("one shared session", w, NSHARED);

  /* the session is consistent: no operation stuck, every thread's live
   * objects exactly as it counted them */
  CK_SESSION_INFO si;
  KT_OK(f->C_GetSessionInfo(s, &si));
  KT_EQ_UL(si.state, CKS_RW_USER_FUNCTIONS);
  KT_RV(f->C_FindObjectsFinal(s), CKR_OK, CKR_OPERATION_NOT_INITIALIZED);
  if (can_sign) { /* a sign op may be left initialized: finish it, sign again */
    CK_BYTE sig[1024];
    CK_ULONG len = sizeof sig;
    CK_MECHANISM m = {sg.mech, NULL, 0};
    KT_RV(f->C_SignInit(s, &m, sg.priv), CKR_OK, CKR_OPERATION_ACTIVE);
    KT_OK(f->C_Sign(s, (CK_BYTE_PTR)MSG, sizeof MSG, sig, &len));
    len = sizeof sig;
    KT_OK(signer_sign(f, s, &sg, sig, &len));
    KT_OK(signer_verify(f, s, &sg, sig, len));
  }
  for (int i = 0; i < NSHARED; i++) {
    char lab[48];
    CK_OBJECT_HANDLE all[64];
    CK_ULONG n = 0;
    snprintf(lab, sizeof lab, "shared-thr-%d", i);
    CK_ATTRIBUTE t[] = {{CKA_LABEL, lab, strlen(lab)}};
    KT_OK(find_all(f, s, t, 1, all, 64, &n));
    KT_EQ_UL(n, w[i].live);
    for (CK_ULONG k = 0; k < n && k < 64; k++)
      KT_OK(f->C_DestroyObject(s, all[k]));
  }
  KT_OK(f->C_Finalize(NULL));
}

/* ------------------------------------------------------------------ */
static void register_suites(void)
{
  CU_pSuite s = kt_suite("callers", suite_init, NULL, NULL, NULL);
  kt_test(s, "two callers: init, close-all, logout, SO, finalize",
          test_two_callers);
  kt_test(s, "exported C_* symbols are view 0", test_exported_symbols);
  kt_test(s, "17 callers: the 17th shares a view", test_seventeen_callers);
  kt_test(s, "first call not C_Initialize: same caller", test_alias_first_call);
  kt_test(s, "fork: child uninitialized in every view", test_fork);
  s = kt_suite("threads", suite_init, NULL, NULL, NULL);
  kt_test(s, "8 threads, a session each (NULL init args)",
          test_threads_own_sessions);
  kt_test(s, "threads sharing one session", test_threads_shared_session);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, NULL);
}
