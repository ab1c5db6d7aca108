/*
 * test_init.c - general-purpose functions (PKCS#11 3.0 §5.4, 2.40 §5.4):
 * C_Initialize / C_Finalize argument rules, locking modes, threads, fork,
 * C_GetInfo, C_GetFunctionList, C_GetInterfaceList, C_GetInterface.
 */
#include "kt_test.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

/* number of function pointers after the version field */
#define NFUNC_2_40 68
#define NFUNC_3_0 92
_Static_assert(sizeof(CK_FUNCTION_LIST) ==
                   offsetof(CK_FUNCTION_LIST, C_Initialize) +
                       NFUNC_2_40 * sizeof(void *),
               "CK_FUNCTION_LIST has 68 entries");
_Static_assert(sizeof(CK_FUNCTION_LIST_3_0) ==
                   offsetof(CK_FUNCTION_LIST_3_0, C_Initialize) +
                       NFUNC_3_0 * sizeof(void *),
               "CK_FUNCTION_LIST_3_0 has 92 entries");

static void make_sure_finalized(void) { p11->C_Finalize(NULL); }

/* ------------------------------------------------------------------ */
/* C_GetFunctionList: NULL -> ARGUMENTS_BAD; the list says 2.40; every
 * entry point is present (2.40 §5.2: unsupported functions must be stubs
 * returning CKR_FUNCTION_NOT_SUPPORTED, never NULL). */
static void test_function_list(void)
{
  CK_FUNCTION_LIST_PTR fl = NULL;
  KT_CHECK_F(kt_GetFunctionList != NULL, "C_GetFunctionList exported");
  KT_RV(kt_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
  KT_OK_F(kt_GetFunctionList(&fl));
  KT_CHECK_F(fl != NULL, "function list returned");
  KT_CHECK(fl->version.major == 2 && fl->version.minor == 40,
           "C_GetFunctionList version is %d.%d, expected 2.40",
           fl->version.major, fl->version.minor);
  void *const *fp = (void *const *)&fl->C_Initialize;
  for (int i = 0; i < NFUNC_2_40; i++)
    KT_CHECK(fp[i] != NULL, "2.40 function list entry %d is NULL", i);
  /* callable before C_Initialize, and C_GetFunctionList in the list works */
  CK_FUNCTION_LIST_PTR fl2 = NULL;
  KT_OK(fl->C_GetFunctionList(&fl2));
  KT_CHECK(fl2 != NULL, "list's C_GetFunctionList returned a list");
}

/* ------------------------------------------------------------------ */
/* C_GetInterfaceList / C_GetInterface (3.0 §5.4.5, §5.4.6) */
static void test_interface_list(void)
{
  CK_ULONG n = 0, i;
  KT_CHECK_F(kt_GetInterfaceList != NULL, "C_GetInterfaceList exported");
  KT_RV(kt_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD);
  KT_OK_F(kt_GetInterfaceList(NULL, &n));
  KT_CHECK_F(n >= 1 && n < 64, "interface count %lu", (unsigned long)n);
  CK_INTERFACE *v = calloc(n + 1, sizeof *v);

  /* too small a buffer: BUFFER_TOO_SMALL and the count is set to n */
  CK_ULONG small = n - 1;
  KT_RV(kt_GetInterfaceList(v, &small), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(small, n);

  CK_ULONG cnt = n + 1; /* larger than needed is fine; count is set */
  KT_OK(kt_GetInterfaceList(v, &cnt));
  KT_EQ_UL(cnt, n);
  int have30 = 0, fork_safe = 0;
  for (i = 0; i < cnt; i++) {
    KT_CHECK(v[i].pInterfaceName != NULL, "interface %lu has a name",
             (unsigned long)i);
    KT_CHECK(v[i].pFunctionList != NULL, "interface %lu has functions",
             (unsigned long)i);
    if (!v[i].pInterfaceName || !v[i].pFunctionList) continue;
    if (v[i].flags & CKF_INTERFACE_FORK_SAFE) fork_safe = 1;
    if (strcmp((char *)v[i].pInterfaceName, "PKCS 11")) continue;
    CK_VERSION *ver = (CK_VERSION *)v[i].pFunctionList;
    KT_CHECK((ver->major == 3 && ver->minor == 0) ||
                 (ver->major == 2 && ver->minor == 40),
             "\"PKCS 11\" interface version %d.%d", ver->major, ver->minor);
    if (ver->major == 3 && ver->minor == 0) {
      have30 = 1;
      void *const *fp =
          (void *const *)&((CK_FUNCTION_LIST_3_0 *)v[i].pFunctionList)
              ->C_Initialize;
      for (int k = 0; k < NFUNC_3_0; k++)
        KT_CHECK(fp[k] != NULL, "3.0 function list entry %d is NULL", k);
    }
    /* each listed interface can be fetched by name and version */
    CK_INTERFACE_PTR got = NULL;
    KT_OK(kt_GetInterface(v[i].pInterfaceName, ver, &got, v[i].flags));
    if (got)
      KT_CHECK(((CK_VERSION *)got->pFunctionList)->major == ver->major &&
                   ((CK_VERSION *)got->pFunctionList)->minor == ver->minor,
               "C_GetInterface returns the requested version");
  }
  KT_CHECK(have30, "a \"PKCS 11\" 3.0 interface is listed");
  /* Contract: after fork() the child must call C_Initialize and does not
   * see the parent's sessions, i.e. the module is NOT fork-safe in the
   * 3.0 sense (§5.4.6: CKF_INTERFACE_FORK_SAFE means the child keeps the
   * parent's sessions and login state).  It must not claim to be. */
  KT_CHECK(!fork_safe, "an interface claims CKF_INTERFACE_FORK_SAFE, but the"
                       " product contract says a forked child re-initializes");
  free(v);
}

static void test_get_interface(void)
{
  CK_INTERFACE_PTR itf = NULL;
  CK_VERSION v30 = {3, 0}, v240 = {2, 40}, bad = {9, 9};
  KT_CHECK_F(kt_GetInterface != NULL, "C_GetInterface exported");

  KT_RV(kt_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
  KT_RV(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, NULL, 0),
        CKR_ARGUMENTS_BAD);

  /* default interface (name NULL) */
  KT_OK(kt_GetInterface(NULL, NULL, &itf, 0));
  if (itf) {
    KT_CHECK(itf->pInterfaceName &&
                 !strcmp((char *)itf->pInterfaceName, "PKCS 11"),
             "default interface is \"PKCS 11\"");
    CK_VERSION *ver = itf->pFunctionList;
    KT_CHECK(ver && (ver->major == 3 || (ver->major == 2 && ver->minor == 40)),
             "default interface version");
  }
  /* by name, any version */
  itf = NULL;
  KT_OK(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", NULL, &itf, 0));
  KT_CHECK(itf && itf->pFunctionList, "\"PKCS 11\" without version");

  /* by name and version 3.0 */
  itf = NULL;
  KT_OK(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &itf, 0));
  if (itf && itf->pFunctionList) {
    CK_FUNCTION_LIST_3_0 *f = itf->pFunctionList;
    KT_CHECK(f->version.major == 3 && f->version.minor == 0,
             "3.0 interface version %d.%d", f->version.major,
             f->version.minor);
    KT_CHECK(f->C_GetInterface != NULL && f->C_GetInterfaceList != NULL &&
                 f->C_LoginUser != NULL && f->C_SessionCancel != NULL,
             "3.0 functions present");
  }
  /* version 3.0 by NULL name: the default name is "PKCS 11" */
  itf = NULL;
  KT_OK(kt_GetInterface(NULL, &v30, &itf, 0));

  /* 2.40 is only required if listed; if it is returned it must say 2.40 */
  itf = NULL;
  CK_RV rv = kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &itf, 0);
  KT_RV(rv, CKR_OK, CKR_ARGUMENTS_BAD);
  if (rv == CKR_OK && itf)
    KT_CHECK(((CK_VERSION *)itf->pFunctionList)->major == 2 &&
                 ((CK_VERSION *)itf->pFunctionList)->minor == 40,
             "2.40 interface version");

  /* no such interface: §5.4.6 -> CKR_ARGUMENTS_BAD */
  itf = NULL;
  KT_RV(kt_GetInterface((CK_UTF8CHAR_PTR) "No Such Interface", NULL, &itf, 0),
        CKR_ARGUMENTS_BAD);
  KT_RV(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &bad, &itf, 0),
        CKR_ARGUMENTS_BAD);
  /* flags the module cannot satisfy */
  KT_RV(kt_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", NULL, &itf, 0x80000000UL),
        CKR_ARGUMENTS_BAD);
}

/* ------------------------------------------------------------------ */
/* C_GetInfo (§5.4.3) */
static int blank_padded(const CK_UTF8CHAR *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] == 0) return 0;
  return 1;
}

static void check_info(CK_C_GetInfo fn, int want30)
{
  CK_INFO info;
  memset(&info, 0, sizeof info);
  KT_RV(fn(NULL), CKR_ARGUMENTS_BAD);
  if (!KT_OK(fn(&info))) return;
  if (want30)
    KT_CHECK(info.cryptokiVersion.major == 3 &&
                 info.cryptokiVersion.minor == 0,
             "C_GetInfo via the 3.0 list: cryptokiVersion %d.%d, want 3.0",
             info.cryptokiVersion.major, info.cryptokiVersion.minor);
  else
    KT_CHECK((info.cryptokiVersion.major == 2 &&
              info.cryptokiVersion.minor == 40) ||
                 (info.cryptokiVersion.major == 3 &&
                  info.cryptokiVersion.minor == 0),
             "C_GetInfo via the 2.40 list: cryptokiVersion %d.%d",
             info.cryptokiVersion.major, info.cryptokiVersion.minor);
  KT_EQ_UL(info.flags, 0); /* "reserved for future versions, must be 0" */
  KT_CHECK(blank_padded(info.manufacturerID, sizeof info.manufacturerID),
           "manufacturerID is blank padded, no NUL");
  KT_CHECK(blank_padded(info.libraryDescription,
                        sizeof info.libraryDescription),
           "libraryDescription is blank padded, no NUL");
}

static void test_get_info(void)
{
  CK_INFO info;
  KT_RV(p11->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_OK_F(kt_init());
  check_info(p11->C_GetInfo, 0);
  KT_CHECK(p11_3 != NULL, "3.0 function list available");
  if (p11_3) check_info(p11_3->C_GetInfo, 1);
  KT_OK(kt_fini());
}

/* ------------------------------------------------------------------ */
/* Every function other than C_Initialize/C_GetFunctionList/
 * C_GetInterface(List) fails with CKR_CRYPTOKI_NOT_INITIALIZED before
 * C_Initialize and after C_Finalize (§5.1). */
static void check_not_initialized(void)
{
  CK_ULONG n = 0;
  CK_SLOT_INFO si;
  CK_TOKEN_INFO ti;
  CK_SESSION_HANDLE s = 0;
  CK_SESSION_INFO ssi;
  CK_UTF8CHAR lab[32];
  CK_OBJECT_HANDLE h;
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof cls};
  const CK_RV NI = CKR_CRYPTOKI_NOT_INITIALIZED;
  kt_pad(lab, sizeof lab, "x");

  KT_RV(p11->C_Finalize(NULL), NI);
  KT_RV(p11->C_GetSlotList(CK_FALSE, NULL, &n), NI);
  KT_RV(p11->C_GetSlotList(CK_TRUE, NULL, &n), NI);
  KT_RV(p11->C_GetSlotInfo(0, &si), NI);
  KT_RV(p11->C_GetTokenInfo(0, &ti), NI);
  KT_RV(p11->C_GetMechanismList(0, NULL, &n), NI);
  KT_RV(p11->C_InitToken(0, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab), NI);
  KT_RV(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s), NI);
  KT_RV(p11->C_CloseSession(1), NI);
  KT_RV(p11->C_CloseAllSessions(0), NI);
  KT_RV(p11->C_GetSessionInfo(1, &ssi), NI);
  KT_RV(p11->C_Login(1, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4), NI);
  KT_RV(p11->C_Logout(1), NI);
  KT_RV(p11->C_CreateObject(1, &a, 1, &h), NI);
  KT_RV(p11->C_FindObjectsInit(1, &a, 1), NI);
  KT_RV(p11->C_GetAttributeValue(1, 1, &a, 1), NI);
  KT_RV(p11->C_DestroyObject(1, 1), NI);
  KT_RV(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &si.flags, NULL), NI);
  if (p11_3) {
    CK_INFO info;
    KT_RV(p11_3->C_Finalize(NULL), NI);
    KT_RV(p11_3->C_GetInfo(&info), NI);
    KT_RV(p11_3->C_GetSlotList(CK_FALSE, NULL, &n), NI);
    KT_RV(p11_3->C_LoginUser(1, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 4,
                             (CK_UTF8CHAR_PTR) "u", 1), NI);
    KT_RV(p11_3->C_SessionCancel(1, 0), NI);
  }
}

static void test_not_initialized(void)
{
  check_not_initialized();
  KT_OK_F(kt_init());
  KT_OK(kt_fini());
  check_not_initialized(); /* again after C_Finalize */
}

/* ------------------------------------------------------------------ */
/* C_Initialize / C_Finalize argument rules (§5.4.1, §5.4.2) */
static atomic_int m_create, m_destroy, m_lock, m_unlock;

static CK_RV cb_create(CK_VOID_PTR_PTR pp)
{
  pthread_mutex_t *m = malloc(sizeof *m);
  if (!pp) return CKR_ARGUMENTS_BAD;
  if (!m) return CKR_HOST_MEMORY;
  pthread_mutex_init(m, NULL);
  *pp = m;
  m_create++;
  return CKR_OK;
}
static CK_RV cb_destroy(CK_VOID_PTR p)
{
  if (!p) return CKR_MUTEX_BAD;
  pthread_mutex_destroy(p);
  free(p);
  m_destroy++;
  return CKR_OK;
}
static CK_RV cb_lock(CK_VOID_PTR p)
{
  if (!p) return CKR_MUTEX_BAD;
  pthread_mutex_lock(p);
  m_lock++;
  return CKR_OK;
}
static CK_RV cb_unlock(CK_VOID_PTR p)
{
  if (!p) return CKR_MUTEX_BAD;
  m_unlock++;
  pthread_mutex_unlock(p);
  return CKR_OK;
}

static CK_C_INITIALIZE_ARGS args_with(int c, int d, int l, int u,
                                      CK_FLAGS flags)
{
  CK_C_INITIALIZE_ARGS a;
  memset(&a, 0, sizeof a);
  if (c) a.CreateMutex = cb_create;
  if (d) a.DestroyMutex = cb_destroy;
  if (l) a.LockMutex = cb_lock;
  if (u) a.UnlockMutex = cb_unlock;
  a.flags = flags;
  return a;
}

static void test_initialize_basic(void)
{
  CK_C_INITIALIZE_ARGS a;
  KT_OK_F(p11->C_Initialize(NULL));
  KT_RV(p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  a = args_with(0, 0, 0, 0, CKF_OS_LOCKING_OK);
  KT_RV(p11->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  int dummy;
  KT_RV(p11->C_Finalize(&dummy), CKR_ARGUMENTS_BAD);
  CK_INFO info;
  KT_OK(p11->C_GetInfo(&info)); /* still initialized */
  KT_OK(p11->C_Finalize(NULL));
  KT_RV(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);

  /* zeroed args = "no threads" (case 1) */
  a = args_with(0, 0, 0, 0, 0);
  KT_OK(p11->C_Initialize(&a));
  KT_OK(p11->C_Finalize(NULL));
  /* OS locking (case 2) */
  a = args_with(0, 0, 0, 0, CKF_OS_LOCKING_OK);
  KT_OK(p11->C_Initialize(&a));
  KT_OK(p11->C_Finalize(NULL));

  /* a few init/fini cycles, each usable */
  for (int i = 0; i < 5; i++) {
    CK_ULONG n = 0;
    KT_OK(kt_init());
    KT_OK(p11->C_GetSlotList(CK_FALSE, NULL, &n));
    KT_CHECK(n >= 1, "at least the free slot (cycle %d)", i);
    KT_OK(kt_fini());
  }
}

static void test_initialize_bad_args(void)
{
  CK_C_INITIALIZE_ARGS a;
  int dummy;
  /* pReserved must be NULL */
  a = args_with(0, 0, 0, 0, CKF_OS_LOCKING_OK);
  a.pReserved = &dummy;
  KT_RV(p11->C_Initialize(&a), CKR_ARGUMENTS_BAD);
  a = args_with(0, 0, 0, 0, 0);
  a.pReserved = &dummy;
  KT_RV(p11->C_Initialize(&a), CKR_ARGUMENTS_BAD);
  a = args_with(1, 1, 1, 1, CKF_OS_LOCKING_OK);
  a.pReserved = &dummy;
  KT_RV(p11->C_Initialize(&a), CKR_ARGUMENTS_BAD);

  /* some but not all mutex callbacks: ARGUMENTS_BAD, with or without the
   * OS-locking flag (all 14 mixed combinations) */
  for (int mask = 1; mask < 15; mask++)
    for (int fl = 0; fl < 2; fl++) {
      a = args_with(mask & 1, mask & 2, mask & 4, mask & 8,
                    fl ? CKF_OS_LOCKING_OK : 0);
      CK_RV rv = p11->C_Initialize(&a);
      KT_CHECK(rv == CKR_ARGUMENTS_BAD,
               "C_Initialize with callbacks mask 0x%x flags 0x%lx: %s, "
               "expected CKR_ARGUMENTS_BAD", mask,
               (unsigned long)a.flags, kt_rvname(rv));
      if (rv == CKR_OK) p11->C_Finalize(NULL);
    }
  /* the module must still be uninitialized */
  CK_ULONG n;
  KT_RV(p11->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
}

struct busy_arg {
  CK_SLOT_ID slot;
  int n;
};

static void *busy_thread(void *p)
{
  struct busy_arg *b = p;
  for (int i = 0; i < b->n; i++) {
    CK_SESSION_HANDLE s;
    CK_ULONG cnt = 0;
    p11->C_GetSlotList(CK_FALSE, NULL, &cnt);
    if (kt_open(b->slot, 0, &s) == CKR_OK) p11->C_CloseSession(s);
  }
  return NULL;
}

/* case 3: callbacks, no CKF_OS_LOCKING_OK: "the library must use the
 * supplied function pointers for mutex-handling" or return CKR_CANT_LOCK */
static void test_initialize_callbacks_only(void)
{
  CK_C_INITIALIZE_ARGS a = args_with(1, 1, 1, 1, 0);
  m_create = m_destroy = m_lock = m_unlock = 0;
  CK_RV rv = p11->C_Initialize(&a);
  KT_RV_F(rv, CKR_OK, CKR_CANT_LOCK);
  if (rv != CKR_OK) return;
  CK_SLOT_ID slot;
  KT_OK(kt_free_slot(&slot, NULL));
  pthread_t t[2];
  struct busy_arg b = {slot, 50};
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, busy_thread, &b);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  KT_CHECK(m_create > 0 && m_lock > 0,
           "C_Initialize(callbacks, no CKF_OS_LOCKING_OK) returned CKR_OK"
           " but the callbacks were not used (create %d lock %d unlock %d)",
           (int)m_create, (int)m_lock, (int)m_unlock);
  KT_CHECK(m_lock == m_unlock, "locks %d != unlocks %d while idle",
           (int)m_lock, (int)m_unlock);
  KT_OK(p11->C_Finalize(NULL));
}

/* case 4: callbacks + flag: library may use either; it can lock (case 2
 * works), so CKR_OK. */
static void test_initialize_callbacks_and_flag(void)
{
  CK_C_INITIALIZE_ARGS a = args_with(1, 1, 1, 1, CKF_OS_LOCKING_OK);
  KT_OK_F(p11->C_Initialize(&a));
  CK_SLOT_ID slot;
  KT_OK(kt_free_slot(&slot, NULL));
  pthread_t t[2];
  struct busy_arg b = {slot, 20};
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, busy_thread, &b);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  KT_OK(p11->C_Finalize(NULL));
  /* CKF_LIBRARY_CANT_CREATE_OS_THREADS: fine unless the library needs
   * threads of its own */
  a = args_with(0, 0, 0, 0,
                CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS);
  CK_RV rv = p11->C_Initialize(&a);
  KT_RV(rv, CKR_OK, CKR_NEED_TO_CREATE_THREADS);
  if (rv == CKR_OK) KT_OK(p11->C_Finalize(NULL));
}

/* ------------------------------------------------------------------ */
/* 8 threads race C_Initialize: exactly one CKR_OK.  Then the same for
 * C_Finalize: exactly one CKR_OK, the rest CKR_CRYPTOKI_NOT_INITIALIZED.
 * The threaded tests run in a helper process (this binary re-executed) so
 * that a crash fails only this test; it reports with KT_H and its exit
 * status. */
#define NRACE 8
static pthread_barrier_t race_bar;
static CK_RV race_rv[NRACE];

static void *race_init(void *p)
{
  int i = (int)(long)p;
  CK_C_INITIALIZE_ARGS a = args_with(0, 0, 0, 0, CKF_OS_LOCKING_OK);
  pthread_barrier_wait(&race_bar);
  race_rv[i] = p11->C_Initialize(&a);
  return NULL;
}

static void *race_fini(void *p)
{
  int i = (int)(long)p;
  pthread_barrier_wait(&race_bar);
  race_rv[i] = p11->C_Finalize(NULL);
  return NULL;
}

static void run_race(void *(*fn)(void *), CK_RV others, const char *what,
                     int round)
{
  pthread_t t[NRACE];
  pthread_barrier_init(&race_bar, NULL, NRACE);
  for (long i = 0; i < NRACE; i++) pthread_create(&t[i], NULL, fn, (void *)i);
  for (int i = 0; i < NRACE; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&race_bar);
  int ok = 0, other = 0;
  for (int i = 0; i < NRACE; i++) {
    if (race_rv[i] == CKR_OK) ok++;
    else if (race_rv[i] == others) other++;
    else
      KT_H(0, "%s round %d thread %d: %s", what, round, i,
           kt_rvname(race_rv[i]));
  }
  KT_H(ok == 1 && other == NRACE - 1,
       "%s round %d: %d x CKR_OK, %d x %s (want exactly one CKR_OK)", what,
       round, ok, other, kt_rvname(others));
}

static int race_child(void)
{
  for (int r = 0; r < 20 && !kt_hfail; r++) {
    CK_ULONG n = 0;
    run_race(race_init, CKR_CRYPTOKI_ALREADY_INITIALIZED, "C_Initialize", r);
    KT_HRV(p11->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
    run_race(race_fini, CKR_CRYPTOKI_NOT_INITIALIZED, "C_Finalize", r);
    KT_HRV(p11->C_GetSlotList(CK_FALSE, NULL, &n),
           CKR_CRYPTOKI_NOT_INITIALIZED);
  }
  return kt_hfail ? 1 : 0;
}

static void test_initialize_race(void)
{
  int st = kt_run_self(NULL, 0, "race", NULL);
  KT_CHECK(st == 0, "C_Initialize/C_Finalize race child: %s %d (see the "
           "messages above)", st > 128 ? "killed by signal" : "exit",
           st > 128 ? st - 128 : st);
}

/* ------------------------------------------------------------------ */
/* C_Finalize while other threads are inside the library.  The spec calls
 * this undefined (§5.4.2); the product contract demands no crash and
 * sane return codes. */
#define NBUSY 6
static atomic_int busy_stop, busy_finalized;
static CK_SLOT_ID busy_slot;
static struct {
  CK_RV bad;
  const char *fn;
  int not_init;
} busy_res[NBUSY];

static int legal_during_finalize(CK_RV rv)
{
  switch (rv) {
  case CKR_OK:
  case CKR_CRYPTOKI_NOT_INITIALIZED:
  case CKR_SESSION_HANDLE_INVALID:
  case CKR_SESSION_CLOSED:
  case CKR_OPERATION_NOT_INITIALIZED:
  case CKR_SLOT_ID_INVALID:
  case CKR_TOKEN_NOT_PRESENT:
  case CKR_DEVICE_REMOVED:
    return 1;
  default:
    return 0;
  }
}

#define BUSY_CALL(i, name, call)                                          \
  ({ CK_RV r__ = (call);                                                  \
     if (!legal_during_finalize(r__) && !busy_res[i].bad) {               \
       busy_res[i].bad = r__; busy_res[i].fn = name; }                    \
     if (r__ == CKR_CRYPTOKI_NOT_INITIALIZED) busy_res[i].not_init++;     \
     r__; })

static void *busy_loop(void *p)
{
  int i = (int)(long)p, kind = i % 3;
  CK_SESSION_HANDLE s = 0;
  int have = 0;
  double deadline = 0;
  while (!busy_stop) {
    if (busy_finalized && !deadline) deadline = kt_now() + 3;
    if (deadline && kt_now() > deadline) break;
    if (kind == 0) {
      CK_SLOT_ID v[64];
      CK_ULONG n = 64;
      CK_RV rv = BUSY_CALL(i, "C_GetSlotList",
                           p11->C_GetSlotList(CK_FALSE, v, &n));
      if (rv == CKR_CRYPTOKI_NOT_INITIALIZED) break;
    } else if (kind == 1) {
      CK_RV rv = BUSY_CALL(i, "C_OpenSession", kt_open(busy_slot, 0, &s));
      if (rv == CKR_OK) BUSY_CALL(i, "C_CloseSession", p11->C_CloseSession(s));
      if (rv == CKR_CRYPTOKI_NOT_INITIALIZED) break;
    } else {
      if (!have) {
        CK_RV rv = BUSY_CALL(i, "C_OpenSession", kt_open(busy_slot, 0, &s));
        if (rv == CKR_CRYPTOKI_NOT_INITIALIZED) break;
        have = rv == CKR_OK;
        continue;
      }
      CK_OBJECT_HANDLE h[8];
      CK_ULONG n = 0;
      CK_RV rv = BUSY_CALL(i, "C_FindObjectsInit",
                           p11->C_FindObjectsInit(s, NULL, 0));
      if (rv == CKR_OK) {
        BUSY_CALL(i, "C_FindObjects", p11->C_FindObjects(s, h, 8, &n));
        BUSY_CALL(i, "C_FindObjectsFinal", p11->C_FindObjectsFinal(s));
      }
      if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED)
        have = 0;
      if (rv == CKR_CRYPTOKI_NOT_INITIALIZED) break;
    }
  }
  return NULL;
}

static int busy_child(CK_SLOT_ID slot)
{
  CK_SESSION_HANDLE s;
  busy_slot = slot;
  if (KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
  for (int round = 0; round < 5 && !kt_hfail; round++) {
    pthread_t t[NBUSY];
    /* each round ends finalized: start the next one initialized */
    if (round > 0 && KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
    memset(busy_res, 0, sizeof busy_res);
    busy_stop = busy_finalized = 0;
    for (long i = 0; i < NBUSY; i++)
      pthread_create(&t[i], NULL, busy_loop, (void *)i);
    kt_msleep(30 + rand() % 70);
    KT_HRV(p11->C_Finalize(NULL), CKR_OK);
    busy_finalized = 1;
    for (int i = 0; i < NBUSY; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < NBUSY; i++)
      KT_H(!busy_res[i].bad,
           "round %d thread %d: %s returned %s around C_Finalize", round, i,
           busy_res[i].fn ? busy_res[i].fn : "?",
           kt_rvname(busy_res[i].bad));
    /* the library is usable again after a fresh C_Initialize */
    if (KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
    CK_OBJECT_HANDLE h[16];
    CK_ULONG n = 0;
    if (KT_HRV(kt_open(busy_slot, 0, &s), CKR_OK) == CKR_OK) {
      KT_HRV(kt_find(s, NULL, 0, h, 16, &n), CKR_OK);
      KT_H(n == 5, "round %d: %lu objects after re-init, expected 5", round,
           (unsigned long)n);
    }
    KT_HRV(p11->C_Finalize(NULL), CKR_OK);
  }
  return kt_hfail ? 1 : 0;
}

static void test_finalize_while_busy(void)
{
  CK_SESSION_HANDLE s;
  KT_OK_F(kt_init());
  KT_OK_F(kt_fresh_token("busy", SO_PIN, USER_PIN, &busy_slot));
  KT_OK_F(kt_open(busy_slot, 1, &s));
  for (int i = 0; i < 5; i++) {
    char lab[16];
    CK_OBJECT_HANDLE h;
    snprintf(lab, sizeof lab, "busy%d", i);
    KT_OK(kt_mk_data(s, 1, 0, lab, "v", 1, &h));
  }
  KT_OK(p11->C_Finalize(NULL));
  char sl[24];
  snprintf(sl, sizeof sl, "%lu", (unsigned long)busy_slot);
  int st = kt_run_self(NULL, 0, "busy", sl, NULL);
  KT_CHECK(st == 0, "C_Finalize-while-busy child: %s %d (see the messages "
           "above)", st > 128 ? "killed by signal" : "exit",
           st > 128 ? st - 128 : st);
}

/* ------------------------------------------------------------------ */
/* fork(): the child starts uninitialized (contract; 2.40 §6.7.6/3.0
 * "Cryptoki in forked processes": the child must call C_Initialize), its
 * C_Initialize works, it does not inherit sessions or login state; the
 * parent is unaffected. */
struct fork_ctx {
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE pub, priv, sobj;
};

static int fork_child(void *p)
{
  struct fork_ctx *c = p;
  CK_ULONG n = 0;
  CK_SESSION_INFO si;
  CK_SESSION_HANDLE s;
  char lab[64];
  KT_HRV(p11->C_GetSlotList(CK_FALSE, NULL, &n),
         CKR_CRYPTOKI_NOT_INITIALIZED);
  KT_HRV(p11->C_GetSessionInfo(c->s, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
  if (KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
  KT_HRV(p11->C_GetSessionInfo(c->s, &si), CKR_SESSION_HANDLE_INVALID);
  KT_HRV(p11->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
  KT_HRV(p11->C_GetTokenInfo(c->slot, &(CK_TOKEN_INFO){0}), CKR_OK);
  if (KT_HRV(kt_open(c->slot, 1, &s), CKR_OK) == CKR_OK) {
    CK_STATE st = 99;
    KT_HRV(kt_state(s, &st), CKR_OK);
    KT_H(st == CKS_RW_PUBLIC_SESSION, "child session state %lu, expected "
         "CKS_RW_PUBLIC_SESSION (login state is per process)",
         (unsigned long)st);
    KT_HRV(kt_label(s, c->pub, lab, sizeof lab), CKR_OK);
    KT_H(!strcmp(lab, "fork-pub"), "child reads label '%s'", lab);
    KT_HRV(kt_label(s, c->priv, lab, sizeof lab), CKR_OBJECT_HANDLE_INVALID);
    KT_HRV(kt_label(s, c->sobj, lab, sizeof lab), CKR_OBJECT_HANDLE_INVALID);
    KT_HRV(p11->C_CloseSession(s), CKR_OK);
  }
  KT_HRV(p11->C_Finalize(NULL), CKR_OK);
  return kt_hfail ? 1 : 0;
}

static void test_fork(void)
{
  struct fork_ctx c;
  char lab[64];
  KT_OK_F(kt_init());
  KT_OK_F(kt_fresh_token("fork", SO_PIN, USER_PIN, &c.slot));
  KT_OK_F(kt_open(c.slot, 1, &c.s));
  KT_OK_F(kt_login(c.s, CKU_USER, USER_PIN));
  KT_OK(kt_mk_data(c.s, 1, 0, "fork-pub", "a", 1, &c.pub));
  KT_OK(kt_mk_data(c.s, 1, 1, "fork-priv", "b", 1, &c.priv));
  KT_OK(kt_mk_data(c.s, 0, 0, "fork-sess", "c", 1, &c.sobj));

  int st = kt_fork(fork_child, &c);
  KT_CHECK(st == 0, "forked child reported failures (exit %d%s)", st,
           st == 99 ? ": valgrind errors in the child; rerun valgrind with "
                      "--child-silent-after-fork=no to see them" : "");

  /* parent unaffected: session, login state, objects */
  CK_STATE state = 99;
  KT_OK(kt_state(c.s, &state));
  KT_EQ_UL(state, CKS_RW_USER_FUNCTIONS);
  KT_OK(kt_label(c.s, c.priv, lab, sizeof lab));
  KT_OK(kt_label(c.s, c.sobj, lab, sizeof lab));
  KT_CHECK(!strcmp(lab, "fork-sess"), "session object label '%s'", lab);
  KT_OK(kt_label(c.s, c.pub, lab, sizeof lab));
  KT_OK(p11->C_Finalize(NULL));
}

/* ------------------------------------------------------------------ */
/* contract: KERNTOK_LOG=calls:/path logs every C_* call with CK_RV names */
static void test_call_log(void)
{
  char path[256], *buf = NULL;
  size_t cap = 0;
  snprintf(path, sizeof path, "%s/calls.log", kt_tmpdir());
  char env[300];
  snprintf(env, sizeof env, "calls:%s", path);
  setenv("KERNTOK_LOG", env, 1);
  int st1 = kt_run_self(NULL, 0, "uninit", NULL);
  int st2 = kt_run_self(NULL, 0, "tokinfo", "0", NULL);
  unsetenv("KERNTOK_LOG");
  KT_CHECK(st1 == 0 && st2 == 0, "helpers ran (%d %d)", st1, st2);
  FILE *f = fopen(path, "r");
  if (!KT_CHECK(f != NULL, "call log %s written", path)) return;
  size_t len = 0;
  for (;;) {
    if (len + 4096 > cap) buf = realloc(buf, cap = cap ? 2 * cap : 65536);
    size_t r = fread(buf + len, 1, cap - len - 1, f);
    if (!r) break;
    len += r;
  }
  buf[len] = 0;
  fclose(f);
  static const char *want[] = {"C_GetSlotList", "CKR_CRYPTOKI_NOT_INITIALIZED",
                               "C_Initialize", "C_GetTokenInfo", "CKR_OK",
                               "C_Finalize"};
  for (size_t i = 0; i < KT_ARRAY_LEN(want); i++)
    KT_CHECK(strstr(buf, want[i]) != NULL, "call log mentions %s", want[i]);
  free(buf);
}

/* ------------------------------------------------------------------ */
static void register_suites(void)
{
  CU_pSuite s = kt_suite("general", NULL, NULL, make_sure_finalized,
                         make_sure_finalized);
  kt_test(s, "C_GetFunctionList", test_function_list);
  kt_test(s, "C_GetInterfaceList", test_interface_list);
  kt_test(s, "C_GetInterface", test_get_interface);
  kt_test(s, "C_GetInfo", test_get_info);
  kt_test(s, "calls before C_Initialize / after C_Finalize",
          test_not_initialized);
  kt_test(s, "C_Initialize/C_Finalize basics", test_initialize_basic);
  kt_test(s, "C_Initialize bad arguments", test_initialize_bad_args);
  kt_test(s, "C_Initialize mutex callbacks, no OS locking",
          test_initialize_callbacks_only);
  kt_test(s, "C_Initialize mutex callbacks + OS locking",
          test_initialize_callbacks_and_flag);

  s = kt_suite("threads", NULL, NULL, make_sure_finalized,
               make_sure_finalized);
  kt_test(s, "8 threads race C_Initialize / C_Finalize",
          test_initialize_race);
  kt_test(s, "C_Finalize while threads are busy", test_finalize_while_busy);

  kt_test(s, "KERNTOK_LOG call log", test_call_log);

  s = kt_suite("fork", NULL, NULL, make_sure_finalized, make_sure_finalized);
  kt_test(s, "fork: child re-initializes, parent unaffected", test_fork);
}

static int helper(int argc, char **argv)
{
  if (!strcmp(argv[0], "race") && argc == 1) return race_child();
  if (!strcmp(argv[0], "busy") && argc == 2)
    return busy_child(strtoul(argv[1], NULL, 0));
  return -1;
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, helper);
}
