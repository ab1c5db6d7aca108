/*
 * test_neighbours.c - other users and other processes (issue 6, parts 3-4).
 *
 *   - another uid (a throwaway uid made with setresuid() in a forked child,
 *     no useradd) cannot describe, read, search, link, clear or invalidate
 *     the token's keys, cannot open the store's files, and gets nothing from
 *     the module pointed at the store;
 *   - a process of the same uid that is not logged in sees kt:private:<id>
 *     keys but their payloads (and the files) hold only ciphertext: a known
 *     private CKA_VALUE marker, a secret key's value and the user PIN never
 *     appear in a key payload or a file;
 *   - a process that logged in, used a secret key and a private object,
 *     logged out and called C_Finalize keeps neither in its memory (read
 *     through /proc/<pid>/mem under ptrace), and while logged in its storage
 *     key pages are MADV_DONTDUMP ("dd" in /proc/<pid>/smaps);
 *   - PIN guessing from fresh processes, one after another and all at once,
 *     never gets more tries than the token allows; the SO unlocks.
 */
#include "kt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SO_PIN "so-pin-neighbours"
#define USER_PIN "Pin#Neighb0urs!"     /* distinctive: searched for on disk */

static CK_SLOT_ID slot;
static char marker[49];                /* private CKA_VALUE, random hex */
static unsigned char seckey[32];       /* a private secret key's value */
static CK_OBJECT_HANDLE h_priv, h_secret, h_pub;
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *num(CK_ULONG v)
{
  static char b[8][24];
  static int i;
  i = (i + 1) % 8;
  snprintf(b[i], sizeof b[i], "%lu", (unsigned long)v);
  return b[i];
}

static int rnd(void *p, size_t n)
{
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t r = fd >= 0 ? read(fd, p, n) : -1;
  if (fd >= 0) close(fd);
  return r == (ssize_t)n ? 0 : -1;
}

static int suite_init(void)
{
  unsigned char m[24];
  CK_SESSION_HANDLE s;
  CK_RV rv;
  if (rnd(m, sizeof m) || rnd(seckey, sizeof seckey)) return 1;
  kt_hex(m, sizeof m, marker);
  if (kt_init() != CKR_OK) return 1;
  rv = kt_fresh_token("neighbours", SO_PIN, USER_PIN, &slot);
  if (rv == CKR_OK) rv = kt_open(slot, 1, &s);
  if (rv == CKR_OK) rv = kt_login(s, CKU_USER, USER_PIN);
  if (rv == CKR_OK) rv = kt_mk_data(s, 1, 1, "private-marker", marker, 48, &h_priv);
  if (rv == CKR_OK) rv = kt_mk_data(s, 1, 0, "public-data", "public-visible-value", 20, &h_pub);
  if (rv == CKR_OK)
    rv = kt_mk_secret(s, 1, 1, 1, "secret-key", seckey, sizeof seckey, &h_secret);
  if (rv != CKR_OK) fprintf(stderr, "neighbours setup: %s\n", kt_rvname(rv));
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}
static void setup_init(void) { KT_OK_F(kt_init()); }
static void teardown_fini(void) { p11->C_Finalize(NULL); }

/* ------------------------------------------------------------------ */
/* the token's keys and files */

typedef struct {
  key_serial_t k[64];
  int n;
} serials;

static void token_serials(serials *sv)
{
  key_serial_t tr = kt_token_keyring(slot), *v = NULL;
  sv->n = 0;
  if (tr <= 0) return;
  sv->k[sv->n++] = kt_store_keyring();
  sv->k[sv->n++] = tr;
  int n = kt_key_list(tr, &v);
  for (int i = 0; i < n && sv->n < (int)N(sv->k); i++) sv->k[sv->n++] = v[i];
  free(v);
}

/* every regular file under the token directory, with its path */
typedef int (*file_fn)(const char *path, const struct stat *st, void *ud);
static int walk(const char *dir, file_fn fn, void *ud)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int rc = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL) {
    char p[4096];
    struct stat st;
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (lstat(p, &st)) continue;
    rc |= fn(p, &st, ud);
    if (S_ISDIR(st.st_mode)) rc |= walk(p, fn, ud);
  }
  closedir(d);
  return rc;
}

static char *store_dir(char *buf, size_t n)
{
  snprintf(buf, n, "%s", getenv("KERNTOK_DIR"));
  return buf;
}

/* ------------------------------------------------------------------ */
/* another uid */

static uid_t stranger(void) { return (uid_t)(2000000000u + (unsigned)getpid() % 1000000u); }

static int become_stranger(int new_keyring)
{
  uid_t u = stranger();
  if (setgroups(0, NULL) || setresgid(u, u, u) || setresuid(u, u, u)) return -1;
  if (geteuid() != u || getuid() != u) return -1;
  if (new_keyring && keyctl_join_session_keyring(NULL) < 0) return -1;
  return 0;
}

typedef struct {
  serials sv;
  char files[32][4096];
  int nfiles;
  char dirs[8][4096];
  int ndirs;
  char store_desc[64];
  int new_keyring;
} stranger_args;

#define SF(cond, ...)                                                       \
  do { if (!(cond)) { fails++; fprintf(stderr, "  stranger: " __VA_ARGS__); \
                      fputc('\n', stderr); } } while (0)

static int stranger_child(void *arg)
{
  stranger_args *a = arg;
  int fails = 0;
  if (become_stranger(a->new_keyring)) {
    fprintf(stderr, "  stranger: could not drop to uid %u: %s\n",
            (unsigned)stranger(), strerror(errno));
    return 90;
  }
  for (int i = 0; i < a->sv.n; i++) {
    key_serial_t k = a->sv.k[i];
    char *buf = NULL;
    long r = keyctl_describe_alloc(k, &buf);
    SF(r < 0 && errno == EACCES, "describe %d: %ld (%s)", k, r, strerror(errno));
    free(buf);
    buf = NULL;
    r = keyctl_read_alloc(k, (void **)&buf);
    SF(r < 0 && errno == EACCES, "read %d: %ld (%s)", k, r, strerror(errno));
    free(buf);
    r = keyctl_link(k, KEY_SPEC_SESSION_KEYRING);
    SF(r < 0 && errno == EACCES, "link %d into own @s: %ld (%s)", k, r,
       strerror(errno));
    r = keyctl_invalidate(k);
    SF(r < 0 && errno == EACCES, "invalidate %d: %ld (%s)", k, r, strerror(errno));
    r = keyctl_revoke(k);
    SF(r < 0 && errno == EACCES, "revoke %d: %ld (%s)", k, r, strerror(errno));
    r = keyctl_setperm(k, 0x3f3f3f3f);
    SF(r < 0 && errno == EACCES, "setperm %d: %ld (%s)", k, r, strerror(errno));
    if (i < 2) { /* the keyrings */
      r = keyctl_clear(k);
      SF(r < 0 && errno == EACCES, "clear %d: %ld (%s)", k, r, strerror(errno));
    } else {
      r = keyctl_update(k, "x", 1);
      SF(r < 0 && errno == EACCES, "update %d: %ld (%s)", k, r, strerror(errno));
      r = keyctl_unlink(k, a->sv.k[1]);
      SF(r < 0 && errno == EACCES, "unlink %d from the token ring: %ld (%s)", k,
         r, strerror(errno));
    }
  }
  /* the store keyring by name: only in the owner's @u */
  long r = keyctl_search(KEY_SPEC_USER_KEYRING, "keyring", a->store_desc, 0);
  SF(r < 0, "found %s in its own @u: %ld", a->store_desc, r);
  for (int i = 0; i < a->nfiles; i++) {
    int fd = open(a->files[i], O_RDONLY);
    SF(fd < 0 && errno == EACCES, "open %s: %d (%s)", a->files[i], fd,
       strerror(errno));
    if (fd >= 0) close(fd);
    fd = open(a->files[i], O_WRONLY);
    SF(fd < 0 && errno == EACCES, "open %s for writing: %d", a->files[i], fd);
    if (fd >= 0) close(fd);
  }
  for (int i = 0; i < a->ndirs; i++) {
    DIR *d = opendir(a->dirs[i]);
    SF(d == NULL && errno == EACCES, "opendir %s: %s", a->dirs[i],
       d ? "opened" : strerror(errno));
    if (d) closedir(d);
    char p[4200];
    snprintf(p, sizeof p, "%s/planted", a->dirs[i]);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    SF(fd < 0, "created %s", p);
    if (fd >= 0) close(fd);
  }
  return fails ? 1 : 0;
}

static int collect_file(const char *p, const struct stat *st, void *ud)
{
  stranger_args *a = ud;
  if (S_ISREG(st->st_mode) && a->nfiles < 32)
    snprintf(a->files[a->nfiles++], sizeof a->files[0], "%s", p);
  if (S_ISDIR(st->st_mode) && a->ndirs < 8)
    snprintf(a->dirs[a->ndirs++], sizeof a->dirs[0], "%s", p);
  return 0;
}

static int check_mode(const char *p, const struct stat *st, void *ud)
{
  (void)ud;
  if (S_ISDIR(st->st_mode))
    KT_CHECK((st->st_mode & 077) == 0, "%s: directory mode %o (want 0700)", p,
             st->st_mode & 0777);
  else if (S_ISREG(st->st_mode))
    KT_CHECK((st->st_mode & 077) == 0, "%s: file mode %o (want 0600)", p,
             st->st_mode & 0777);
  KT_CHECK(st->st_uid == getuid(), "%s: owner %u", p, (unsigned)st->st_uid);
  return 0;
}

static void test_other_uid_keys_and_files(void)
{
  static stranger_args a;
  char dir[4096];
  CK_SESSION_HANDLE s;
  /* make sure the token ring is loaded */
  KT_OK_F(kt_open(slot, 0, &s));
  KT_OK(kt_label(s, h_pub, (char[64]){0}, 64));
  memset(&a, 0, sizeof a);
  token_serials(&a.sv);
  KT_CHECK_F(a.sv.n >= 5, "store ring, token ring, kt:gen and 3 objects "
             "(found %d keys)", a.sv.n);
  KT_CHECK_F(kt_store_desc(a.store_desc, sizeof a.store_desc) == 0, "store desc");
  store_dir(dir, sizeof dir);
  snprintf(a.dirs[a.ndirs++], sizeof a.dirs[0], "%s", dir);
  walk(dir, collect_file, &a);
  KT_CHECK(a.nfiles >= 4, "token.meta and 3 object files (found %d files)",
           a.nfiles);
  /* owner-only modes everywhere (the store's own directory included) */
  struct stat st;
  KT_CHECK(stat(dir, &st) == 0 && (st.st_mode & 077) == 0,
           "store directory mode %o", st.st_mode & 0777);
  walk(dir, check_mode, NULL);

  for (a.new_keyring = 0; a.new_keyring < 2; a.new_keyring++) {
    int st2 = kt_fork(stranger_child, &a);
    KT_CHECK(st2 == 0, "uid %u (%s session keyring) reached the owner's keys "
             "or files (exit %d; details above)", (unsigned)stranger(),
             a.new_keyring ? "its own" : "the owner's", st2);
  }
  /* nothing was planted or changed */
  char p[4200];
  snprintf(p, sizeof p, "%s/planted", dir);
  KT_CHECK(access(p, F_OK) != 0, "a file was planted in the store");
  char lab[64];
  KT_OK(kt_label(s, h_pub, lab, sizeof lab));
  KT_CHECK(!strcmp(lab, "public-data"), "public object intact: '%s'", lab);
  KT_OK(p11->C_CloseSession(s));
}

/* The module, run by another uid with KERNTOK_DIR at the owner's store:
 * clean failures, and never a session that shows an object. */
static int helper_outsider(int argc, char **argv)
{
  CK_RV rv;
  CK_ULONG n = 0;
  if (argc != 2) return 2;
  CK_SLOT_ID sl = strtoul(argv[1], NULL, 0);
  rv = kt_init();
  printf("init %s\n", kt_rvname(rv));
  if (rv != CKR_OK) return 0;
  rv = p11->C_GetSlotList(CK_FALSE, NULL, &n);
  printf("slotlist %s %lu\n", kt_rvname(rv), (unsigned long)n);
  CK_TOKEN_INFO ti;
  rv = p11->C_GetTokenInfo(sl, &ti);
  printf("tokeninfo %s %s\n", kt_rvname(rv),
         rv == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) ? "initialized" : "-");
  CK_SESSION_HANDLE s;
  rv = kt_open(sl, 1, &s);
  printf("open %s\n", kt_rvname(rv));
  if (rv == CKR_OK) {
    CK_OBJECT_HANDLE h[16];
    CK_ULONG cnt = 0;
    printf("login %s\n", kt_rvname(kt_login(s, CKU_USER, USER_PIN)));
    rv = kt_find(s, NULL, 0, h, 16, &cnt);
    printf("find %s %lu\n", kt_rvname(rv), (unsigned long)cnt);
    char lab[64];
    printf("get %s\n", kt_rvname(kt_label(s, h_pub ? h_pub : 1, lab, sizeof lab)));
  }
  kt_fini();
  return 0;
}

static void test_other_uid_module(void)
{
  char *out = NULL, v[128];
  int pfd[2];
  KT_CHECK_F(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
  fflush(NULL);
  pid_t pid = fork();
  KT_CHECK_F(pid >= 0, "fork");
  if (pid == 0) {
    dup2(pfd[1], 1);
    if (become_stranger(1)) _exit(90);
    char hp[24];
    snprintf(hp, sizeof hp, "%lu", (unsigned long)h_pub);
    setenv("KT_NEIGHBOUR_HPUB", hp, 1);
    execl(kt_self, kt_self, "helper", "outsider", num(slot), (char *)NULL);
    _exit(92);
  }
  close(pfd[1]);
  size_t cap = 8192, len = 0;
  out = calloc(1, cap);
  for (ssize_t r; (r = read(pfd[0], out + len, cap - 1 - len)) != 0;) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    len += r;
  }
  close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  fprintf(stderr, "  outsider (uid %u): %s", (unsigned)stranger(), out);
  KT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "outsider helper status 0x%x "
           "(90 = could not drop privileges, 92 = exec)", st);
  /* whatever it got, it got no session on our token that shows anything */
  if (kt_out_get(out, "open", v, sizeof v) && !strcmp(v, "CKR_OK")) {
    KT_CHECK(kt_out_get(out, "login", v, sizeof v) && strcmp(v, "CKR_OK"),
             "outsider logged in: %s", v);
    KT_CHECK(kt_out_get(out, "find", v, sizeof v) &&
                 (strncmp(v, "CKR_OK", 6) || !strcmp(v, "CKR_OK 0")),
             "outsider found objects: %s", v);
    KT_CHECK(kt_out_get(out, "get", v, sizeof v) && strcmp(v, "CKR_OK"),
             "outsider read an object: %s", v);
  }
  if (kt_out_get(out, "tokeninfo", v, sizeof v))
    KT_CHECK(strstr(v, "initialized") == NULL,
             "outsider sees the owner's token as initialized: %s", v);
  free(out);
  /* and the owner's token is unharmed */
  CK_SESSION_HANDLE s;
  KT_OK(kt_open(slot, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(p11->C_CloseSession(s));
}

/* ------------------------------------------------------------------ */
/* same uid, not logged in: ciphertext only */

static int contains(const void *hay, size_t n, const void *needle, size_t m)
{
  return n >= m && memmem(hay, n, needle, m) != NULL;
}

typedef struct {
  int hits_marker, hits_key, hits_pin, files, has_public;
} scan_res;

static void scan_buf(const void *p, size_t n, scan_res *r)
{
  r->hits_marker += contains(p, n, marker, 48) || contains(p, n, marker, 16);
  r->hits_key += contains(p, n, seckey, 32) || contains(p, n, seckey, 12);
  r->hits_pin += contains(p, n, USER_PIN, strlen(USER_PIN)) ||
                 contains(p, n, SO_PIN, strlen(SO_PIN));
  r->has_public += contains(p, n, "public-visible-value", 20);
}

static int scan_file(const char *p, const struct stat *st, void *ud)
{
  scan_res *r = ud;
  if (!S_ISREG(st->st_mode)) return 0;
  int fd = open(p, O_RDONLY);
  if (fd < 0) return 0;
  char *buf = malloc(st->st_size + 1);
  ssize_t n = buf ? read(fd, buf, st->st_size) : -1;
  close(fd);
  if (n > 0) {
    scan_res one = {0};
    scan_buf(buf, n, &one);
    KT_CHECK(!one.hits_marker && !one.hits_key && !one.hits_pin,
             "%s holds plaintext (marker %d, key %d, PIN %d)", p,
             one.hits_marker, one.hits_key, one.hits_pin);
    r->has_public += one.has_public;
    r->files++;
  }
  free(buf);
  return 0;
}

static void test_same_uid_sees_ciphertext(void)
{
  char dir[4096], *out = NULL;
  /* a fresh process of this uid, not logged in, through the module */
  KT_EQ_UL(kt_run_self(&out, 1, "list", num(slot), NULL), 0);
  KT_CHECK(out && strstr(out, "n 1\n"), "logged out: 1 public object "
           "listed:\n%s", out ? out : "");
  char hexlab[64];
  kt_hex("private-marker", 14, hexlab);
  KT_CHECK(out && !strstr(out, hexlab), "the private object is listed");
  KT_CHECK(out && !strstr(out, marker), "the private marker shows");
  free(out);

  /* the raw keyring, as any process of the uid can read it */
  CK_SESSION_HANDLE s;
  KT_OK_F(kt_open(slot, 0, &s));
  KT_OK(kt_label(s, h_pub, (char[64]){0}, 64)); /* ring loaded */
  KT_OK(p11->C_CloseSession(s));
  key_serial_t tr = kt_token_keyring(slot), *v = NULL;
  int n = kt_key_list(tr, &v), privs = 0;
  scan_res r = {0};
  for (int i = 0; i < n; i++) {
    char type[32], desc[256];
    void *pay = NULL;
    if (kt_key_describe(v[i], type, sizeof type, desc, sizeof desc)) continue;
    long pl = keyctl_read_alloc(v[i], &pay);
    KT_CHECK(pl >= 0, "the owner's own process reads %s (%s)", desc,
             strerror(errno));
    if (pl < 0) continue;
    scan_res one = {0};
    scan_buf(pay, pl, &one);
    KT_CHECK(!one.hits_marker && !one.hits_key && !one.hits_pin,
             "key %s holds plaintext (marker %d, key %d, PIN %d)", desc,
             one.hits_marker, one.hits_key, one.hits_pin);
    r.has_public += one.has_public;
    if (!strncmp(desc, "kt:private:", 11)) privs++;
    /* a private object's description tells nothing but that */
    KT_CHECK(strncmp(desc, "kt:secret:", 10) != 0,
             "a private secret key is described as %s", desc);
    free(pay);
  }
  free(v);
  KT_CHECK(privs == 2, "2 kt:private:<id> keys (found %d)", privs);
  KT_CHECK(r.has_public == 1, "sanity: the public value is readable in its "
           "key (found %d)", r.has_public);
  /* and the files */
  scan_res fr = {0};
  walk(store_dir(dir, sizeof dir), scan_file, &fr);
  KT_CHECK(fr.files >= 4, "scanned %d files", fr.files);
  KT_CHECK(fr.has_public == 1, "sanity: the public value is in its file "
           "(found %d)", fr.has_public);
}

/* ------------------------------------------------------------------ */
/* the memory of a process that used secrets */

static int find_in_process(pid_t pid, const void *needle, size_t n,
                           char *where, size_t wsz, size_t *scanned)
{
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *maps = fopen(path, "r");
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int mem = open(path, O_RDONLY);
  int found = 0;
  *scanned = 0;
  if (!maps || mem < 0) {
    if (maps) fclose(maps);
    if (mem >= 0) close(mem);
    return -1;
  }
  size_t cap = 1 << 20;
  unsigned char *buf = malloc(cap + n);
  while (!found && fgets(line, sizeof line, maps)) {
    unsigned long lo, hi;
    char perm[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r')
      continue;
    if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]")) continue;
    if (hi - lo > (1ul << 30)) continue; /* sanitizer shadow etc. */
    size_t keep = 0;
    for (unsigned long a = lo; a < hi && !found;) {
      size_t want = hi - a < cap ? hi - a : cap;
      ssize_t got = pread(mem, buf + keep, want, (off_t)a);
      if (got <= 0) break;
      *scanned += got;
      if (memmem(buf, keep + got, needle, n)) {
        found = 1;
        snprintf(where, wsz, "%s", line);
      }
      /* keep the tail for a match across chunks */
      size_t tail = keep + got < n - 1 ? keep + got : n - 1;
      memmove(buf, buf + keep + got - tail, tail);
      keep = tail;
      a += got;
    }
  }
  free(buf);
  fclose(maps);
  close(mem);
  return found;
}

static int smaps_has_dontdump(pid_t pid, char *flags, size_t fsz)
{
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
  FILE *f = fopen(path, "r");
  int hit = 0;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmFlags:", 8)) continue;
    if (strstr(line, " dd") && strstr(line, " lo")) { /* dontdump + locked */
      hit = 2;
      snprintf(flags, fsz, "%s", line);
      break;
    }
    if (strstr(line, " dd") && !hit) {
      hit = 1;
      snprintf(flags, fsz, "%s", line);
    }
  }
  fclose(f);
  return hit;
}

/* In the child: everything secret comes through a pipe (never from the
 * parent's memory image), lives in buffers the child wipes, and the module
 * is used the way an application would. */
static int secrets_child(int in, int out, int ctl)
{
  unsigned char key[32];
  char mark[49], pin[33], c;
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE hk, hd, hk2;
  if (read(in, key, 32) != 32 || read(in, mark, 48) != 48 ||
      read(in, pin, 32) != 32)
    return 10;
  mark[48] = pin[32] = 0;
  if (kt_init() != CKR_OK || kt_open(slot, 1, &s) != CKR_OK ||
      p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, 32) != CKR_OK)
    return 11;
  explicit_bzero(pin, sizeof pin);
  /* a token and a session secret key, a private data object */
  if (kt_mk_secret(s, 1, 1, 1, "child-key", key, 32, &hk) != CKR_OK ||
      kt_mk_secret(s, 0, 1, 0, "child-session-key", key, 32, &hk2) != CKR_OK ||
      kt_mk_data(s, 1, 1, "child-private", mark, 48, &hd) != CKR_OK)
    return 12;
  /* use them: read the private value and the non-sensitive key back, and
   * MAC something with the key if the module can */
  char got[64];
  CK_ATTRIBUTE ga = {CKA_VALUE, got, sizeof got};
  if (p11->C_GetAttributeValue(s, hd, &ga, 1) != CKR_OK || ga.ulValueLen != 48 ||
      memcmp(got, mark, 48))
    return 13;
  ga.ulValueLen = sizeof got;
  if (p11->C_GetAttributeValue(s, hk2, &ga, 1) != CKR_OK || memcmp(got, key, 32))
    return 14;
  CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
  CK_BYTE mac[64];
  CK_ULONG ml = sizeof mac;
  if (p11->C_SignInit(s, &m, hk) == CKR_OK)
    (void)p11->C_Sign(s, (CK_BYTE_PTR) "data", 4, mac, &ml);
  ml = sizeof mac;
  if (p11->C_SignInit(s, &m, hk2) == CKR_OK)
    (void)p11->C_Sign(s, (CK_BYTE_PTR) "data", 4, mac, &ml);
  /* the application's own copies are the application's business */
  explicit_bzero(got, sizeof got);
  explicit_bzero(key, sizeof key);
  explicit_bzero(mark, sizeof mark);
  /* logged in: tell the parent (it looks at smaps), wait */
  if (write(out, "L", 1) != 1 || read(ctl, &c, 1) != 1) return 15;
  /* the token objects stay for the parent to clean; end everything */
  if (p11->C_Logout(s) != CKR_OK || p11->C_CloseSession(s) != CKR_OK ||
      kt_fini() != CKR_OK)
    return 16;
  if (write(out, "F", 1) != 1) return 17;
  for (;;) pause(); /* the parent reads our memory, then kills us */
}

static CK_RV change_pin(const char *from, const char *to)
{
  CK_SESSION_HANDLE s;
  CK_RV rv = kt_open(slot, 1, &s);
  if (rv != CKR_OK) return rv;
  rv = p11->C_SetPIN(s, (CK_UTF8CHAR_PTR)from, strlen(from),
                     (CK_UTF8CHAR_PTR)to, strlen(to));
  p11->C_CloseSession(s);
  return rv;
}

static void test_memory_after_use(void)
{
  unsigned char key[32], pk[16];
  char mark[49], pin[33], c;
  unsigned char mk[24];
  int to[2], from[2], ctl[2];
  KT_CHECK_F(rnd(key, sizeof key) == 0 && rnd(mk, sizeof mk) == 0 &&
                 rnd(pk, sizeof pk) == 0, "random");
  kt_hex(mk, sizeof mk, mark);
  /* a PIN that exists only at run time (a literal is in the binary) */
  kt_hex(pk, sizeof pk, pin);
  KT_OK_F(change_pin(USER_PIN, pin));
  KT_CHECK_F(pipe(to) == 0 && pipe(from) == 0 && pipe(ctl) == 0, "pipes");
  fflush(NULL);
  pid_t pid = fork();
  KT_CHECK_F(pid >= 0, "fork");
  if (pid == 0) {
    close(to[1]);
    close(from[0]);
    close(ctl[1]);
    kt_child_watchdog();
    /* the parent's copies are in our image too: gone before we start */
    explicit_bzero(key, sizeof key);
    explicit_bzero(mark, sizeof mark);
    explicit_bzero(pin, sizeof pin);
    explicit_bzero(pk, sizeof pk);
    explicit_bzero(seckey, sizeof seckey);
    _exit(secrets_child(to[0], from[1], ctl[0]));
  }
  close(to[0]);
  close(from[1]);
  close(ctl[0]);
  KT_CHECK(write(to[1], key, 32) == 32 && write(to[1], mark, 48) == 48 &&
               write(to[1], pin, 32) == 32,
           "send secrets");
  close(to[1]);
  int ok = read(from[0], &c, 1) == 1 && c == 'L';
  KT_CHECK(ok, "child logged in and used its secrets");
  if (ok) {
    char flags[512] = "";
    int dd = smaps_has_dontdump(pid, flags, sizeof flags);
    KT_CHECK(dd >= 1, "while logged in some mapping is MADV_DONTDUMP (dd in "
             "/proc/%d/smaps VmFlags)", (int)pid);
    if (dd == 1)
      fprintf(stderr, "  note: the dd mapping is not mlock'ed (RLIMIT_MEMLOCK): "
              "%s", flags);
    KT_CHECK(write(ctl[1], "go", 1) == 1, "continue");
    ok = read(from[0], &c, 1) == 1 && c == 'F';
    KT_CHECK(ok, "child logged out and finalized");
  }
  if (ok) {
    KT_CHECK_F(ptrace(PTRACE_SEIZE, pid, 0, 0) == 0, "PTRACE_SEIZE: %s",
               strerror(errno));
    KT_CHECK(ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0, "PTRACE_INTERRUPT");
    int st;
    waitpid(pid, &st, __WALL);
    char where[512];
    size_t scanned = 0;
    struct {
      const void *p;
      size_t n;
      const char *what;
    } needles[] = {{key, 32, "the secret key's 32 bytes"},
                   {key, 12, "the first 12 bytes of the secret key"},
                   {mark, 48, "the private marker"},
                   {mark + 16, 16, "16 characters of the private marker"},
                   {pin, 32, "the user PIN"}};
    size_t most = 0;
    for (size_t i = 0; i < N(needles); i++) {
      int f = find_in_process(pid, needles[i].p, needles[i].n, where,
                              sizeof where, &scanned);
      if (scanned > most) most = scanned;
      KT_CHECK(f == 0, "%s is still in the finished process's memory "
               "(%s; %zu bytes read) at %s", needles[i].what,
               f < 0 ? "could not read" : "found", scanned, f > 0 ? where : "-");
    }
    /* sanity: the scan does find what is there (the module's name) */
    KT_CHECK(find_in_process(pid, "kerntok", 7, where, sizeof where,
                             &scanned) == 1, "the memory scan works");
    fprintf(stderr, "  scanned %zu bytes of the child's memory\n", most);
    ptrace(PTRACE_DETACH, pid, 0, 0);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(from[0]);
  close(ctl[1]);
  /* the child's token objects */
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h[4];
  CK_ULONG n = 0;
  KT_OK(change_pin(pin, USER_PIN));
  explicit_bzero(pin, sizeof pin);
  KT_OK(kt_open(slot, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  const char *labs[] = {"child-key", "child-private"};
  for (int i = 0; i < 2; i++) {
    KT_OK(kt_find_label(s, labs[i], h, 4, &n));
    KT_CHECK(n == 1, "%s left by the child (%lu)", labs[i], n);
    for (CK_ULONG j = 0; j < n && j < 4; j++) KT_OK(p11->C_DestroyObject(s, h[j]));
  }
  KT_OK(p11->C_CloseSession(s));
  explicit_bzero(key, sizeof key);
}

/* ------------------------------------------------------------------ */
/* PIN guessing from fresh processes */

static CK_RV token_with_tries(const char *label, int tries, CK_SLOT_ID *sl)
{
  char t[16];
  snprintf(t, sizeof t, "%d", tries);
  setenv("KERNTOK_PIN_TRIES", t, 1);
  CK_RV rv = kt_fresh_token(label, SO_PIN, USER_PIN, sl);
  unsetenv("KERNTOK_PIN_TRIES");
  return rv;
}

static int helper_initpin(int argc, char **argv)
{
  CK_SESSION_HANDLE s;
  CK_RV rv;
  if (argc != 3) return 2;
  if ((rv = kt_init()) != CKR_OK) return 3;
  rv = kt_open(strtoul(argv[1], NULL, 0), 1, &s);
  if (rv == CKR_OK) rv = kt_login(s, CKU_SO, SO_PIN);
  if (rv == CKR_OK)
    rv = p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)argv[2], strlen(argv[2]));
  printf("rv %s\n", kt_rvname(rv));
  kt_fini();
  return 0;
}

static CK_RV login_in_fresh_process(CK_SLOT_ID sl, const char *pin,
                                    CK_FLAGS *flags)
{
  char *out = NULL, v[64];
  CK_RV rv = CKR_GENERAL_ERROR;
  if (kt_run_self(&out, 1, "login", num(sl), "1", pin, NULL) == 0 &&
      kt_out_get(out, "rv", v, sizeof v)) {
    for (CK_RV r = 0; r < 0x300; r++)
      if (!strcmp(kt_rvname(r), v)) { rv = r; break; }
    if (flags && kt_out_get(out, "flags", v, sizeof v))
      *flags = strtoul(v, NULL, 0);
  }
  free(out);
  return rv;
}

static void test_pin_guessing_sequential(void)
{
  CK_SLOT_ID sl;
  CK_FLAGS f = 0;
  char pin[32];
  const int tries = 4;
  KT_OK_F(token_with_tries("guess seq", tries, &sl));
  /* N+1 fresh processes, one wrong PIN each */
  for (int i = 0; i <= tries; i++) {
    snprintf(pin, sizeof pin, "guess-%04d", i);
    CK_RV rv = login_in_fresh_process(sl, pin, &f);
    if (i < tries - 1)
      KT_CHECK(rv == CKR_PIN_INCORRECT, "guess %d: %s", i + 1, kt_rvname(rv));
    else if (i == tries - 1)
      KT_CHECK(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED,
               "guess %d (the last allowed): %s", i + 1, kt_rvname(rv));
    else
      KT_CHECK(rv == CKR_PIN_LOCKED, "guess %d (one too many): %s", i + 1,
               kt_rvname(rv));
  }
  KT_CHECK(f & CKF_USER_PIN_LOCKED, "CKF_USER_PIN_LOCKED after %d guesses: "
           "0x%lx", tries + 1, (unsigned long)f);
  /* the right PIN is locked out too, in yet another process */
  KT_RV(login_in_fresh_process(sl, USER_PIN, NULL), CKR_PIN_LOCKED);
  /* the SO unlocks with C_InitPIN (another fresh process) */
  char *out = NULL, v[64];
  KT_EQ_UL(kt_run_self(&out, 1, "initpin", num(sl), "new-pin-5678", NULL), 0);
  KT_CHECK(kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_OK"),
           "SO C_InitPIN: %s", out ? out : "");
  free(out);
  KT_RV(login_in_fresh_process(sl, USER_PIN, NULL), CKR_PIN_INCORRECT);
  KT_RV(login_in_fresh_process(sl, "new-pin-5678", &f), CKR_OK);
  KT_CHECK(!(f & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY)),
           "flags clear after the good login: 0x%lx", (unsigned long)f);
}

/* Many guessers at once: the counter is shared through token.meta under a
 * lock; however many start together, no more than `tries` wrong PINs may be
 * answered CKR_PIN_INCORRECT (each such answer is a guess evaluated). */
static void test_pin_guessing_parallel(void)
{
  CK_SLOT_ID sl;
  const int tries = 3, guessers = 10;
  KT_OK_F(token_with_tries("guess par", tries, &sl));
  int pfd[guessers][2];
  pid_t pid[guessers];
  fflush(NULL);
  for (int i = 0; i < guessers; i++) {
    char pin[32];
    snprintf(pin, sizeof pin, "parallel-%02d", i);
    KT_CHECK_F(pipe2(pfd[i], O_CLOEXEC) == 0, "pipe");
    pid[i] = fork();
    KT_CHECK_F(pid[i] >= 0, "fork");
    if (pid[i] == 0) {
      dup2(pfd[i][1], 1);
      execlp("keyctl", "keyctl", "session", "-", kt_self, "helper", "login",
             num(sl), "1", pin, (char *)NULL);
      _exit(127);
    }
    close(pfd[i][1]);
  }
  int incorrect = 0, locked = 0, other = 0;
  for (int i = 0; i < guessers; i++) {
    char out[4096] = "", v[64];
    size_t len = 0;
    for (ssize_t r; (r = read(pfd[i][0], out + len, sizeof out - 1 - len)) > 0;)
      len += r;
    out[len] = 0;
    close(pfd[i][0]);
    waitpid(pid[i], NULL, 0);
    if (!kt_out_get(out, "rv", v, sizeof v)) other++;
    else if (!strcmp(v, "CKR_PIN_INCORRECT")) incorrect++;
    else if (!strcmp(v, "CKR_PIN_LOCKED")) locked++;
    else {
      other++;
      fprintf(stderr, "  guesser %d: %s\n", i, v);
    }
  }
  fprintf(stderr, "  %d parallel guessers against %d tries: %d evaluated "
          "(CKR_PIN_INCORRECT), %d locked out\n", guessers, tries, incorrect,
          locked);
  KT_CHECK(incorrect <= tries, "%d wrong PINs were evaluated, the token "
           "allows %d", incorrect, tries);
  KT_EQ_UL(other, 0);
  KT_RV(login_in_fresh_process(sl, USER_PIN, NULL), CKR_PIN_LOCKED);
}

/* ------------------------------------------------------------------ */
static int helper(int argc, char **argv)
{
  if (!strcmp(argv[0], "outsider")) {
    const char *hp = getenv("KT_NEIGHBOUR_HPUB");
    h_pub = hp ? strtoul(hp, NULL, 0) : 0;
    return helper_outsider(argc, argv);
  }
  if (!strcmp(argv[0], "initpin")) return helper_initpin(argc, argv);
  return -1;
}

static void register_suites(void)
{
  CU_pSuite s = kt_suite("neighbours", suite_init, NULL, setup_init,
                         teardown_fini);
  kt_test(s, "another uid: keys and files", test_other_uid_keys_and_files);
  kt_test(s, "another uid: through the module", test_other_uid_module);
  kt_test(s, "same uid, logged out: ciphertext only",
          test_same_uid_sees_ciphertext);
  kt_test(s, "a finished process's memory", test_memory_after_use);
  kt_test(s, "PIN guessing, one fresh process each",
          test_pin_guessing_sequential);
  kt_test(s, "PIN guessing, many processes at once",
          test_pin_guessing_parallel);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, helper);
}
