/*
 * test_token.c - slot and token management, sessions and login state
 * (PKCS#11 3.0 §5.5, §5.6, §5.7 "session management", 2.40 §6.7 session
 * state table), PIN rules and lockout (kerntok contract).
 */
#include "kt_test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"

static void setup_init(void) { KT_OK_F(kt_init()); }
static void teardown_fini(void) { p11->C_Finalize(NULL); }

/* Initializes a token with KERNTOK_PIN_TRIES set only around C_InitToken
 * (the contract says C_InitToken reads it), then sets the user PIN. */
static CK_RV token_with_tries(const char *label, int tries, CK_SLOT_ID *slot)
{
  char buf[16];
  snprintf(buf, sizeof buf, "%d", tries);
  setenv("KERNTOK_PIN_TRIES", buf, 1);
  CK_RV rv = kt_init_token(label, SO_PIN, slot);
  unsetenv("KERNTOK_PIN_TRIES");
  if (rv != CKR_OK) return rv;
  CK_SESSION_HANDLE s;
  if ((rv = kt_open(*slot, 1, &s)) != CKR_OK) return rv;
  if ((rv = kt_login(s, CKU_SO, SO_PIN)) == CKR_OK) {
    rv = p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN));
    p11->C_Logout(s);
  }
  p11->C_CloseSession(s);
  return rv;
}

static int count_obj_files(CK_SLOT_ID slot)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/tokens/%lu/objects", getenv("KERNTOK_DIR"),
           (unsigned long)slot);
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (l > 4 && !strcmp(e->d_name + l - 4, ".obj")) n++;
  }
  closedir(d);
  return n;
}

static int no_nul(const CK_UTF8CHAR *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!p[i]) return 0;
  return 1;
}

/* ================================================================== */
/* slots */
static void test_slot_list(void)
{
  CK_ULONG n = 0, n2 = 0;
  CK_SLOT_ID slot;
  int nfree = 0;

  KT_RV(p11->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD);
  KT_OK_F(p11->C_GetSlotList(CK_FALSE, NULL, &n));
  KT_CHECK(n >= 1, "at least one slot (the free one)");
  KT_OK(kt_free_slot(&slot, &nfree));
  KT_CHECK(nfree == 1, "exactly one free slot, found %d", nfree);
  if (n < 2) { /* make sure there is more than one slot */
    KT_OK_F(kt_fresh_token("slots", SO_PIN, USER_PIN, &slot));
    KT_OK_F(p11->C_GetSlotList(CK_FALSE, NULL, &n));
  }
  KT_CHECK_F(n >= 2, "two slots after C_InitToken");

  /* the free slot's token is present (uninitialized), so tokenPresent
   * TRUE lists the same slots */
  KT_OK(p11->C_GetSlotList(CK_TRUE, NULL, &n2));
  KT_EQ_UL(n2, n);

  CK_SLOT_ID *v = calloc(n + 2, sizeof *v);
  CK_ULONG c = n - 1;
  KT_RV(p11->C_GetSlotList(CK_FALSE, v, &c), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(c, n);
  c = 0;
  KT_RV(p11->C_GetSlotList(CK_FALSE, v, &c), CKR_BUFFER_TOO_SMALL);
  KT_EQ_UL(c, n);
  c = n + 2;
  KT_OK(p11->C_GetSlotList(CK_FALSE, v, &c));
  KT_EQ_UL(c, n);
  for (CK_ULONG i = 0; i < c; i++)
    for (CK_ULONG j = i + 1; j < c; j++)
      KT_CHECK(v[i] != v[j], "slot id %lu listed twice", (unsigned long)v[i]);
  c = n + 2;
  KT_OK(p11->C_GetSlotList(CK_TRUE, v, &c));
  KT_EQ_UL(c, n);
  free(v);
}

static void test_init_token_adds_free_slot(void)
{
  CK_ULONG n0 = 0, n1 = 0;
  CK_SLOT_ID f, f2;
  CK_TOKEN_INFO ti;
  CK_UTF8CHAR lab[32];
  int nfree = 0;

  KT_OK_F(p11->C_GetSlotList(CK_FALSE, NULL, &n0));
  KT_OK_F(kt_free_slot(&f, &nfree));
  KT_OK(p11->C_GetTokenInfo(f, &ti));
  KT_CHECK(!(ti.flags & CKF_TOKEN_INITIALIZED), "free slot uninitialized");
  kt_pad(lab, sizeof lab, "new token");
  KT_OK_F(p11->C_InitToken(f, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab));

  KT_OK(p11->C_GetTokenInfo(f, &ti));
  KT_CHECK(ti.flags & CKF_TOKEN_INITIALIZED, "initialized after C_InitToken");
  KT_CHECK(!(ti.flags & CKF_USER_PIN_INITIALIZED),
           "user PIN not initialized before C_InitPIN");
  KT_CHECK(!memcmp(ti.label, lab, 32), "label '%.32s'", ti.label);

  KT_OK(p11->C_GetSlotList(CK_FALSE, NULL, &n1));
  KT_EQ_UL(n1, n0 + 1);
  KT_OK(kt_free_slot(&f2, &nfree));
  KT_CHECK(nfree == 1, "exactly one free slot after C_InitToken: %d", nfree);
  KT_CHECK(f2 != f, "the new free slot is a different slot");

  /* C_InitPIN sets CKF_USER_PIN_INITIALIZED */
  CK_SESSION_HANDLE s;
  KT_OK_F(kt_open(f, 1, &s));
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4));
  KT_OK(p11->C_GetTokenInfo(f, &ti));
  KT_CHECK(ti.flags & CKF_USER_PIN_INITIALIZED,
           "CKF_USER_PIN_INITIALIZED after C_InitPIN");
  KT_OK(p11->C_CloseSession(s));

  /* still exactly one extra slot after the re-enumeration */
  KT_OK(p11->C_GetSlotList(CK_FALSE, NULL, &n1));
  KT_EQ_UL(n1, n0 + 1);
}

static void test_slot_info(void)
{
  CK_ULONG n = 0;
  CK_SLOT_ID *v = kt_slots(&n), maxid = 0;
  CK_SLOT_INFO si;
  CK_TOKEN_INFO ti;
  KT_CHECK_F(v != NULL, "slot list");
  for (CK_ULONG i = 0; i < n; i++) {
    if (v[i] > maxid) maxid = v[i];
    if (!KT_OK(p11->C_GetSlotInfo(v[i], &si))) continue;
    KT_CHECK(si.flags & CKF_TOKEN_PRESENT, "slot %lu: CKF_TOKEN_PRESENT",
             (unsigned long)v[i]);
    KT_CHECK(no_nul(si.slotDescription, sizeof si.slotDescription) &&
                 no_nul(si.manufacturerID, sizeof si.manufacturerID),
             "slot %lu: blank-padded strings", (unsigned long)v[i]);
    KT_OK(p11->C_GetTokenInfo(v[i], &ti));
  }
  KT_RV(p11->C_GetSlotInfo(v[0], NULL), CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_GetTokenInfo(v[0], NULL), CKR_ARGUMENTS_BAD);
  CK_SLOT_ID bad[] = {maxid + 1, maxid + 1000, 0x7fffffffUL, (CK_SLOT_ID)-1};
  for (size_t i = 0; i < KT_ARRAY_LEN(bad); i++) {
    KT_RV(p11->C_GetSlotInfo(bad[i], &si), CKR_SLOT_ID_INVALID);
    KT_RV(p11->C_GetTokenInfo(bad[i], &ti), CKR_SLOT_ID_INVALID);
    CK_SESSION_HANDLE s;
    KT_RV(kt_open(bad[i], 0, &s), CKR_SLOT_ID_INVALID);
    KT_RV(p11->C_CloseAllSessions(bad[i]), CKR_SLOT_ID_INVALID);
  }
  free(v);
}

static void check_counts(CK_SLOT_ID slot, CK_ULONG all, CK_ULONG rw,
                         const char *when)
{
  CK_TOKEN_INFO ti;
  if (!KT_OK(p11->C_GetTokenInfo(slot, &ti))) return;
  KT_CHECK(ti.ulSessionCount == all && ti.ulRwSessionCount == rw,
           "%s: ulSessionCount %lu ulRwSessionCount %lu, expected %lu %lu",
           when, (unsigned long)ti.ulSessionCount,
           (unsigned long)ti.ulRwSessionCount, (unsigned long)all,
           (unsigned long)rw);
}

static void test_token_info(void)
{
  CK_SLOT_ID slot;
  CK_TOKEN_INFO ti;
  CK_SESSION_HANDLE ro, rw;
  KT_OK_F(kt_fresh_token("info token", SO_PIN, USER_PIN, &slot));
  KT_OK_F(p11->C_GetTokenInfo(slot, &ti));
  KT_CHECK(kt_padded_eq(ti.label, 32, "info token"),
           "label blank padded to 32 bytes: '%.32s'", ti.label);
  KT_CHECK(no_nul(ti.manufacturerID, 32) && no_nul(ti.model, 16) &&
               no_nul(ti.serialNumber, 16),
           "manufacturerID/model/serialNumber blank padded, no NUL");
  KT_CHECK(ti.flags & CKF_TOKEN_INITIALIZED, "CKF_TOKEN_INITIALIZED");
  KT_CHECK(ti.flags & CKF_USER_PIN_INITIALIZED, "CKF_USER_PIN_INITIALIZED");
  KT_CHECK(ti.flags & CKF_LOGIN_REQUIRED, "CKF_LOGIN_REQUIRED");
  KT_CHECK(!(ti.flags & CKF_WRITE_PROTECTED), "not write protected");
  KT_CHECK(!(ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
                         CKF_USER_PIN_LOCKED | CKF_SO_PIN_COUNT_LOW |
                         CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED)),
           "no PIN failure flags on a fresh token: 0x%lx",
           (unsigned long)ti.flags);
  KT_EQ_UL(ti.ulMinPinLen, 4);
  KT_EQ_UL(ti.ulMaxPinLen, 64);
  KT_CHECK(ti.ulTotalPublicMemory == CK_UNAVAILABLE_INFORMATION ||
               ti.ulFreePublicMemory == CK_UNAVAILABLE_INFORMATION ||
               ti.ulFreePublicMemory <= ti.ulTotalPublicMemory,
           "free public memory %lu <= total %lu",
           (unsigned long)ti.ulFreePublicMemory,
           (unsigned long)ti.ulTotalPublicMemory);
  KT_CHECK(ti.ulTotalPrivateMemory == CK_UNAVAILABLE_INFORMATION ||
               ti.ulFreePrivateMemory == CK_UNAVAILABLE_INFORMATION ||
               ti.ulFreePrivateMemory <= ti.ulTotalPrivateMemory,
           "free private memory %lu <= total %lu",
           (unsigned long)ti.ulFreePrivateMemory,
           (unsigned long)ti.ulTotalPrivateMemory);

  check_counts(slot, 0, 0, "no sessions");
  KT_OK_F(kt_open(slot, 0, &ro));
  check_counts(slot, 1, 0, "one RO session");
  KT_OK_F(kt_open(slot, 1, &rw));
  check_counts(slot, 2, 1, "RO + RW session");
  KT_OK(p11->C_CloseSession(ro));
  check_counts(slot, 1, 1, "RW session only");
  KT_OK(p11->C_CloseSession(rw));
  check_counts(slot, 0, 0, "all closed");
}

/* ================================================================== */
/* C_InitToken */
static void test_init_token_errors(void)
{
  CK_SLOT_ID f, f2;
  CK_ULONG n0 = 0, n1 = 0;
  CK_UTF8CHAR lab[32];
  char longpin[80];
  int nfree;
  kt_pad(lab, sizeof lab, "bad");
  memset(longpin, '7', sizeof longpin);
  KT_OK_F(p11->C_GetSlotList(CK_FALSE, NULL, &n0));
  KT_OK_F(kt_free_slot(&f, NULL));

  KT_RV(p11->C_InitToken(f, (CK_UTF8CHAR_PTR) "123", 3, lab),
        CKR_PIN_LEN_RANGE);
  KT_RV(p11->C_InitToken(f, (CK_UTF8CHAR_PTR)longpin, 65, lab),
        CKR_PIN_LEN_RANGE);
  KT_RV(p11->C_InitToken(f, (CK_UTF8CHAR_PTR)SO_PIN, 8, NULL),
        CKR_ARGUMENTS_BAD);
  KT_RV(p11->C_InitToken(0x7ffffff0UL, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab),
        CKR_SLOT_ID_INVALID);

  /* nothing was created */
  KT_OK(p11->C_GetSlotList(CK_FALSE, NULL, &n1));
  KT_EQ_UL(n1, n0);
  KT_OK(kt_free_slot(&f2, &nfree));
  KT_CHECK(nfree == 1 && f2 == f, "the same single free slot");

  /* boundaries: 64-byte SO PIN is accepted and works */
  KT_OK_F(p11->C_InitToken(f, (CK_UTF8CHAR_PTR)longpin, 64, lab));
  CK_SESSION_HANDLE s;
  KT_OK_F(kt_open(f, 1, &s));
  KT_RV(p11->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)longpin, 63),
        CKR_PIN_INCORRECT);
  KT_OK(p11->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)longpin, 64));
  /* user PIN length limits in C_InitPIN */
  KT_RV(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR) "123", 3), CKR_PIN_LEN_RANGE);
  KT_RV(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)longpin, 65), CKR_PIN_LEN_RANGE);
  KT_OK(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)longpin, 64));
  KT_OK(p11->C_Logout(s));
  KT_OK(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)longpin, 64));
  KT_OK(p11->C_CloseSession(s));
}

static void test_init_token_existing(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_UTF8CHAR lab[32];
  CK_OBJECT_HANDLE pub, priv, sess;
  CK_ULONG n0 = 0, n1 = 0;
  CK_TOKEN_INFO ti;
  KT_OK_F(kt_fresh_token("reinit me", SO_PIN, USER_PIN, &slot));
  KT_OK_F(kt_open(slot, 1, &s));
  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(kt_mk_data(s, 1, 0, "pub", "1", 1, &pub));
  KT_OK(kt_mk_data(s, 1, 1, "priv", "2", 1, &priv));
  KT_OK(kt_mk_data(s, 0, 0, "sess", "3", 1, &sess));
  KT_CHECK(count_obj_files(slot) == 2, "2 object files on disk, found %d",
           count_obj_files(slot));

  /* a session is open: CKR_SESSION_EXISTS */
  kt_pad(lab, sizeof lab, "reinit done");
  KT_RV(p11->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab),
        CKR_SESSION_EXISTS);
  KT_OK(p11->C_CloseSession(s));

  /* wrong SO PIN */
  KT_RV(p11->C_InitToken(slot, (CK_UTF8CHAR_PTR) "87654321", 8, lab),
        CKR_PIN_INCORRECT);
  KT_OK_F(p11->C_GetSlotList(CK_FALSE, NULL, &n0));

  /* re-initialization destroys every object and the user PIN */
  KT_OK_F(p11->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab));
  KT_OK(p11->C_GetSlotList(CK_FALSE, NULL, &n1));
  KT_EQ_UL(n1, n0); /* re-init does not add a slot */
  KT_OK(p11->C_GetTokenInfo(slot, &ti));
  KT_CHECK(!memcmp(ti.label, lab, 32), "new label '%.32s'", ti.label);
  KT_CHECK(ti.flags & CKF_TOKEN_INITIALIZED, "still initialized");
  KT_CHECK(!(ti.flags & CKF_USER_PIN_INITIALIZED),
           "re-init clears CKF_USER_PIN_INITIALIZED");

  KT_OK_F(kt_open(slot, 1, &s));
  KT_RV(kt_login(s, CKU_USER, USER_PIN), CKR_USER_PIN_NOT_INITIALIZED);
  CK_OBJECT_HANDLE h[8];
  CK_ULONG n = 99;
  KT_OK(kt_find(s, NULL, 0, h, 8, &n));
  KT_EQ_UL(n, 0);
  char buf[32];
  KT_RV(kt_label(s, pub, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);
  KT_RV(kt_label(s, sess, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(kt_find(s, NULL, 0, h, 8, &n));
  KT_EQ_UL(n, 0);
  KT_RV(kt_label(s, priv, buf, sizeof buf), CKR_OBJECT_HANDLE_INVALID);
  KT_CHECK(count_obj_files(slot) == 0, "no object files after re-init, %d",
           count_obj_files(slot));
  KT_OK(p11->C_CloseSession(s));

  /* still nothing after a reload from disk in a new process */
  char *out = NULL, sl[24], v[32];
  snprintf(sl, sizeof sl, "%lu", (unsigned long)slot);
  KT_EQ_UL(kt_run_self(&out, 0, "list", sl, NULL), 0);
  KT_CHECK(kt_out_get(out, "n", v, sizeof v) && !strcmp(v, "0"),
           "other process lists %s objects after re-init", v);
  free(out);
}

/* ================================================================== */
/* sessions and login state (state table: 2.40 §6.7.1-6.7.3) */
static CK_SLOT_ID sslot, sslot2;

static int sessions_suite_init(void)
{
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_fresh_token("sessions", SO_PIN, USER_PIN, &sslot);
  if (rv == CKR_OK) rv = kt_fresh_token("sessions2", SO_PIN, USER_PIN, &sslot2);
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}

static void setup_sessions(void)
{
  KT_OK_F(kt_init());
  CK_SLOT_ID a = 0, b = 0;
  KT_OK(kt_slot_by_label("sessions", &a));
  KT_OK(kt_slot_by_label("sessions2", &b));
  KT_CHECK(a == sslot && b == sslot2, "slot ids changed: %lu %lu -> %lu %lu",
           (unsigned long)sslot, (unsigned long)sslot2, (unsigned long)a,
           (unsigned long)b);
  sslot = a;
  sslot2 = b;
}

static void expect_state(CK_SESSION_HANDLE s, CK_STATE want, const char *why)
{
  CK_SESSION_INFO si;
  if (!KT_OK(p11->C_GetSessionInfo(s, &si))) return;
  KT_CHECK(si.state == want, "%s: session state %lu, expected %lu", why,
           (unsigned long)si.state, (unsigned long)want);
}

static void test_open_session(void)
{
  CK_SESSION_HANDLE s = 0, s2 = 0;
  CK_SESSION_INFO si;
  KT_RV(p11->C_OpenSession(sslot, 0, NULL, NULL, &s),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  KT_RV(p11->C_OpenSession(sslot, CKF_RW_SESSION, NULL, NULL, &s),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  KT_RV(p11->C_OpenSession(sslot, CKF_SERIAL_SESSION, NULL, NULL, NULL),
        CKR_ARGUMENTS_BAD);

  KT_OK_F(kt_open(sslot, 0, &s));
  KT_OK_F(kt_open(sslot, 1, &s2));
  KT_CHECK(s != CK_INVALID_HANDLE && s2 != CK_INVALID_HANDLE && s != s2,
           "distinct valid session handles %lu %lu", (unsigned long)s,
           (unsigned long)s2);
  if (KT_OK(p11->C_GetSessionInfo(s, &si))) {
    KT_EQ_UL(si.slotID, sslot);
    KT_EQ_UL(si.state, CKS_RO_PUBLIC_SESSION);
    KT_CHECK((si.flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION)) ==
                 CKF_SERIAL_SESSION, "RO session flags 0x%lx",
             (unsigned long)si.flags);
  }
  if (KT_OK(p11->C_GetSessionInfo(s2, &si))) {
    KT_EQ_UL(si.slotID, sslot);
    KT_EQ_UL(si.state, CKS_RW_PUBLIC_SESSION);
    KT_CHECK((si.flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION)) ==
                 (CKF_SERIAL_SESSION | CKF_RW_SESSION),
             "RW session flags 0x%lx", (unsigned long)si.flags);
  }
  KT_RV(p11->C_GetSessionInfo(s, NULL), CKR_ARGUMENTS_BAD);
  KT_OK(p11->C_CloseSession(s));
  KT_RV(p11->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);
  KT_RV(p11->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID);
  KT_RV(p11->C_GetSessionInfo(CK_INVALID_HANDLE, &si),
        CKR_SESSION_HANDLE_INVALID);
  KT_OK(p11->C_CloseSession(s2));
}

static void test_user_login_states(void)
{
  CK_SESSION_HANDLE ro, rw, ro2, other;
  KT_OK_F(kt_open(sslot, 0, &ro));
  KT_OK_F(kt_open(sslot, 1, &rw));
  KT_OK_F(kt_open(sslot2, 1, &other));
  expect_state(ro, CKS_RO_PUBLIC_SESSION, "RO before login");
  expect_state(rw, CKS_RW_PUBLIC_SESSION, "RW before login");

  KT_RV(p11->C_Logout(ro), CKR_USER_NOT_LOGGED_IN);
  KT_OK(kt_login(ro, CKU_USER, USER_PIN)); /* login from an RO session */
  expect_state(ro, CKS_RO_USER_FUNCTIONS, "RO after user login");
  expect_state(rw, CKS_RW_USER_FUNCTIONS, "RW after user login (other "
               "session of the same application)");
  expect_state(other, CKS_RW_PUBLIC_SESSION, "session on another token");
  KT_OK(kt_open(sslot, 0, &ro2));
  expect_state(ro2, CKS_RO_USER_FUNCTIONS, "session opened after login");

  KT_RV(kt_login(rw, CKU_USER, USER_PIN), CKR_USER_ALREADY_LOGGED_IN);
  KT_RV(kt_login(ro2, CKU_USER, USER_PIN), CKR_USER_ALREADY_LOGGED_IN);
  KT_RV(kt_login(rw, CKU_SO, SO_PIN), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);

  KT_OK(p11->C_Logout(rw)); /* logout from any session */
  expect_state(ro, CKS_RO_PUBLIC_SESSION, "RO after logout");
  expect_state(rw, CKS_RW_PUBLIC_SESSION, "RW after logout");
  expect_state(ro2, CKS_RO_PUBLIC_SESSION, "RO2 after logout");
  KT_RV(p11->C_Logout(ro), CKR_USER_NOT_LOGGED_IN);
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(p11->C_CloseSession(rw));
  KT_OK(p11->C_CloseSession(ro2));
  KT_OK(p11->C_CloseSession(other));
}

static void test_so_login_states(void)
{
  CK_SESSION_HANDLE ro, rw, rw2, tmp;
  KT_OK_F(kt_open(sslot, 0, &ro));
  KT_OK_F(kt_open(sslot, 1, &rw));
  KT_RV(kt_login(rw, CKU_SO, SO_PIN), CKR_SESSION_READ_ONLY_EXISTS);
  KT_RV(kt_login(ro, CKU_SO, SO_PIN), CKR_SESSION_READ_ONLY_EXISTS);
  expect_state(rw, CKS_RW_PUBLIC_SESSION, "RW after refused SO login");
  KT_OK(p11->C_CloseSession(ro));

  KT_OK_F(kt_login(rw, CKU_SO, SO_PIN));
  expect_state(rw, CKS_RW_SO_FUNCTIONS, "RW after SO login");
  KT_RV(kt_open(sslot, 0, &tmp), CKR_SESSION_READ_WRITE_SO_EXISTS);
  KT_OK(kt_open(sslot, 1, &rw2));
  expect_state(rw2, CKS_RW_SO_FUNCTIONS, "RW opened while SO logged in");
  KT_RV(kt_login(rw2, CKU_SO, SO_PIN), CKR_USER_ALREADY_LOGGED_IN);
  KT_RV(kt_login(rw2, CKU_USER, USER_PIN), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
  KT_OK(p11->C_Logout(rw2));
  expect_state(rw, CKS_RW_PUBLIC_SESSION, "after SO logout");
  KT_OK(kt_open(sslot, 0, &ro));
  expect_state(ro, CKS_RO_PUBLIC_SESSION, "RO after SO logout");
  KT_OK(p11->C_CloseAllSessions(sslot));
}

static void test_close_last_session_logs_out(void)
{
  CK_SESSION_HANDLE s, s2;
  KT_OK_F(kt_open(sslot, 1, &s));
  KT_OK_F(kt_open(sslot, 0, &s2));
  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(p11->C_CloseSession(s));
  expect_state(s2, CKS_RO_USER_FUNCTIONS, "remaining session stays logged in");
  KT_OK(p11->C_CloseSession(s2)); /* last one: logs out */
  KT_OK_F(kt_open(sslot, 1, &s));
  expect_state(s, CKS_RW_PUBLIC_SESSION, "new session after the last closed");
  KT_OK(kt_login(s, CKU_USER, USER_PIN)); /* not ALREADY_LOGGED_IN */
  KT_OK(p11->C_CloseSession(s));
  /* the same for the SO */
  KT_OK_F(kt_open(sslot, 1, &s));
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_CloseSession(s));
  KT_OK_F(kt_open(sslot, 0, &s)); /* RO allowed again */
  expect_state(s, CKS_RO_PUBLIC_SESSION, "after the SO's last session");
  KT_OK(p11->C_CloseSession(s));
}

static void test_close_all_sessions(void)
{
  CK_SESSION_HANDLE s[3], other;
  CK_SESSION_INFO si;
  KT_OK_F(kt_open(sslot, 0, &s[0]));
  KT_OK_F(kt_open(sslot, 1, &s[1]));
  KT_OK_F(kt_open(sslot, 1, &s[2]));
  KT_OK_F(kt_open(sslot2, 0, &other));
  KT_OK(kt_login(s[1], CKU_USER, USER_PIN));
  KT_OK(p11->C_CloseAllSessions(sslot));
  for (int i = 0; i < 3; i++)
    KT_RV(p11->C_GetSessionInfo(s[i], &si), CKR_SESSION_HANDLE_INVALID);
  KT_RV(p11->C_CloseSession(s[0]), CKR_SESSION_HANDLE_INVALID);
  check_counts(sslot, 0, 0, "after C_CloseAllSessions");
  KT_OK(p11->C_GetSessionInfo(other, &si)); /* other token untouched */
  KT_OK_F(kt_open(sslot, 0, &s[0]));
  expect_state(s[0], CKS_RO_PUBLIC_SESSION, "logged out by CloseAllSessions");
  KT_OK(p11->C_CloseAllSessions(sslot));
  KT_OK(p11->C_CloseAllSessions(sslot)); /* none open: still OK */
  KT_OK(p11->C_CloseSession(other));
}

static void test_login_errors(void)
{
  CK_SESSION_HANDLE s, rw;
  CK_FLAGS f = 0;
  KT_OK_F(kt_open(sslot, 0, &s));
  KT_OK_F(kt_open(sslot, 1, &rw));
  KT_RV(kt_login(s, CKU_USER, "9999"), CKR_PIN_INCORRECT);
  KT_OK(kt_token_flags(sslot, &f));
  KT_CHECK(f & CKF_USER_PIN_COUNT_LOW, "COUNT_LOW after a failure: 0x%lx",
           (unsigned long)f);
  expect_state(s, CKS_RO_PUBLIC_SESSION, "after a failed login");
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(kt_token_flags(sslot, &f));
  KT_CHECK(!(f & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY)),
           "a successful login resets the failure flags: 0x%lx",
           (unsigned long)f);
  /* CKU_CONTEXT_SPECIFIC without an operation needing it: 2.40 §5.6
   * C_Login: "improper use of this user type will result in a return value
   * CKR_OPERATION_NOT_INITIALIZED" */
  KT_RV(kt_login(s, CKU_CONTEXT_SPECIFIC, USER_PIN),
        CKR_OPERATION_NOT_INITIALIZED);
  KT_OK(p11->C_Logout(s));
  KT_RV(kt_login(s, CKU_CONTEXT_SPECIFIC, USER_PIN),
        CKR_OPERATION_NOT_INITIALIZED);

  KT_RV(kt_login(rw, 3, USER_PIN), CKR_USER_TYPE_INVALID);
  KT_RV(kt_login(rw, 0x1234, USER_PIN), CKR_USER_TYPE_INVALID);
  KT_RV(kt_login(rw, (CK_USER_TYPE)-1, USER_PIN), CKR_USER_TYPE_INVALID);
  KT_RV(p11->C_Login(rw, CKU_USER, NULL, 4), CKR_ARGUMENTS_BAD);
  KT_RV(kt_login(0, CKU_USER, USER_PIN), CKR_SESSION_HANDLE_INVALID);
  KT_RV(kt_login(0x7ffffff1UL, CKU_USER, USER_PIN),
        CKR_SESSION_HANDLE_INVALID);
  KT_RV(p11->C_Logout(0x7ffffff1UL), CKR_SESSION_HANDLE_INVALID);
  KT_OK(p11->C_CloseSession(s));
  KT_OK(p11->C_CloseSession(rw));
}

static void test_login_before_initpin(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_FLAGS f = 0;
  KT_OK_F(kt_init_token("no user pin", SO_PIN, &slot));
  KT_OK(kt_token_flags(slot, &f));
  KT_CHECK(!(f & CKF_USER_PIN_INITIALIZED), "no user PIN yet");
  KT_OK_F(kt_open(slot, 1, &s));
  KT_RV(kt_login(s, CKU_USER, USER_PIN), CKR_USER_PIN_NOT_INITIALIZED);
  /* C_InitPIN needs the SO (R/W SO Functions state) */
  KT_RV(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4),
        CKR_USER_NOT_LOGGED_IN);
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, 4));
  KT_OK(p11->C_Logout(s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  /* and not by the user */
  KT_RV(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR) "5555", 4),
        CKR_USER_NOT_LOGGED_IN);
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* PIN failure counters and lockout (contract + 2.40 §3.2 CK_TOKEN_INFO
 * flags) */
#define UFLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | \
                CKF_USER_PIN_LOCKED)
#define SFLAGS (CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | \
                CKF_SO_PIN_LOCKED)

static CK_FLAGS flags_of(CK_SLOT_ID slot)
{
  CK_FLAGS f = 0;
  KT_OK(kt_token_flags(slot, &f));
  return f;
}

static void test_user_lockout(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_FLAGS f;
  KT_OK_F(token_with_tries("lock user", 3, &slot));
  KT_OK_F(kt_open(slot, 0, &s));

  KT_RV(kt_login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK((f & UFLAGS) == CKF_USER_PIN_COUNT_LOW,
           "after 1 of 3 failures: flags 0x%lx, want COUNT_LOW only",
           (unsigned long)f);
  KT_RV(kt_login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK((f & (CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)) ==
               CKF_USER_PIN_FINAL_TRY && (f & CKF_USER_PIN_COUNT_LOW),
           "after 2 of 3 failures: flags 0x%lx, want COUNT_LOW|FINAL_TRY",
           (unsigned long)f);
  KT_CHECK(!(f & SFLAGS), "SO flags untouched: 0x%lx", (unsigned long)f);
  /* the failure that locks: PIN_INCORRECT or already PIN_LOCKED */
  KT_RV(kt_login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT, CKR_PIN_LOCKED);
  f = flags_of(slot);
  KT_CHECK(f & CKF_USER_PIN_LOCKED, "after 3 of 3 failures: flags 0x%lx, "
           "want USER_PIN_LOCKED", (unsigned long)f);
  KT_RV(kt_login(s, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
  expect_state(s, CKS_RO_PUBLIC_SESSION, "locked out");

  /* persistent and shared: a new process sees the lock */
  char *out = NULL, sl[24], v[64];
  snprintf(sl, sizeof sl, "%lu", (unsigned long)slot);
  KT_EQ_UL(kt_run_self(&out, 1, "login", sl, "1", USER_PIN, NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_PIN_LOCKED"),
           "other process: C_Login with the right PIN: %s", v);
  KT_CHECK(kt_out_get(out, "flags", v, sizeof v) &&
               (strtoul(v, NULL, 0) & CKF_USER_PIN_LOCKED),
           "other process sees CKF_USER_PIN_LOCKED: %s", v);
  free(out);

  /* and after C_Finalize / C_Initialize */
  KT_OK(p11->C_Finalize(NULL));
  KT_OK_F(kt_init());
  KT_CHECK(flags_of(slot) & CKF_USER_PIN_LOCKED, "locked after re-init");
  KT_OK_F(kt_open(slot, 1, &s));
  KT_RV(kt_login(s, CKU_USER, USER_PIN), CKR_PIN_LOCKED);

  /* the SO unlocks with C_InitPIN */
  KT_OK_F(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR) "5678", 4));
  f = flags_of(slot);
  KT_CHECK(!(f & UFLAGS), "C_InitPIN clears the user PIN flags: 0x%lx",
           (unsigned long)f);
  KT_OK(p11->C_Logout(s));
  KT_RV(kt_login(s, CKU_USER, USER_PIN), CKR_PIN_INCORRECT);
  KT_OK(kt_login(s, CKU_USER, "5678"));
  KT_OK(p11->C_CloseSession(s));
}

static void test_so_lockout(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_FLAGS f;
  KT_OK_F(token_with_tries("lock so", 3, &slot));
  KT_OK_F(kt_open(slot, 1, &s));
  KT_RV(kt_login(s, CKU_SO, "00000000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK((f & SFLAGS) == CKF_SO_PIN_COUNT_LOW,
           "SO after 1 of 3: flags 0x%lx", (unsigned long)f);
  KT_RV(kt_login(s, CKU_SO, "00000000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK((f & CKF_SO_PIN_FINAL_TRY) && !(f & CKF_SO_PIN_LOCKED),
           "SO after 2 of 3: flags 0x%lx", (unsigned long)f);
  KT_CHECK(!(f & UFLAGS), "user flags untouched: 0x%lx", (unsigned long)f);
  KT_RV(kt_login(s, CKU_SO, "00000000"), CKR_PIN_INCORRECT, CKR_PIN_LOCKED);
  f = flags_of(slot);
  KT_CHECK(f & CKF_SO_PIN_LOCKED, "SO after 3 of 3: flags 0x%lx",
           (unsigned long)f);
  KT_RV(kt_login(s, CKU_SO, SO_PIN), CKR_PIN_LOCKED);
  /* the user is not affected */
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(p11->C_CloseSession(s));
  /* a locked SO cannot re-initialize the token either */
  CK_UTF8CHAR lab[32];
  kt_pad(lab, sizeof lab, "lock so");
  KT_RV(p11->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab),
        CKR_PIN_LOCKED);
}

static void test_default_tries(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_FLAGS f;
  unsetenv("KERNTOK_PIN_TRIES");
  KT_OK_F(kt_fresh_token("ten tries", SO_PIN, USER_PIN, &slot));
  KT_OK_F(kt_open(slot, 0, &s));
  for (int i = 0; i < 8; i++)
    KT_RV(kt_login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK((f & UFLAGS) == CKF_USER_PIN_COUNT_LOW,
           "after 8 of 10 failures: 0x%lx", (unsigned long)f);
  KT_RV(kt_login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK((f & UFLAGS) == (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY),
           "after 9 of 10 failures: 0x%lx, want COUNT_LOW|FINAL_TRY",
           (unsigned long)f);
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  f = flags_of(slot);
  KT_CHECK(!(f & UFLAGS), "reset by a good login: 0x%lx", (unsigned long)f);
  KT_OK(p11->C_CloseSession(s));
}

static void test_failures_shared_across_processes(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_FLAGS f;
  char *out = NULL, sl[24], v[64];
  KT_OK_F(token_with_tries("shared count", 3, &slot));
  snprintf(sl, sizeof sl, "%lu", (unsigned long)slot);
  KT_EQ_UL(kt_run_self(&out, 0, "login", sl, "1", "0000", NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) &&
               !strcmp(v, "CKR_PIN_INCORRECT"),
           "child's wrong login: %s", v);
  free(out);
  f = flags_of(slot);
  KT_CHECK(f & CKF_USER_PIN_COUNT_LOW, "parent sees the child's failure: "
           "0x%lx", (unsigned long)f);
  KT_OK_F(kt_open(slot, 0, &s));
  KT_RV(kt_login(s, CKU_USER, "0000"), CKR_PIN_INCORRECT);
  f = flags_of(slot);
  KT_CHECK(f & CKF_USER_PIN_FINAL_TRY, "2nd failure (1 child + 1 parent) of "
           "3: FINAL_TRY expected, flags 0x%lx", (unsigned long)f);
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(p11->C_CloseSession(s));
  KT_EQ_UL(kt_run_self(&out, 0, "tokinfo", sl, NULL), 0);
  KT_CHECK(kt_out_get(out, "flags", v, sizeof v) &&
               !(strtoul(v, NULL, 0) & UFLAGS),
           "the reset is visible to another process: %s", v);
  free(out);
}

/* C_SetPIN (3.0 §5.6.3): R/W public (user PIN), R/W user, R/W SO only. */
static void test_set_pin(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE ro, rw;
  char longpin[80];
  memset(longpin, '5', sizeof longpin);
  KT_OK_F(kt_fresh_token("set pin", SO_PIN, USER_PIN, &slot));
  KT_OK_F(kt_open(slot, 0, &ro));
  KT_OK_F(kt_open(slot, 1, &rw));
  KT_OK_F(kt_login(rw, CKU_USER, USER_PIN));

  KT_RV(p11->C_SetPIN(ro, (CK_UTF8CHAR_PTR)USER_PIN, 4,
                      (CK_UTF8CHAR_PTR) "4321", 4), CKR_SESSION_READ_ONLY);
  KT_RV(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR) "9999", 4,
                      (CK_UTF8CHAR_PTR) "4321", 4), CKR_PIN_INCORRECT);
  KT_RV(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)USER_PIN, 4,
                      (CK_UTF8CHAR_PTR) "432", 3), CKR_PIN_LEN_RANGE);
  KT_RV(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)USER_PIN, 4,
                      (CK_UTF8CHAR_PTR)longpin, 65), CKR_PIN_LEN_RANGE);
  KT_OK(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)USER_PIN, 4,
                      (CK_UTF8CHAR_PTR) "4321", 4));
  KT_OK(p11->C_Logout(rw));
  KT_RV(kt_login(rw, CKU_USER, USER_PIN), CKR_PIN_INCORRECT);
  KT_OK(kt_login(rw, CKU_USER, "4321"));
  KT_OK(p11->C_Logout(rw));

  /* R/W public session: changes the user PIN */
  KT_OK(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR) "4321", 4,
                      (CK_UTF8CHAR_PTR)longpin, 64));
  KT_OK(p11->C_CloseSession(ro));
  KT_OK(p11->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)longpin, 64));
  KT_OK(p11->C_Logout(rw));

  /* R/W SO session: changes the SO PIN */
  KT_OK_F(kt_login(rw, CKU_SO, SO_PIN));
  KT_OK(p11->C_SetPIN(rw, (CK_UTF8CHAR_PTR)SO_PIN, 8,
                      (CK_UTF8CHAR_PTR) "abcdefgh", 8));
  KT_OK(p11->C_Logout(rw));
  KT_RV(kt_login(rw, CKU_SO, SO_PIN), CKR_PIN_INCORRECT);
  KT_OK(kt_login(rw, CKU_SO, "abcdefgh"));
  KT_OK(p11->C_Logout(rw));
  KT_OK(p11->C_CloseSession(rw));

  /* the change is persistent: a new process logs in with the new PIN */
  char *out = NULL, sl[24], v[64];
  snprintf(sl, sizeof sl, "%lu", (unsigned long)slot);
  longpin[64] = 0;
  KT_EQ_UL(kt_run_self(&out, 0, "login", sl, "1", longpin, NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_OK"),
           "other process logs in with the new PIN: %s", v);
  free(out);
}

/* ================================================================== */
static void register_suites(void)
{
  CU_pSuite s = kt_suite("slots", NULL, NULL, setup_init, teardown_fini);
  kt_test(s, "C_GetSlotList", test_slot_list);
  kt_test(s, "C_InitToken on the free slot adds a free slot",
          test_init_token_adds_free_slot);
  kt_test(s, "C_GetSlotInfo / bad slot ids", test_slot_info);
  kt_test(s, "C_GetTokenInfo", test_token_info);
  kt_test(s, "C_InitToken errors and PIN length", test_init_token_errors);
  kt_test(s, "C_InitToken on an existing token", test_init_token_existing);

  s = kt_suite("sessions", sessions_suite_init, NULL, setup_sessions,
               teardown_fini);
  kt_test(s, "C_OpenSession / C_GetSessionInfo", test_open_session);
  kt_test(s, "user login state", test_user_login_states);
  kt_test(s, "SO login state", test_so_login_states);
  kt_test(s, "closing the last session logs out",
          test_close_last_session_logs_out);
  kt_test(s, "C_CloseAllSessions", test_close_all_sessions);
  kt_test(s, "C_Login errors", test_login_errors);
  kt_test(s, "C_Login before C_InitPIN", test_login_before_initpin);

  s = kt_suite("pins", NULL, NULL, setup_init, teardown_fini);
  kt_test(s, "user PIN lockout", test_user_lockout);
  kt_test(s, "SO PIN lockout", test_so_lockout);
  kt_test(s, "default of 10 tries", test_default_tries);
  kt_test(s, "failure counter shared across processes",
          test_failures_shared_across_processes);
  kt_test(s, "C_SetPIN", test_set_pin);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, NULL);
}
