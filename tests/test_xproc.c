/*
 * test_xproc.c - kerntok's cross-process contract: object handles are key
 * serials shared by every process, session state is per process, token
 * objects persist on disk and are reloaded when the token keyring goes
 * away, creation survives kill -9, and kernel key quota exhaustion is
 * reported as CKR_DEVICE_MEMORY.
 *
 * Other processes are this binary re-executed as "<self> helper <mode>"
 * (see kt_test.h for the built-in modes; "mkmany" and "quota" are here).
 */
#include "kt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"
#define NOBODY 65534

static CK_SLOT_ID xslot;
static const CK_OBJECT_CLASS C_DATA = CKO_DATA, C_CERT = CKO_CERTIFICATE,
                             C_SECRET = CKO_SECRET_KEY;
static const CK_CERTIFICATE_TYPE X509 = CKC_X_509;
static const CK_KEY_TYPE GENERIC = CKK_GENERIC_SECRET;
static const unsigned char KEY32[32] = "kerntok-xproc-test-key-32-bytes!";


static int suite_init(void)
{
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_fresh_token("xproc", SO_PIN, USER_PIN, &xslot);
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}
static void setup_init(void) { KT_OK_F(kt_init()); }
static void teardown_fini(void) { p11->C_Finalize(NULL); }

static const char *num(CK_ULONG v)
{
  static char b[8][24];
  static int i;
  i = (i + 1) % 8;
  snprintf(b[i], sizeof b[i], "%lu", (unsigned long)v);
  return b[i];
}

static char run_label[32];
static const char *uniq(const char *base)
{
  static char buf[8][96];
  static int i;
  i = (i + 1) % 8;
  snprintf(buf[i], sizeof buf[i], "%s-%s", base, run_label);
  return buf[i];
}

static int is_hex32(const char *s)
{
  for (int i = 0; i < 32; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return s[32] == 0;
}

static char *token_dir(CK_SLOT_ID slot, const char *sub, char *buf,
                       size_t sz)
{
  snprintf(buf, sz, "%s/tokens/%lu%s%s", getenv("KERNTOK_DIR"),
           (unsigned long)slot, sub ? "/" : "", sub ? sub : "");
  return buf;
}

static int count_obj_files(CK_SLOT_ID slot)
{
  char path[4096];
  DIR *d = opendir(token_dir(slot, "objects", path, sizeof path));
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (l > 4 && !strcmp(e->d_name + l - 4, ".obj")) n++;
  }
  closedir(d);
  return n;
}

static int in_keyring(key_serial_t ring, key_serial_t k)
{
  key_serial_t *v = NULL;
  int n = kt_key_list(ring, &v), found = 0;
  for (int i = 0; i < n; i++) found |= v[i] == k;
  free(v);
  return found;
}

/* ================================================================== */
/* handles across processes */
static void same_handle(int new_session)
{
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h;
  char *out = NULL, v[128];
  const char *lab = uniq(new_session ? "shared-ks" : "shared");
  KT_OK_F(kt_open(xslot, 1, &s));
  KT_OK_F(kt_mk_data(s, 1, 0, lab, "x", 1, &h));

  KT_EQ_UL(kt_run_self(&out, new_session, "find", num(xslot), lab, NULL), 0);
  KT_CHECK(kt_out_get(out, "n", v, sizeof v) && !strcmp(v, "1"),
           "child finds %s objects", v);
  KT_CHECK(kt_out_get(out, "h", v, sizeof v) && strtoul(v, NULL, 0) == h,
           "child's handle %s, parent's %lu", v, (unsigned long)h);
  free(out);
  KT_EQ_UL(kt_run_self(&out, new_session, "get", num(xslot), num(h), NULL), 0);
  KT_CHECK(kt_out_get(out, "label", v, sizeof v) && !strcmp(v, lab),
           "child reads the parent's handle directly: %s", out);
  free(out);

  /* changed in the child, seen by the parent */
  const char *lab2 = uniq(new_session ? "renamed-ks" : "renamed");
  KT_EQ_UL(kt_run_self(&out, new_session, "setlabel", num(xslot), num(h),
                       lab2, NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_OK"),
           "child C_SetAttributeValue: %s", v);
  free(out);
  char cur[128];
  KT_OK(kt_label(s, h, cur, sizeof cur));
  KT_CHECK(!strcmp(cur, lab2), "parent sees the child's label: '%s'", cur);

  /* destroyed in the child: the parent's handle becomes invalid */
  KT_EQ_UL(kt_run_self(&out, new_session, "destroy", num(xslot), num(h),
                       NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_OK"),
           "child C_DestroyObject: %s", v);
  free(out);
  KT_RV(kt_label(s, h, cur, sizeof cur), CKR_OBJECT_HANDLE_INVALID);
  CK_OBJECT_HANDLE f[4];
  CK_ULONG n = 9;
  KT_OK(kt_find_label(s, lab2, f, 4, &n));
  KT_EQ_UL(n, 0);
  KT_RV(p11->C_DestroyObject(s, h), CKR_OBJECT_HANDLE_INVALID);
  KT_OK(p11->C_CloseSession(s));
}

static void test_same_handle(void) { same_handle(0); }
static void test_same_handle_new_session_keyring(void) { same_handle(1); }

static void test_foreign_session_handle(void)
{
  CK_SESSION_HANDLE s;
  char *out = NULL, v[64];
  KT_OK_F(kt_open(xslot, 1, &s));
  for (int ks = 0; ks < 2; ks++) {
    KT_EQ_UL(kt_run_self(&out, ks, "sessinfo", num(s), NULL), 0);
    KT_CHECK(kt_out_get(out, "rv", v, sizeof v) &&
                 !strcmp(v, "CKR_SESSION_HANDLE_INVALID"),
             "another process using our session handle%s: %s",
             ks ? " (new session keyring)" : "", v);
    free(out);
  }
  CK_SESSION_INFO si;
  KT_OK(p11->C_GetSessionInfo(s, &si));
  KT_OK(p11->C_CloseSession(s));
}

/* The keyrings may be created lazily: make the module use the token's
 * objects first (a search in a fresh session). */
static void touch_token(CK_SLOT_ID slot)
{
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h[4];
  CK_ULONG n;
  if (KT_OK(kt_open(slot, 0, &s))) {
    KT_OK(kt_find(s, NULL, 0, h, 4, &n));
    KT_OK(p11->C_CloseSession(s));
  }
}

/* ================================================================== */
/* the keyring and disk layout of the contract */
static void check_object_key(CK_OBJECT_HANDLE h, key_serial_t tr,
                             const char *prefix)
{
  char type[32], desc[256], path[4096], rel[300];
  struct stat st;
  if (!KT_CHECK(kt_key_describe((key_serial_t)h, type, sizeof type, desc,
                                sizeof desc) == 0,
                "handle %lu is a kernel key", (unsigned long)h))
    return;
  KT_CHECK(!strcmp(type, "user"), "object key type %s", type);
  KT_CHECK(!strncmp(desc, prefix, strlen(prefix)) &&
               is_hex32(desc + strlen(prefix)),
           "object key description '%s', expected %s<32 hex>", desc, prefix);
  KT_CHECK(in_keyring(tr, (key_serial_t)h), "object key %s is in the token "
           "keyring", desc);
  if (strlen(desc) < strlen(prefix) + 32) return;
  snprintf(rel, sizeof rel, "objects/%s.obj", desc + strlen(prefix));
  KT_CHECK(stat(token_dir(xslot, rel, path, sizeof path), &st) == 0 &&
               S_ISREG(st.st_mode) && st.st_size > 0,
           "%s exists", path);
}

static void test_layout(void)
{
  char desc[256], want[256], path[4096], type[32];
  struct stat st;
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE pub, priv, cert, sec, psec, sobj;
  touch_token(xslot);
  KT_OK_F(kt_open(xslot, 1, &s));

  char sd[64];
  KT_CHECK_F(kt_store_desc(sd, sizeof sd) == 0, "KERNTOK_DIR is set");
  key_serial_t store = kt_store_keyring();
  KT_CHECK_F(store > 0, "store keyring '%s' in @u", sd);
  key_serial_t tr = kt_key_find(store, "keyring", "kt:token:", desc,
                                sizeof desc);
  snprintf(want, sizeof want, "kt:token:%lu:xproc", (unsigned long)xslot);
  KT_CHECK_F(kt_token_keyring(xslot) > 0, "token keyring %s", want);
  tr = kt_token_keyring(xslot);
  kt_key_describe(tr, NULL, 0, desc, sizeof desc);
  KT_CHECK(!strcmp(desc, want), "token keyring '%s', expected '%s'", desc,
           want);
  KT_CHECK(kt_key_find(tr, "user", "kt:gen", desc, sizeof desc) > 0 &&
               !strncmp(desc, "kt:gen", 6), "kt:gen in the token keyring");
  KT_CHECK(stat(token_dir(xslot, "token.meta", path, sizeof path), &st) == 0,
           "%s exists", path);

  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(kt_mk_data(s, 1, 0, uniq("lay-pub"), "p", 1, &pub));
  KT_OK(kt_mk_data(s, 1, 1, uniq("lay-priv"), "q", 1, &priv));
  KT_OK(kt_mk_secret(s, 1, 0, 0, uniq("lay-sec"), KEY32, 32, &sec));
  KT_OK(kt_mk_secret(s, 1, 1, 1, uniq("lay-psec"), KEY32, 32, &psec));
  unsigned char *subj = NULL, *iss = NULL, *ser = NULL;
  size_t sl, il, nl;
  KT_CHECK_F(kt_cert_parts(&subj, &sl, &iss, &il, &ser, &nl) == 0, "cert");
  CK_ATTRIBUTE ct[] = {AV(CKA_CLASS, C_CERT), AV(CKA_CERTIFICATE_TYPE, X509),
                       AV(CKA_TOKEN, T), AV(CKA_PRIVATE, F),
                       A(CKA_SUBJECT, subj, sl),
                       A(CKA_VALUE, kt_cert_der, kt_cert_der_len)};
  KT_OK(p11->C_CreateObject(s, ct, KT_ARRAY_LEN(ct), &cert));
  free(subj);
  free(iss);
  free(ser);

  check_object_key(pub, tr, "kt:data:");
  check_object_key(cert, tr, "kt:cert:");
  check_object_key(sec, tr, "kt:secret:");
  check_object_key(priv, tr, "kt:private:");
  check_object_key(psec, tr, "kt:private:");

  /* sessions: a keyring under the process keyring holding session objects */
  KT_CHECK(kt_key_describe((key_serial_t)s, type, sizeof type, NULL, 0) == 0 &&
               !strcmp(type, "keyring"),
           "session handle %lu is a keyring", (unsigned long)s);
  KT_CHECK(in_keyring(KEY_SPEC_PROCESS_KEYRING, (key_serial_t)s),
           "session keyring is linked in @p");
  KT_OK(kt_mk_data(s, 0, 0, "lay-sess", "s", 1, &sobj));
  KT_CHECK(in_keyring((key_serial_t)s, (key_serial_t)sobj),
           "session object %lu is in the session keyring",
           (unsigned long)sobj);

  /* destroying removes key and file */
  char pd[256], rel[300];
  kt_key_describe((key_serial_t)pub, NULL, 0, pd, sizeof pd);
  KT_OK(p11->C_DestroyObject(s, pub));
  KT_CHECK(!in_keyring(tr, (key_serial_t)pub), "destroyed key unlinked");
  if (strlen(pd) == 8 + 32) {
    snprintf(rel, sizeof rel, "objects/%s.obj", pd + 8);
    KT_CHECK(stat(token_dir(xslot, rel, path, sizeof path), &st) != 0 &&
                 errno == ENOENT, "%s removed", path);
  }
  KT_OK(p11->C_CloseSession(s));
  KT_CHECK(!in_keyring(KEY_SPEC_PROCESS_KEYRING, (key_serial_t)s),
           "closed session keyring unlinked from @p");
}

/* token keyring description: label with trailing blanks trimmed, internal
 * blanks kept, all 32 bytes when full; follows a re-initialization */
static void test_token_keyring_names(void)
{
  CK_SLOT_ID a, b;
  char want[96], desc[256];
  KT_OK_F(kt_fresh_token("a b", SO_PIN, USER_PIN, &a));
  KT_OK_F(kt_fresh_token("0123456789abcdef0123456789ABCDEF", SO_PIN,
                         USER_PIN, &b));
  touch_token(a);
  touch_token(b);
  key_serial_t ka = kt_token_keyring(a), kb = kt_token_keyring(b);
  snprintf(want, sizeof want, "kt:token:%lu:a b", (unsigned long)a);
  KT_CHECK(ka > 0 && !kt_key_describe(ka, NULL, 0, desc, sizeof desc) &&
               !strcmp(desc, want),
           "token keyring '%s', expected '%s'", ka > 0 ? desc : "-", want);
  snprintf(want, sizeof want,
           "kt:token:%lu:0123456789abcdef0123456789ABCDEF", (unsigned long)b);
  KT_CHECK(kb > 0 && !kt_key_describe(kb, NULL, 0, desc, sizeof desc) &&
               !strcmp(desc, want),
           "token keyring '%s', expected '%s'", kb > 0 ? desc : "-", want);
  /* re-initialized with another label */
  CK_UTF8CHAR lab[32];
  kt_pad(lab, sizeof lab, "renamed");
  KT_OK(p11->C_InitToken(a, (CK_UTF8CHAR_PTR)SO_PIN, 8, lab));
  touch_token(a);
  ka = kt_token_keyring(a);
  snprintf(want, sizeof want, "kt:token:%lu:renamed", (unsigned long)a);
  KT_CHECK(ka > 0 && !kt_key_describe(ka, NULL, 0, desc, sizeof desc) &&
               !strcmp(desc, want),
           "after re-init: token keyring '%s', expected '%s'",
           ka > 0 ? desc : "-", want);
  char pre[64];
  snprintf(pre, sizeof pre, "kt:token:%lu:", (unsigned long)a);
  key_serial_t *v = NULL;
  int n = kt_key_list(kt_store_keyring(), &v), same = 0;
  for (int i = 0; i < n; i++) {
    if (kt_key_describe(v[i], NULL, 0, desc, sizeof desc)) continue;
    same += !strncmp(desc, pre, strlen(pre));
  }
  free(v);
  KT_CHECK(same == 1, "%d token keyrings for slot %lu", same,
           (unsigned long)a);
}

/* ================================================================== */
/* persistence: token keyring cleared / removed -> reload from disk */
static const CK_ATTRIBUTE_TYPE snap_types[] = {
    CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_COPYABLE,
    CKA_DESTROYABLE, CKA_LABEL, CKA_APPLICATION, CKA_OBJECT_ID, CKA_VALUE,
    CKA_UNIQUE_ID, CKA_CERTIFICATE_TYPE, CKA_SUBJECT, CKA_ISSUER,
    CKA_SERIAL_NUMBER, CKA_ID, CKA_TRUSTED, CKA_CERTIFICATE_CATEGORY,
    CKA_KEY_TYPE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_VALUE_LEN, CKA_LOCAL,
    CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_START_DATE, CKA_END_DATE,
    CKA_DERIVE, CKA_ENCRYPT, CKA_SIGN,
};
#define NSNAP KT_ARRAY_LEN(snap_types)

struct snap {
  char label[96];
  CK_OBJECT_HANDLE h;
  CK_RV rv[NSNAP];
  CK_ULONG len[NSNAP];
  void *val[NSNAP];
};

static void take_snap(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, struct snap *p)
{
  memset(p, 0, sizeof *p);
  p->h = h;
  kt_label(s, h, p->label, sizeof p->label);
  for (size_t i = 0; i < NSNAP; i++)
    p->rv[i] = kt_attr(s, h, snap_types[i], &p->val[i], &p->len[i]);
}

static void free_snap(struct snap *p)
{
  for (size_t i = 0; i < NSNAP; i++) free(p->val[i]);
}

static void compare_snap(const struct snap *a, const struct snap *b,
                         const char *when)
{
  for (size_t i = 0; i < NSNAP; i++) {
    int same = a->rv[i] == b->rv[i] &&
               (a->rv[i] != CKR_OK ||
                (a->len[i] == b->len[i] &&
                 (!a->len[i] || !memcmp(a->val[i], b->val[i], a->len[i]))));
    KT_CHECK(same, "%s: object '%s' attribute 0x%lx differs: %s/%lu before,"
             " %s/%lu after", when, a->label, (unsigned long)snap_types[i],
             kt_rvname(a->rv[i]), (unsigned long)a->len[i],
             kt_rvname(b->rv[i]), (unsigned long)b->len[i]);
  }
}

#define NPERS 6
static void make_persist_set(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h)
{
  static const unsigned char oid[] = {0x06, 0x03, 0x2a, 0x03, 0x04};
  unsigned char val[2000];
  for (size_t i = 0; i < sizeof val; i++) val[i] = (unsigned char)(i * 7);
  unsigned char *subj = NULL, *iss = NULL, *ser = NULL;
  size_t sl = 0, il = 0, nl = 0;
  KT_CHECK_F(kt_cert_parts(&subj, &sl, &iss, &il, &ser, &nl) == 0, "cert");
  const char *l0 = uniq("p-data"), *l1 = uniq("p-cert"), *l2 = uniq("p-priv");
  CK_ATTRIBUTE d[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, T),
                      AV(CKA_PRIVATE, F), A(CKA_LABEL, l0, strlen(l0)),
                      AS(CKA_APPLICATION, "persist"),
                      A(CKA_OBJECT_ID, oid, sizeof oid),
                      A(CKA_VALUE, val, sizeof val), AV(CKA_COPYABLE, F)};
  KT_OK(p11->C_CreateObject(s, d, KT_ARRAY_LEN(d), &h[0]));
  CK_ATTRIBUTE c[] = {AV(CKA_CLASS, C_CERT), AV(CKA_CERTIFICATE_TYPE, X509),
                      AV(CKA_TOKEN, T), AV(CKA_PRIVATE, F),
                      A(CKA_LABEL, l1, strlen(l1)), AS(CKA_ID, "\x01\x02"),
                      A(CKA_SUBJECT, subj, sl), A(CKA_ISSUER, iss, il),
                      A(CKA_SERIAL_NUMBER, ser, nl),
                      A(CKA_VALUE, kt_cert_der, kt_cert_der_len)};
  KT_OK(p11->C_CreateObject(s, c, KT_ARRAY_LEN(c), &h[1]));
  CK_ATTRIBUTE p[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, T),
                      AV(CKA_PRIVATE, T), A(CKA_LABEL, l2, strlen(l2)),
                      AS(CKA_VALUE, "private payload"),
                      AV(CKA_MODIFIABLE, F)};
  KT_OK(p11->C_CreateObject(s, p, KT_ARRAY_LEN(p), &h[2]));
  KT_OK(kt_mk_secret(s, 1, 1, 0, uniq("p-key"), KEY32, 32, &h[3]));
  KT_OK(kt_mk_secret(s, 1, 1, 1, uniq("p-skey"), KEY32, 32, &h[4]));
  CK_ATTRIBUTE k[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, GENERIC),
                      AV(CKA_TOKEN, T), AV(CKA_PRIVATE, F),
                      AV(CKA_EXTRACTABLE, T), AV(CKA_SENSITIVE, F),
                      AS(CKA_LABEL, "p-pubkey-tmp"), A(CKA_VALUE, KEY32, 16)};
  KT_OK(p11->C_CreateObject(s, k, KT_ARRAY_LEN(k), &h[5]));
  /* a modification after creation must persist too */
  const char *l5 = uniq("p-pubkey");
  CK_ATTRIBUTE nl5 = A(CKA_LABEL, l5, strlen(l5));
  KT_OK(p11->C_SetAttributeValue(s, h[5], &nl5, 1));
  free(subj);
  free(iss);
  free(ser);
}

static void reload_and_compare(CK_SESSION_HANDLE s, struct snap *before,
                               const char *when)
{
  for (int i = 0; i < NPERS; i++) {
    CK_OBJECT_HANDLE f[4];
    CK_ULONG n = 0;
    struct snap after;
    KT_OK(kt_find_label(s, before[i].label, f, 4, &n));
    if (!KT_CHECK(n == 1, "%s: '%s' found %lu times", when, before[i].label,
                  (unsigned long)n))
      continue;
    KT_CHECK(f[0] != before[i].h, "%s: '%s' has a new handle", when,
             before[i].label);
    char b[8];
    KT_RV(kt_label(s, before[i].h, b, sizeof b), CKR_OBJECT_HANDLE_INVALID);
    take_snap(s, f[0], &after);
    compare_snap(&before[i], &after, when);
    before[i].h = f[0];
    free_snap(&after);
  }
}

static void test_reload_from_disk(void)
{
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h[NPERS];
  struct snap snaps[NPERS];
  KT_OK_F(kt_open(xslot, 1, &s));
  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  make_persist_set(s, h);
  for (int i = 0; i < NPERS; i++) take_snap(s, h[i], &snaps[i]);
  int files = count_obj_files(xslot);

  /* 1. keyctl clear <token keyring> */
  key_serial_t tr = kt_token_keyring(xslot);
  KT_CHECK_F(tr > 0, "token keyring found");
  KT_CHECK_F(keyctl_clear(tr) == 0, "keyctl clear: %s", strerror(errno));
  reload_and_compare(s, snaps, "after keyctl clear");
  KT_CHECK(kt_key_find(kt_token_keyring(xslot), "user", "kt:gen", NULL, 0) >
               0, "kt:gen back after reload");
  KT_EQ_UL(count_obj_files(xslot), files);

  /* 2. token keyring removed from the store */
  tr = kt_token_keyring(xslot);
  KT_CHECK_F(tr > 0, "token keyring found again");
  KT_CHECK_F(keyctl_unlink(tr, kt_store_keyring()) == 0, "unlink: %s",
             strerror(errno));
  reload_and_compare(s, snaps, "after unlinking the token keyring");

  /* 3. the whole store keyring removed from @u */
  KT_CHECK_F(keyctl_unlink(kt_store_keyring(), KEY_SPEC_USER_KEYRING) == 0,
             "unlink store: %s", strerror(errno));
  reload_and_compare(s, snaps, "after unlinking the store keyring");
  KT_CHECK(kt_token_keyring(xslot) > 0, "token keyring re-created");

  /* 4. a fresh process (logged in) sees the same set */
  char *out = NULL, v[32];
  KT_EQ_UL(kt_run_self(&out, 1, "list", num(xslot), USER_PIN, NULL), 0);
  for (int i = 0; i < NPERS; i++) {
    char hex[256], line[300];
    snprintf(line, sizeof line, " %s ",
             kt_hex(snaps[i].label, strlen(snaps[i].label), hex));
    KT_CHECK(out && strstr(out, line), "other process lists '%s'",
             snaps[i].label);
  }
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_OK"),
           "other process list: %s", v);
  free(out);
  for (int i = 0; i < NPERS; i++) free_snap(&snaps[i]);
  KT_OK(p11->C_CloseSession(s));
}

/* ================================================================== */
/* kill -9 during creation */
#define KILL_MAX 1000

static void mk_value(int i, char *buf, size_t *len)
{
  int n = snprintf(buf, 128, "value-of-object-%d|", i);
  for (int k = n; k < 96; k++) buf[k] = (char)('a' + (i + k) % 26);
  *len = 96;
}

static int helper_mkmany(int argc, char **argv)
{
  CK_SESSION_HANDLE s;
  CK_RV rv;
  if (argc != 3) return 2;
  CK_SLOT_ID slot = strtoul(argv[1], NULL, 0);
  int max = atoi(argv[2]);
  if ((rv = kt_init()) != CKR_OK || (rv = kt_open(slot, 1, &s)) != CKR_OK) {
    fprintf(stderr, "mkmany: %s\n", kt_rvname(rv));
    return 3;
  }
  for (int i = 0; i < max; i++) {
    char lab[16], val[128];
    size_t vl;
    CK_OBJECT_HANDLE h;
    snprintf(lab, sizeof lab, "n%d", i);
    mk_value(i, val, &vl);
    rv = kt_mk_data(s, 1, 0, lab, val, vl, &h);
    if (rv != CKR_OK) {
      fprintf(stderr, "mkmany: object %d: %s\n", i, kt_rvname(rv));
      return 4;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", i);
    if (write(1, line, n) != n) return 5;
  }
  kt_fini();
  return 0;
}

/* decode "o <handle> <labelhex> <valuehex>" lines of the list helper */
static int unhex(const char *h, char *out, size_t sz)
{
  size_t n = strlen(h);
  if (!strcmp(h, "=")) { out[0] = 0; return 0; }
  if (n % 2 || n / 2 >= sz) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (char)v;
  }
  out[n / 2] = 0;
  return (int)(n / 2);
}

static void check_kill_survivors(const char *when, const int *reported,
                                 int last_reported)
{
  char *out = NULL;
  KT_EQ_UL(kt_run_self(&out, 1, "list", num(xslot), NULL), 0);
  if (!KT_CHECK(out != NULL, "%s: list output", when)) return;
  static int seen[KILL_MAX + 1];
  memset(seen, 0, sizeof seen);
  int objects = 0, unreported = 0, garbage = 0;
  for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
    char hh[32], lh[600], vh[600], lab[300], val[300], want[128];
    size_t wl;
    if (strncmp(line, "o ", 2)) continue;
    objects++;
    if (sscanf(line, "o %31s %599s %599s", hh, lh, vh) != 3 ||
        unhex(lh, lab, sizeof lab) < 0) {
      garbage++;
      KT_CHECK(0, "%s: unreadable object line '%s'", when, line);
      continue;
    }
    int idx = -1, consumed = 0;
    if (sscanf(lab, "n%d%n", &idx, &consumed) != 1 || lab[consumed] ||
        idx < 0 || idx >= KILL_MAX) {
      garbage++;
      KT_CHECK(0, "%s: unexpected object '%s' (handle %s)", when, lab, hh);
      continue;
    }
    seen[idx]++;
    mk_value(idx, want, &wl);
    int vl = unhex(vh, val, sizeof val);
    KT_CHECK(vl == (int)wl && !memcmp(val, want, wl),
             "%s: object n%d has a wrong/unreadable value (%s)", when, idx,
             vh);
    if (!reported[idx]) {
      unreported++;
      KT_CHECK(idx == last_reported + 1, "%s: unreported object n%d is not "
               "the in-flight one (n%d)", when, idx, last_reported + 1);
    }
  }
  for (int i = 0; i < KILL_MAX; i++) {
    if (reported[i])
      KT_CHECK(seen[i] == 1, "%s: reported object n%d found %d times", when,
               i, seen[i]);
    else
      KT_CHECK(seen[i] <= 1, "%s: object n%d found %d times", when, i,
               seen[i]);
  }
  KT_CHECK(unreported <= 1, "%s: %d unreported objects (at most the one in "
           "flight)", when, unreported);
  KT_EQ_UL(garbage, 0);
  int files = count_obj_files(xslot);
  KT_CHECK(files == objects, "%s: %d object files for %d objects", when, files,
           objects);
  free(out);
}

static void test_kill9_during_create(void)
{
  /* a dedicated token so that every object on it is ours */
  KT_OK_F(kt_fresh_token("kill9", SO_PIN, USER_PIN, &xslot));
  static int reported[KILL_MAX + 1];
  memset(reported, 0, sizeof reported);
  int target = 1 + rand() % 400, got = 0, last = -1;
  int pfd[2];
  KT_CHECK_F(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
  fflush(NULL);
  pid_t pid = fork();
  KT_CHECK_F(pid >= 0, "fork");
  if (pid == 0) {
    dup2(pfd[1], 1);
    signal(SIGALRM, SIG_DFL);
    kt_child_watchdog();
    char max[16];
    snprintf(max, sizeof max, "%d", KILL_MAX);
    execl(kt_self, kt_self, "helper", "mkmany", num(xslot), max, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  char buf[4096], line[64];
  size_t ll = 0;
  int killed = 0;
  for (;;) {
    ssize_t r = read(pfd[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] != '\n') {
        if (ll < sizeof line - 1) line[ll++] = buf[i];
        continue;
      }
      line[ll] = 0;
      ll = 0;
      int idx = atoi(line);
      if (idx >= 0 && idx < KILL_MAX) {
        reported[idx] = 1;
        KT_CHECK(idx == last + 1, "reports in order");
        last = idx;
        got++;
      }
      if (got >= target && !killed) {
        kt_msleep(rand() % 3);
        kill(pid, SIGKILL);
        killed = 1;
      }
    }
  }
  close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  fprintf(stderr, "  kill -9 after %d reported creates (target %d, %s)\n",
          got, target, WIFSIGNALED(st) ? "killed" : "finished first");
  KT_CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0),
           "creator exit status 0x%x", st);

  check_kill_survivors("fresh process", reported, last);
  /* everything from disk */
  key_serial_t tr = kt_token_keyring(xslot);
  KT_CHECK(tr > 0 && keyctl_clear(tr) == 0, "clear the token keyring");
  check_kill_survivors("reloaded from disk", reported, last);
  /* and the token still works */
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h;
  KT_OK(kt_open(xslot, 1, &s));
  KT_OK(kt_mk_data(s, 1, 0, "after-kill", "x", 1, &h));
  KT_OK(p11->C_DestroyObject(s, h));
  KT_OK(p11->C_CloseSession(s));
  /* the remaining tests use the shared token again */
  KT_OK(kt_slot_by_label("xproc", &xslot));
}

/* ================================================================== */
/* kernel key quota -> CKR_DEVICE_MEMORY (as an unprivileged user) */
static void drop_old_stores(void)
{
  key_serial_t u = keyctl_get_keyring_ID(KEY_SPEC_USER_KEYRING, 1);
  key_serial_t *v = NULL;
  int n = kt_key_list(u, &v);
  for (int i = 0; i < n; i++) {
    char type[32], desc[256];
    if (kt_key_describe(v[i], type, sizeof type, desc, sizeof desc)) continue;
    if (!strcmp(type, "keyring") && !strncmp(desc, "kerntok:", 8))
      keyctl_unlink(v[i], u);
  }
  free(v);
}

static int helper_quota(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h[1000], fh[1100];
  CK_RV rv = CKR_OK;
  char val[1024];
  int n = 0;
  memset(val, 'Q', sizeof val);
  drop_old_stores(); /* leftovers of earlier aborted runs */
  if (KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
  if (KT_HRV(kt_fresh_token("quota", SO_PIN, USER_PIN, &slot), CKR_OK) !=
      CKR_OK)
    goto out;
  if (KT_HRV(kt_open(slot, 1, &s), CKR_OK) != CKR_OK) goto out;
  for (n = 0; n < 1000; n++) {
    char lab[16];
    snprintf(lab, sizeof lab, "q%d", n);
    rv = kt_mk_data(s, 1, 0, lab, val, sizeof val, &h[n]);
    if (rv != CKR_OK) break;
  }
  printf("created %d\nrv %s\n", n, kt_rvname(rv));
  KT_H(n < 1000, "no quota hit after 1000 objects of 1 KiB");
  KT_H(rv == CKR_DEVICE_MEMORY, "create over quota: %s, expected "
       "CKR_DEVICE_MEMORY", kt_rvname(rv));
  KT_H(n > 0, "no object could be created at all");
  if (n == 0 || n == 1000) goto out;
  /* still usable: search, read, and nothing half-created */
  CK_ULONG cnt = 0;
  KT_HRV(kt_find(s, NULL, 0, fh, 1100, &cnt), CKR_OK);
  KT_H(cnt == (CK_ULONG)n, "find returns %lu objects, %d were created",
       (unsigned long)cnt, n);
  char lab[32];
  KT_HRV(kt_label(s, h[n - 1], lab, sizeof lab), CKR_OK);
  /* freeing one object makes room for one more.  The kernel may release
   * the quota of an unlinked key asynchronously (key GC), so allow up to
   * 3 s for it and report how long it took. */
  KT_HRV(p11->C_DestroyObject(s, h[0]), CKR_OK);
  CK_OBJECT_HANDLE extra;
  double t0 = kt_now();
  int tries = 0;
  do {
    rv = kt_mk_data(s, 1, 0, "q-extra", val, sizeof val, &extra);
    tries++;
    if (rv == CKR_DEVICE_MEMORY) kt_msleep(20);
  } while (rv == CKR_DEVICE_MEMORY && kt_now() - t0 < 3);
  printf("extra %s after %d tries, %.3f s\n", kt_rvname(rv), tries,
         kt_now() - t0);
  KT_H(rv == CKR_OK, "create after destroying one object: %s after %.1f s",
       kt_rvname(rv), kt_now() - t0);
  KT_HRV(kt_find(s, NULL, 0, fh, 1100, &cnt), CKR_OK);
  KT_H(cnt == (CK_ULONG)n, "after destroy+create: %lu objects, want %d",
       (unsigned long)cnt, n);
  /* and the failed creates left no files behind */
  int files = count_obj_files(slot);
  KT_H(files == n, "%d object files for %d objects", files, n);
out:
  kt_fini();
  kt_cleanup_store(); /* give the quota back */
  fflush(stdout);
  return kt_hfail ? 1 : 0;
}

static void test_quota(void)
{
  char dir[] = "/tmp/kt-quota.XXXXXX";
  KT_CHECK_F(mkdtemp(dir) != NULL, "mkdtemp");
  KT_CHECK_F(chown(dir, NOBODY, NOBODY) == 0 && chmod(dir, 0700) == 0,
             "chown %s", dir);
  int pfd[2];
  KT_CHECK_F(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
  fflush(NULL);
  pid_t pid = fork();
  KT_CHECK_F(pid >= 0, "fork");
  if (pid == 0) {
    dup2(pfd[1], 1);
    signal(SIGALRM, SIG_DFL);
    kt_child_watchdog();
    if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) _exit(90);
    if (keyctl_join_session_keyring(NULL) < 0) _exit(91);
    setenv("KERNTOK_DIR", dir, 1);
    execl(kt_self, kt_self, "helper", "quota", (char *)NULL);
    _exit(92);
  }
  close(pfd[1]);
  char out[4096];
  size_t len = 0;
  for (ssize_t r; (r = read(pfd[0], out + len, sizeof out - 1 - len)) != 0;) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    len += r;
  }
  out[len] = 0;
  close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  fprintf(stderr, "  quota helper: %s", out);
  KT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "unprivileged quota helper failed (status 0x%x; 90-92 = setup, "
           "3 = module load); its messages are above", st);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) {}
}

/* The same scenarios in a process that calls C_Initialize only once: this
 * tells "stale after C_Finalize/C_Initialize" apart from "never noticed". */
static int helper_first_epoch(int argc, char **argv)
{
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h, f[4];
  CK_ULONG n = 0;
  char lab[64], *out = NULL, v[64];
  if (argc != 2) return 2;
  CK_SLOT_ID slot = strtoul(argv[1], NULL, 0);
  if (KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
  if (KT_HRV(kt_open(slot, 1, &s), CKR_OK) != CKR_OK) return 1;
  KT_HRV(kt_login(s, CKU_USER, USER_PIN), CKR_OK);
  /* destroyed by another process */
  KT_HRV(kt_mk_data(s, 1, 0, "epoch-a", "a", 1, &h), CKR_OK);
  kt_run_self(&out, 0, "destroy", argv[1], num(h), NULL);
  KT_H(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_OK"),
       "first epoch: child destroy: %s", out ? out : "");
  free(out);
  KT_HRV(kt_label(s, h, lab, sizeof lab), CKR_OBJECT_HANDLE_INVALID);
  /* reload after keyctl clear */
  KT_HRV(kt_mk_data(s, 1, 1, "epoch-b", "b", 1, &h), CKR_OK);
  key_serial_t tr = kt_token_keyring(slot);
  KT_H(tr > 0 && keyctl_clear(tr) == 0, "first epoch: keyctl clear");
  KT_HRV(kt_find_label(s, "epoch-b", f, 4, &n), CKR_OK);
  KT_H(n == 1 && f[0] != h, "first epoch: after keyctl clear found %lu "
       "(handle %lu, old %lu)", (unsigned long)n, n ? (unsigned long)f[0] : 0,
       (unsigned long)h);
  KT_HRV(kt_label(s, h, lab, sizeof lab), CKR_OBJECT_HANDLE_INVALID);
  if (n == 1) KT_HRV(p11->C_DestroyObject(s, f[0]), CKR_OK);
  kt_fini();
  return kt_hfail ? 1 : 0;
}

static void test_first_epoch(void)
{
  /* the helper logs in as the user of the shared token */
  int st = kt_run_self(NULL, 1, "firstepoch", num(xslot), NULL);
  KT_CHECK(st == 0, "single-C_Initialize process: destroy-by-other and "
           "reload-after-clear failed (exit %d, messages above)", st);
}

static int helper(int argc, char **argv)
{
  if (!strcmp(argv[0], "firstepoch")) return helper_first_epoch(argc, argv);
  if (!strcmp(argv[0], "mkmany")) return helper_mkmany(argc, argv);
  if (!strcmp(argv[0], "quota")) return helper_quota();
  return -1;
}

/* ================================================================== */
static void register_suites(void)
{
  snprintf(run_label, sizeof run_label, "%d", (int)getpid());
  CU_pSuite s = kt_suite("xproc", suite_init, NULL, setup_init,
                         teardown_fini);
  kt_test(s, "other process's changes, single C_Initialize",
          test_first_epoch);
  kt_test(s, "same handle in another process", test_same_handle);
  kt_test(s, "same handle under keyctl session -",
          test_same_handle_new_session_keyring);
  kt_test(s, "session handles are per process", test_foreign_session_handle);
  kt_test(s, "keyring and disk layout", test_layout);
  kt_test(s, "token keyring names", test_token_keyring_names);
  kt_test(s, "reload from disk", test_reload_from_disk);
  kt_test(s, "kill -9 during creation", test_kill9_during_create);
  kt_test(s, "key quota -> CKR_DEVICE_MEMORY", test_quota);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, helper);
}
