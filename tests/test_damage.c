/*
 * test_damage.c - damaged stores (issue 6, part 5).
 *
 * Truncate, flip bits in, empty, replace or delete each kind of file in a
 * token directory (objects/<id>.obj, token.meta, stray temporary files, and
 * things that are not files at all), then force the token to be reloaded
 * from disk (`keyctl clear` of the token keyring) and look at it from a
 * fresh process and from this one:
 *   - the module reports each damaged object file (a log line on stderr);
 *   - every undamaged object is served, with its attributes intact;
 *   - nothing damaged is ever loaded (no object, no garbage attribute);
 *   - a damaged token.meta makes the slot disappear: it is neither listed
 *     nor offered as the free slot, and the token comes back whole when the
 *     good file is restored (nothing was destroyed while it was unreadable).
 * `kerntok info` is run too and its output shown (damage reporting there is
 * the CLI's business; the test only notes what it says).
 */
#include "kt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SO_PIN "damage-so-pin"
#define USER_PIN "damage-user-pin"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *num(CK_ULONG v)
{
  static char b[8][24];
  static int i;
  i = (i + 1) % 8;
  snprintf(b[i], sizeof b[i], "%lu", (unsigned long)v);
  return b[i];
}

static int suite_init(void) { return kt_init() != CKR_OK; }
static int suite_clean(void) { p11->C_Finalize(NULL); return 0; }

static char *tokdir(CK_SLOT_ID slot, const char *sub, char *buf, size_t n)
{
  snprintf(buf, n, "%s/tokens/%lu%s%s", getenv("KERNTOK_DIR"),
           (unsigned long)slot, sub ? "/" : "", sub ? sub : "");
  return buf;
}

/* the object file of a handle: objects/<CKA_UNIQUE_ID>.obj */
static int obj_path(CK_SESSION_HANDLE s, CK_SLOT_ID slot, CK_OBJECT_HANDLE h,
                    char *buf, size_t n)
{
  char id[64] = {0}, dir[4096];
  CK_ATTRIBUTE a = {CKA_UNIQUE_ID, id, sizeof id - 1};
  if (p11->C_GetAttributeValue(s, h, &a, 1) != CKR_OK || a.ulValueLen != 32)
    return -1;
  snprintf(buf, n, "%s/%s.obj", tokdir(slot, "objects", dir, sizeof dir), id);
  return 0;
}

static int read_file(const char *p, unsigned char **out, size_t *n)
{
  int fd = open(p, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st)) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *out = malloc(st.st_size + 1);
  *n = read(fd, *out, st.st_size);
  close(fd);
  return *n == (size_t)st.st_size ? 0 : -1;
}

static int write_file(const char *p, const void *d, size_t n)
{
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  ssize_t w = n ? write(fd, d, n) : 0;
  close(fd);
  return w == (ssize_t)n ? 0 : -1;
}

static int flip_bit(const char *p, long off)
{
  unsigned char *b;
  size_t n;
  if (read_file(p, &b, &n)) return -1;
  if (off < 0) off += n;
  b[off] ^= 0x10;
  int r = write_file(p, b, n);
  free(b);
  return r;
}

static int cut(const char *p, long len)
{
  return truncate(p, len);
}

static int force_reload(CK_SLOT_ID slot)
{
  key_serial_t tr = kt_token_keyring(slot);
  return tr > 0 ? keyctl_clear(tr) : -1;
}

/* A fresh process: stderr joins stdout (the module's log lines), the user
 * logs in, every object is listed with label and value. */
static int helper_dump(int argc, char **argv)
{
  CK_SESSION_HANDLE s;
  CK_RV rv;
  if (argc != 2) return 2;
  dup2(1, 2);
  setvbuf(stdout, NULL, _IONBF, 0);
  if ((rv = kt_init()) != CKR_OK) return 3;
  CK_SLOT_ID slot = strtoul(argv[1], NULL, 0);
  CK_ULONG ns = 0;
  CK_SLOT_ID *sl = kt_slots(&ns);
  printf("slots");
  for (CK_ULONG i = 0; sl && i < ns; i++) printf(" %lu", (unsigned long)sl[i]);
  printf("\n");
  free(sl);
  rv = kt_open(slot, 0, &s);
  printf("open %s\n", kt_rvname(rv));
  if (rv != CKR_OK) {
    kt_fini();
    return 0;
  }
  printf("login %s\n", kt_rvname(kt_login(s, CKU_USER, USER_PIN)));
  CK_OBJECT_HANDLE h[256];
  CK_ULONG n = 0;
  rv = kt_find(s, NULL, 0, h, 256, &n);
  printf("find %s\nn %lu\n", kt_rvname(rv), (unsigned long)n);
  for (CK_ULONG i = 0; i < n && i < 256; i++) {
    void *lab = NULL, *val = NULL;
    CK_ULONG ll = 0, vl = 0;
    CK_RV r1 = kt_attr(s, h[i], CKA_LABEL, &lab, &ll);
    CK_RV r2 = kt_attr(s, h[i], CKA_VALUE, &val, &vl);
    printf("o %s %s %s\n", r1 == CKR_OK ? (char *)lab : "-",
           r2 == CKR_OK ? (char *)val : "-", kt_rvname(r2));
    free(lab);
    free(val);
  }
  p11->C_CloseSession(s);
  kt_fini();
  return 0;
}

static char *dump(CK_SLOT_ID slot)
{
  char *out = NULL;
  int st = kt_run_self(&out, 1, "dump", num(slot), NULL);
  KT_CHECK(st == 0, "dump helper exit %d", st);
  return out ? out : strdup("");
}

static void run_info(const char *when)
{
  char cmd[4200], buf[4096];
  const char *b = getenv("KT_BUILD");
  snprintf(cmd, sizeof cmd, "%s/kerntok info 2>&1", b && *b ? b : "build");
  FILE *p = popen(cmd, "r");
  size_t n = p ? fread(buf, 1, sizeof buf - 1, p) : 0;
  buf[n] = 0;
  if (p) pclose(p);
  /* the CLI's own lines, not the module's log lines on stderr */
  int says = 0;
  char copy[4096];
  memcpy(copy, buf, n + 1);
  for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n"))
    says |= strncmp(l, "kerntok:", 8) && (strstr(l, "damaged") || strstr(l, "skipped"));
  fprintf(stderr, "  note: `kerntok info` %s %s the damage:\n", when,
          says ? "reports" : "does NOT report");
  for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
    if (!strncmp(l, "token", 5) || !strncmp(l, "free", 4) || strstr(l, "damaged"))
      fprintf(stderr, "    %s\n", l);
}

/* ------------------------------------------------------------------ */
/* objects/<id>.obj, every kind of damage */

typedef struct {
  const char *label, *value;
  int priv, secret;
  const char *damage;          /* NULL: left alone */
  CK_OBJECT_HANDLE h;
  char path[4300];
} obj;

static void test_damaged_object_files(void)
{
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE s;
  obj o[] = {
      {"keep-public", "value-keep-public", 0, 0, NULL, 0, ""},
      {"keep-private", "value-keep-private", 1, 0, NULL, 0, ""},
      {"keep-secret", "0123456789abcdef0123456789abcdef", 1, 1, NULL, 0, ""},
      {"truncated", "value-truncated", 0, 0, "truncate to half", 0, ""},
      {"truncated-1", "value-truncated-1", 1, 0, "one byte short", 0, ""},
      {"flipped", "value-flipped", 0, 0, "flip a payload bit", 0, ""},
      {"flipped-sealed", "abcdefabcdefabcdefabcdefabcdefab", 1, 1,
       "flip a bit of the sealed part", 0, ""},
      {"bad-mac", "value-bad-mac", 0, 0, "flip a MAC bit", 0, ""},
      {"emptied", "value-emptied", 0, 0, "empty", 0, ""},
      {"garbage", "value-garbage", 1, 0, "random bytes", 0, ""},
      {"deleted", "value-deleted", 0, 0, "delete", 0, ""},
      {"appended", "value-appended", 0, 0, "a byte appended", 0, ""},
      {"swapped", "value-swapped", 0, 0, "another object's bytes", 0, ""},
  };
  KT_OK_F(kt_fresh_token("damage-objects", SO_PIN, USER_PIN, &slot));
  KT_OK_F(kt_open(slot, 1, &s));
  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  for (size_t i = 0; i < N(o); i++) {
    if (o[i].secret)
      KT_OK_F(kt_mk_secret(s, 1, o[i].priv, 0, o[i].label, o[i].value,
                           strlen(o[i].value), &o[i].h));
    else
      KT_OK_F(kt_mk_data(s, 1, o[i].priv, o[i].label, o[i].value,
                         strlen(o[i].value), &o[i].h));
    KT_CHECK_F(obj_path(s, slot, o[i].h, o[i].path, sizeof o[i].path) == 0,
               "object file of %s", o[i].label);
    KT_CHECK_F(access(o[i].path, R_OK) == 0, "%s exists", o[i].path);
  }
  KT_OK(p11->C_CloseSession(s));

  /* damage */
  unsigned char junk[300];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 37 + 11);
  for (size_t i = 0; i < N(o); i++) {
    const char *d = o[i].damage, *p = o[i].path;
    struct stat st;
    int r = 0;
    if (!d) continue;
    stat(p, &st);
    if (!strcmp(d, "truncate to half")) r = cut(p, st.st_size / 2);
    else if (!strcmp(d, "one byte short")) r = cut(p, st.st_size - 1);
    else if (!strcmp(d, "flip a payload bit")) r = flip_bit(p, 40);
    else if (!strcmp(d, "flip a bit of the sealed part")) r = flip_bit(p, -40);
    else if (!strcmp(d, "flip a MAC bit")) r = flip_bit(p, -1);
    else if (!strcmp(d, "empty")) r = cut(p, 0);
    else if (!strcmp(d, "random bytes")) r = write_file(p, junk, st.st_size < 300 ? st.st_size : 300);
    else if (!strcmp(d, "delete")) r = unlink(p);
    else if (!strcmp(d, "a byte appended")) {
      int fd = open(p, O_WRONLY | O_APPEND);
      r = fd < 0 || write(fd, "x", 1) != 1;
      if (fd >= 0) close(fd);
    } else if (!strcmp(d, "another object's bytes")) {
      /* a whole, valid file of another object under this one's name: its
       * MAC verifies, it names another object id */
      unsigned char *b;
      size_t n;
      r = read_file(o[0].path, &b, &n) || write_file(p, b, n);
      free(b);
    }
    KT_CHECK(r == 0, "damage %s: %s", o[i].label, d);
  }
  /* things that are not object files at all */
  char dir[4096], p[4400];
  tokdir(slot, "objects", dir, sizeof dir);
  snprintf(p, sizeof p, "%s/.0123456789abcdef0123456789abcdef.obj.4242.tmp", dir);
  KT_CHECK(write_file(p, junk, 100) == 0, "stray temporary file");
  snprintf(p, sizeof p, "%s/fedcba9876543210fedcba9876543210.obj", dir);
  KT_CHECK(mkdir(p, 0700) == 0, "a directory named like an object");
  snprintf(p, sizeof p, "%s/00112233445566778899aabbccddeeff.obj", dir);
  KT_CHECK(symlink(o[0].path, p) == 0, "a symlink named like an object");
  snprintf(p, sizeof p, "%s/README", dir);
  KT_CHECK(write_file(p, "not an object\n", 14) == 0, "a stray file");

  /* reload from disk, look from a fresh process */
  KT_CHECK_F(force_reload(slot) == 0, "keyctl clear: %s", strerror(errno));
  char *out = dump(slot);
  fprintf(stderr, "  fresh process after the damage:\n%s", out);
  int want = 0;
  for (size_t i = 0; i < N(o); i++) {
    char line[256];
    snprintf(line, sizeof line, "o %s %s CKR_OK\n", o[i].label, o[i].value);
    if (!o[i].damage) {
      want++;
      KT_CHECK(strstr(out, line) != NULL, "undamaged %s served intact",
               o[i].label);
    } else {
      snprintf(line, sizeof line, "o %s ", o[i].label);
      KT_CHECK(strstr(out, line) == NULL, "damaged %s (%s) was loaded",
               o[i].label, o[i].damage);
      /* the damage is reported (the deleted one left nothing to report) */
      char rep[256];
      const char *base = strrchr(o[i].path, '/') + 1;
      snprintf(rep, sizeof rep, "%s is damaged", base);
      if (strcmp(o[i].damage, "delete"))
        KT_CHECK(strstr(out, rep) != NULL, "no log line for %s (%s)",
                 o[i].label, o[i].damage);
    }
  }
  char nline[32];
  snprintf(nline, sizeof nline, "n %d\n", want);
  KT_CHECK(strstr(out, nline) != NULL, "exactly the %d undamaged objects", want);
  free(out);

  /* this process too (its cache is stale: the ring was cleared) */
  KT_OK_F(kt_open(slot, 0, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  CK_OBJECT_HANDLE h[64];
  CK_ULONG n = 0;
  KT_OK(kt_find(s, NULL, 0, h, 64, &n));
  KT_EQ_UL(n, want);
  for (size_t i = 0; i < N(o); i++) {
    CK_OBJECT_HANDLE f[4];
    CK_ULONG nf = 0;
    KT_OK(kt_find_label(s, o[i].label, f, 4, &nf));
    KT_EQ_UL(nf, o[i].damage ? 0 : 1);
    char lab[64];
    KT_RV(kt_label(s, o[i].h, lab, sizeof lab), CKR_OBJECT_HANDLE_INVALID);
  }
  /* and it still works */
  CK_OBJECT_HANDLE nh;
  KT_OK(p11->C_CloseSession(s));
  KT_OK_F(kt_open(slot, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(kt_mk_data(s, 1, 1, "after-damage", "v", 1, &nh));
  KT_OK(p11->C_CloseSession(s));
  KT_CHECK(force_reload(slot) == 0, "reload again");
  out = dump(slot);
  KT_CHECK(strstr(out, "o after-damage v CKR_OK\n") != NULL,
           "a new object survives a reload:\n%s", out);
  snprintf(nline, sizeof nline, "n %d\n", want + 1);
  KT_CHECK(strstr(out, nline) != NULL, "%d objects after the new one", want + 1);
  free(out);
  run_info("after damaged object files");
}

/* ------------------------------------------------------------------ */
/* token.meta */

static int slot_listed(CK_SLOT_ID slot, int *initialized)
{
  CK_ULONG n = 0;
  CK_SLOT_ID *v = kt_slots(&n);
  int found = 0;
  *initialized = 0;
  for (CK_ULONG i = 0; v && i < n; i++)
    if (v[i] == slot) {
      CK_TOKEN_INFO ti;
      found = 1;
      if (p11->C_GetTokenInfo(slot, &ti) == CKR_OK)
        *initialized = !!(ti.flags & CKF_TOKEN_INITIALIZED);
    }
  free(v);
  return found;
}

static void test_damaged_token_meta(void)
{
  static const char *kinds[] = {"flip a bit", "truncate", "empty",
                                "a byte appended", "delete",
                                "replace with a directory"};
  CK_SLOT_ID slot, other;
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h;
  char meta[4200], dir[4096], saved[4300];
  unsigned char *good;
  size_t goodn;

  KT_OK_F(kt_fresh_token("damage-meta", SO_PIN, USER_PIN, &slot));
  KT_OK_F(kt_fresh_token("damage-meta-2", SO_PIN, USER_PIN, &other));
  KT_OK_F(kt_open(slot, 1, &s));
  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  KT_OK_F(kt_mk_data(s, 1, 1, "meta-private", "pv", 2, &h));
  KT_OK_F(kt_mk_data(s, 1, 0, "meta-public", "pubv", 4, &h));
  KT_OK(p11->C_CloseSession(s));
  tokdir(slot, "token.meta", meta, sizeof meta);
  KT_CHECK_F(read_file(meta, &good, &goodn) == 0, "read token.meta");
  snprintf(saved, sizeof saved, "%s.saved", kt_tmpdir());

  for (size_t k = 0; k < N(kinds); k++) {
    const char *d = kinds[k];
    int r = 0, init = 0;
    if (!strcmp(d, "flip a bit")) r = flip_bit(meta, 100);
    else if (!strcmp(d, "truncate")) r = cut(meta, goodn / 2);
    else if (!strcmp(d, "empty")) r = cut(meta, 0);
    else if (!strcmp(d, "a byte appended")) {
      int fd = open(meta, O_WRONLY | O_APPEND);
      r = fd < 0 || write(fd, "x", 1) != 1;
      if (fd >= 0) close(fd);
    } else if (!strcmp(d, "delete")) r = unlink(meta);
    else { r = unlink(meta) || mkdir(meta, 0700); }
    KT_CHECK(r == 0, "damage token.meta: %s", d);
    KT_CHECK(force_reload(slot) == 0 || 1, "reload");

    /* this process */
    KT_CHECK(!slot_listed(slot, &init) || !init,
             "token.meta (%s): slot %lu still listed as a token", d,
             (unsigned long)slot);
    CK_SLOT_ID fs = (CK_SLOT_ID)-1;
    kt_free_slot(&fs, NULL);
    KT_CHECK(fs != slot, "token.meta (%s): slot %lu offered as the free slot "
             "(C_InitToken there would bury the objects)", d,
             (unsigned long)slot);
    CK_UTF8CHAR lab[32];
    kt_pad(lab, sizeof lab, "squatter");
    CK_RV rv = p11->C_InitToken(slot, (CK_UTF8CHAR_PTR)SO_PIN,
                                strlen(SO_PIN), lab);
    KT_CHECK(rv != CKR_OK, "token.meta (%s): C_InitToken(slot %lu) succeeded",
             d, (unsigned long)slot);
    rv = kt_open(slot, 0, &s);
    KT_CHECK(rv != CKR_OK, "token.meta (%s): a session opened: %s", d,
             kt_rvname(rv));
    if (rv == CKR_OK) p11->C_CloseSession(s);
    /* a fresh process: the same, plus a log line for real damage */
    char *out = dump(slot);
    KT_CHECK(strstr(out, "open CKR_OK") == NULL,
             "token.meta (%s): a fresh process opened a session:\n%s", d, out);
    if (strcmp(d, "delete") && strcmp(d, "replace with a directory"))
      KT_CHECK(strstr(out, "token.meta is damaged") != NULL,
               "token.meta (%s): no log line:\n%s", d, out);
    free(out);
    /* the other token is unaffected */
    KT_OK(kt_open(other, 0, &s));
    KT_OK(p11->C_CloseSession(s));
    if (k == 0) run_info("with a damaged token.meta");

    /* restore: everything is back */
    if (!strcmp(d, "replace with a directory")) rmdir(meta);
    KT_CHECK_F(write_file(meta, good, goodn) == 0, "restore token.meta");
    KT_CHECK(slot_listed(slot, &init) && init, "token.meta restored (%s): "
             "slot back", d);
    out = dump(slot);
    KT_CHECK(strstr(out, "o meta-private pv CKR_OK") &&
                 strstr(out, "o meta-public pubv CKR_OK") &&
                 strstr(out, "n 2\n"),
             "token.meta restored (%s): both objects back:\n%s", d, out);
    free(out);
  }
  /* a leftover temporary token.meta is ignored */
  tokdir(slot, ".token.meta.999999.tmp", dir, sizeof dir);
  KT_CHECK(write_file(dir, "junk", 4) == 0, "stray .tmp");
  char *out = dump(slot);
  KT_CHECK(strstr(out, "n 2\n") != NULL, "stray token.meta .tmp ignored:\n%s",
           out);
  free(out);
  free(good);
}

/* ------------------------------------------------------------------ */
static int helper(int argc, char **argv)
{
  if (!strcmp(argv[0], "dump")) return helper_dump(argc, argv);
  return -1;
}

static void register_suites(void)
{
  CU_pSuite s = kt_suite("damage", suite_init, suite_clean, NULL, NULL);
  kt_test(s, "damaged object files", test_damaged_object_files);
  kt_test(s, "damaged token.meta", test_damaged_token_meta);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, helper);
}
