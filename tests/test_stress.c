/*
 * test_stress.c - many processes, many threads, one token.
 *
 * 4 worker processes x 4 threads run for a bounded time against ONE token,
 * mixing C_CreateObject / C_FindObjects / C_GetAttributeValue /
 * C_DestroyObject / C_Login / C_Logout / session close+reopen, a scan of
 * everybody's objects, and C_Sign / C_Encrypt once the module offers them.
 * Worker 1 is killed with SIGKILL mid-run and restarted.  Afterwards:
 *
 *   - no call returned a CK_RV outside its legal set (below);
 *   - every token object is present or gone exactly as its creator saw it:
 *     each thread logs its creates and destroys (intent before the call, the
 *     result after CKR_OK) to a file of its own, and a fresh process's
 *     C_FindObjects is checked against the logs.  Only the killed
 *     incarnation may leave a call in flight (intent without result);
 *   - once every session is closed and the test's objects destroyed, the
 *     token keyring holds its baseline key count again, and every session
 *     keyring and session object a worker made is gone from the kernel
 *     (polled up to 2 s for the key GC).  The uid's totals (/proc/key-users,
 *     /proc/keys) are printed; KT_STRESS_UID_STRICT=1 makes them fatal too
 *     (only meaningful when nothing else of the uid runs meanwhile).
 *
 * Each thread takes a caller view of its own (C_GetFunctionList), so its
 * login state is its own and the legal results are exact:
 *   C_OpenSession, C_CloseSession, C_Login(CKU_USER) when logged out,
 *   C_Logout when logged in, C_FindObjects*, C_DestroyObject of a visible
 *   object of its own ........................................ CKR_OK
 *   C_CreateObject ............ CKR_OK (CKR_DEVICE_MEMORY for a non-root uid)
 *   C_GetAttributeValue on its own object: CKR_OK; a private one while
 *     logged out: CKR_OBJECT_HANDLE_INVALID; on another process's object
 *     (scan): CKR_OK or CKR_OBJECT_HANDLE_INVALID (destroyed meanwhile)
 *   C_SignInit/C_Sign/C_VerifyInit/C_Verify, C_EncryptInit/C_Encrypt/
 *   C_DecryptInit/C_Decrypt with the shared private token key: CKR_OK when
 *     logged in; logged out, the *Init: CKR_USER_NOT_LOGGED_IN,
 *     CKR_KEY_HANDLE_INVALID or CKR_OBJECT_HANDLE_INVALID
 *
 * KT_STRESS_SECONDS sets the run time (default 15 s of load, ~20 s total).
 */
#include "kt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SO_PIN "12345678"
#define USER_PIN "1234"
#define NPROC 4
#define NTHR 4
#define LIVE_MAX 24
#define KILLED 1                 /* the worker that gets SIGKILL */

static CK_SLOT_ID sslot;

static unsigned stress_seconds(void)
{
  const char *v = getenv("KT_STRESS_SECONDS");
  return v && atoi(v) > 0 ? (unsigned)atoi(v) : 15;
}

/* ------------------------------------------------------------------ */
/* the crypto the module offers, if any (same choice as test_callers.c) */
static const unsigned char MSG[32] = "kerntok stress: sign this, 32 b";

typedef struct {
  CK_MECHANISM_TYPE sign;        /* 0: none */
  CK_OBJECT_HANDLE spriv, spub;
  CK_MECHANISM_TYPE enc;         /* 0: none */
  CK_OBJECT_HANDLE ekey;
} keys;

static int has_mech(CK_FUNCTION_LIST_PTR f, CK_MECHANISM_TYPE m, CK_FLAGS fl)
{
  CK_MECHANISM_INFO mi;
  return f->C_GetMechanismInfo(sslot, m, &mi) == CKR_OK &&
         (mi.flags & fl) == fl;
}

static CK_RV make_secret(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                         CK_KEY_TYPE kt, int sign, CK_OBJECT_HANDLE *h)
{
  static const unsigned char v[32] = "kerntok stress secret key 32 b!";
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},   {CKA_KEY_TYPE, &kt, sizeof kt},
      {CKA_TOKEN, (void *)&T, 1},      {CKA_PRIVATE, (void *)&T, 1},
      {sign ? CKA_SIGN : CKA_ENCRYPT, (void *)&T, 1},
      {sign ? CKA_VERIFY : CKA_DECRYPT, (void *)&T, 1},
      {CKA_LABEL, sign ? "stress-hmac" : "stress-aes", sign ? 11 : 10},
      {CKA_VALUE, (void *)v, sizeof v}};
  return f->C_CreateObject(s, t, KT_ARRAY_LEN(t), h);
}

/* Shared token keys, made by the parent (logged in) before the run. */
static void keys_make(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, keys *k)
{
  static const struct { CK_MECHANISM_TYPE sign, gen; } sorder[] = {
      {CKM_ECDSA, CKM_EC_KEY_PAIR_GEN},
      {CKM_SHA256_RSA_PKCS, CKM_RSA_PKCS_KEY_PAIR_GEN},
      {CKM_EDDSA, CKM_EC_EDWARDS_KEY_PAIR_GEN},
      {CKM_SHA256_HMAC, 0},
  };
  static const CK_MECHANISM_TYPE eorder[] = {CKM_AES_GCM, CKM_AES_CBC_PAD,
                                             CKM_AES_CTR};
  memset(k, 0, sizeof *k);
  for (size_t i = 0; i < KT_ARRAY_LEN(sorder) && !k->sign; i++) {
    if (!has_mech(f, sorder[i].sign, CKF_SIGN)) continue;
    if (sorder[i].gen && !has_mech(f, sorder[i].gen, CKF_GENERATE_KEY_PAIR))
      continue;
    CK_RV rv = sorder[i].gen ? kt_gen_sign_pair(f, s, sorder[i].gen, 1, "stress-sign",
                                                &k->spub, &k->spriv)
                             : make_secret(f, s, CKK_GENERIC_SECRET, 1, &k->spriv);
    if (!sorder[i].gen) k->spub = k->spriv;
    if (KT_OK(rv)) k->sign = sorder[i].sign;
  }
  for (size_t i = 0; i < KT_ARRAY_LEN(eorder) && !k->enc; i++)
    if (has_mech(f, eorder[i], CKF_ENCRYPT | CKF_DECRYPT) &&
        KT_OK(make_secret(f, s, CKK_AES, 0, &k->ekey)))
      k->enc = eorder[i];
  printf("\n    ");
  if (k->sign) printf("sign: mechanism 0x%lx, ", (unsigned long)k->sign);
  else printf("sign: none listed yet (skipped), ");
  if (k->enc) printf("encrypt: mechanism 0x%lx ", (unsigned long)k->enc);
  else printf("encrypt: none listed yet (skipped) ");
}

/* ------------------------------------------------------------------ */
/* a worker thread */
struct obj {
  CK_OBJECT_HANDLE h;
  char label[48];
  int tok, priv;
};

struct wt {
  pthread_t th;
  int proc, inc, id;
  int fd;                        /* its log */
  CK_FUNCTION_LIST_PTR f;
  CK_SESSION_HANDLE s;
  const keys *k;
  double until;
  unsigned seed, n;
  int logged;
  struct obj live[LIVE_MAX];
  int nlive;
  unsigned long ops, bad;
  char first_bad[200];
};

static void wlog(struct wt *w, const char *fmt, ...)
{
  char b[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (write(w->fd, b, n) != n && w->bad++ == 0)
    snprintf(w->first_bad, sizeof w->first_bad, "log write: %s", strerror(errno));
}

#define EXPECT(w, call, ...)                                              \
  ({ CK_RV w__r = (call); const CK_RV w__ok[] = {__VA_ARGS__};            \
     if (!kt_rv_in(w__r, w__ok, KT_ARRAY_LEN(w__ok))) {                   \
       if ((w)->bad++ == 0)                                               \
         snprintf((w)->first_bad, sizeof (w)->first_bad, "%s: %s", #call,  \
                  kt_rvname(w__r));                                        \
     }                                                                    \
     w__r; })

static void wfail(struct wt *w, const char *fmt, ...)
{
  va_list ap;
  if (w->bad++) return;
  va_start(ap, fmt);
  vsnprintf(w->first_bad, sizeof w->first_bad, fmt, ap);
  va_end(ap);
}

static CK_RV w_open(struct wt *w)
{
  CK_RV rv = EXPECT(w, w->f->C_OpenSession(sslot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                           NULL, NULL, &w->s), CKR_OK);
  if (rv == CKR_OK) wlog(w, "S %lu\n", (unsigned long)w->s);
  return rv;
}

static void op_create(struct wt *w)
{
  struct obj *o = &w->live[w->nlive];
  CK_OBJECT_CLASS cls = CKO_DATA;
  unsigned r = rand_r(&w->seed);
  o->tok = r & 1;
  o->priv = w->logged && (r & 6) == 0;
  snprintf(o->label, sizeof o->label, "st-%d-%d-%d-%u", w->proc, w->inc, w->id,
           w->n++);
  CK_ATTRIBUTE t[] = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_TOKEN, (void *)(o->tok ? &T : &F), 1},
      {CKA_PRIVATE, (void *)(o->priv ? &T : &F), 1},
      {CKA_LABEL, o->label, strlen(o->label)},
      {CKA_VALUE, o->label, strlen(o->label)},
  };
  wlog(w, "c %s\n", o->label);
  CK_RV rv = w->f->C_CreateObject(w->s, t, KT_ARRAY_LEN(t), &o->h);
  if (rv == CKR_DEVICE_MEMORY && getuid() != 0) return;   /* key quota */
  if (EXPECT(w, rv, CKR_OK) != CKR_OK) return;
  wlog(w, "C %s %lu %d %d\n", o->label, (unsigned long)o->h, o->tok, o->priv);
  w->nlive++;
}

static struct obj *pick(struct wt *w, int visible_only)
{
  if (w->nlive == 0) return NULL;
  struct obj *o = &w->live[rand_r(&w->seed) % w->nlive];
  if (visible_only && o->priv && !w->logged) return NULL;
  return o;
}

static void op_find(struct wt *w)
{
  struct obj *o = pick(w, 0);
  if (!o) return;
  CK_ATTRIBUTE t[] = {{CKA_LABEL, o->label, strlen(o->label)}};
  CK_OBJECT_HANDLE h[4];
  CK_ULONG n = 0;
  if (EXPECT(w, w->f->C_FindObjectsInit(w->s, t, 1), CKR_OK) != CKR_OK) return;
  EXPECT(w, w->f->C_FindObjects(w->s, h, 4, &n), CKR_OK);
  EXPECT(w, w->f->C_FindObjectsFinal(w->s), CKR_OK);
  int want = o->priv && !w->logged ? 0 : 1;
  if ((int)n != want || (n == 1 && h[0] != o->h))
    wfail(w, "find %s: %lu objects (want %d), handle %lu vs %lu", o->label,
          (unsigned long)n, want, n ? (unsigned long)h[0] : 0UL, (unsigned long)o->h);
}

static void op_read(struct wt *w)
{
  struct obj *o = pick(w, 0);
  if (!o) return;
  char buf[64];
  CK_ATTRIBUTE a = {CKA_LABEL, buf, sizeof buf};
  CK_RV rv = w->f->C_GetAttributeValue(w->s, o->h, &a, 1);
  if (o->priv && !w->logged) {
    EXPECT(w, rv, CKR_OBJECT_HANDLE_INVALID);
    return;
  }
  if (EXPECT(w, rv, CKR_OK) == CKR_OK &&
      (a.ulValueLen != strlen(o->label) || memcmp(buf, o->label, a.ulValueLen)))
    wfail(w, "label of %lu is not %s", (unsigned long)o->h, o->label);
}

/* every token data object anybody has: others may destroy them meanwhile */
static void op_scan(struct wt *w)
{
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, (void *)&T, 1}};
  CK_OBJECT_HANDLE h[64];
  CK_ULONG n = 0;
  if (EXPECT(w, w->f->C_FindObjectsInit(w->s, t, 2), CKR_OK) != CKR_OK) return;
  EXPECT(w, w->f->C_FindObjects(w->s, h, 64, &n), CKR_OK);
  EXPECT(w, w->f->C_FindObjectsFinal(w->s), CKR_OK);
  for (CK_ULONG i = 0; i < n; i++) {
    char buf[64];
    CK_ATTRIBUTE a = {CKA_LABEL, buf, sizeof buf};
    EXPECT(w, w->f->C_GetAttributeValue(w->s, h[i], &a, 1), CKR_OK,
           CKR_OBJECT_HANDLE_INVALID);
  }
}

static void op_destroy(struct wt *w)
{
  struct obj *o = pick(w, 1);
  if (!o) return;
  wlog(w, "d %lu\n", (unsigned long)o->h);
  if (EXPECT(w, w->f->C_DestroyObject(w->s, o->h), CKR_OK) != CKR_OK) return;
  wlog(w, "D %lu\n", (unsigned long)o->h);
  *o = w->live[--w->nlive];
}

static void op_sign(struct wt *w)
{
  CK_MECHANISM m = {w->k->sign, NULL, 0};
  CK_BYTE sig[1024];
  CK_ULONG len = sizeof sig;
  if (!w->logged) {
    EXPECT(w, w->f->C_SignInit(w->s, &m, w->k->spriv), CKR_USER_NOT_LOGGED_IN,
           CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID);
    return;
  }
  if (EXPECT(w, w->f->C_SignInit(w->s, &m, w->k->spriv), CKR_OK) != CKR_OK) return;
  if (EXPECT(w, w->f->C_Sign(w->s, (CK_BYTE_PTR)MSG, sizeof MSG, sig, &len),
             CKR_OK) != CKR_OK)
    return;
  if (EXPECT(w, w->f->C_VerifyInit(w->s, &m, w->k->spub), CKR_OK) == CKR_OK)
    EXPECT(w, w->f->C_Verify(w->s, (CK_BYTE_PTR)MSG, sizeof MSG, sig, len), CKR_OK);
}

static void op_encrypt(struct wt *w)
{
  CK_BYTE iv[16] = "stress iv 16 b!", pt[256], ct[512], back[512];
  CK_GCM_PARAMS gcm = {iv, 12, 96, NULL, 0, 128};
  CK_AES_CTR_PARAMS ctr = {128, {0}};
  CK_MECHANISM m = {w->k->enc, iv, 16};
  CK_ULONG clen = sizeof ct, blen = sizeof back;
  if (m.mechanism == CKM_AES_GCM) {
    m.pParameter = &gcm;
    m.ulParameterLen = sizeof gcm;
  } else if (m.mechanism == CKM_AES_CTR) {
    memcpy(ctr.cb, iv, 16);
    m.pParameter = &ctr;
    m.ulParameterLen = sizeof ctr;
  }
  for (size_t i = 0; i < sizeof pt; i++) pt[i] = (CK_BYTE)(i * 7 + w->n);
  if (!w->logged) {
    EXPECT(w, w->f->C_EncryptInit(w->s, &m, w->k->ekey), CKR_USER_NOT_LOGGED_IN,
           CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID);
    return;
  }
  if (EXPECT(w, w->f->C_EncryptInit(w->s, &m, w->k->ekey), CKR_OK) != CKR_OK ||
      EXPECT(w, w->f->C_Encrypt(w->s, pt, sizeof pt, ct, &clen), CKR_OK) != CKR_OK ||
      EXPECT(w, w->f->C_DecryptInit(w->s, &m, w->k->ekey), CKR_OK) != CKR_OK ||
      EXPECT(w, w->f->C_Decrypt(w->s, ct, clen, back, &blen), CKR_OK) != CKR_OK)
    return;
  if (blen != sizeof pt || memcmp(back, pt, blen))
    wfail(w, "decrypt(encrypt(x)) != x (mechanism 0x%lx)", (unsigned long)m.mechanism);
}

static void op_login_toggle(struct wt *w)
{
  if (w->logged) {
    if (EXPECT(w, w->f->C_Logout(w->s), CKR_OK) == CKR_OK) w->logged = 0;
  } else if (EXPECT(w, w->f->C_Login(w->s, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN,
                                     strlen(USER_PIN)),
                    CKR_OK) == CKR_OK) {
    w->logged = 1;
  }
}

/* closing the view's only session logs it out and ends its session objects */
static void op_reopen(struct wt *w)
{
  if (EXPECT(w, w->f->C_CloseSession(w->s), CKR_OK) != CKR_OK) return;
  wlog(w, "s %lu\n", (unsigned long)w->s);
  w->logged = 0;
  for (int i = 0; i < w->nlive;)
    if (!w->live[i].tok) w->live[i] = w->live[--w->nlive];
    else i++;
  w_open(w);
}

static void *worker_thread(void *p)
{
  struct wt *w = p;
  if (w_open(w) != CKR_OK) return NULL;
  while (kt_now() < w->until) {
    unsigned r = rand_r(&w->seed) % 100;
    if (r < 28) {
      if (w->nlive < LIVE_MAX) op_create(w);
      else op_destroy(w);
    } else if (r < 40) op_find(w);
    else if (r < 48) op_read(w);
    else if (r < 52) op_scan(w);
    else if (r < 64) { if (w->k->sign) op_sign(w); }
    else if (r < 74) { if (w->k->enc) op_encrypt(w); }
    else if (r < 96) op_destroy(w);
    else if (r < 98) op_login_toggle(w);
    else op_reopen(w);
    w->ops++;
  }
  EXPECT(w, w->f->C_CloseSession(w->s), CKR_OK);
  wlog(w, "s %lu\n", (unsigned long)w->s);
  return NULL;
}

/* helper "stress-worker <slot> <proc> <inc> <seconds> <logdir> <sign> <spriv>
 *                       <spub> <enc> <ekey>" */
static int stress_worker(int argc, char **argv)
{
  struct wt w[NTHR];
  keys k;
  if (argc != 11) return 2;
  sslot = strtoul(argv[1], NULL, 0);
  int proc = atoi(argv[2]), inc = atoi(argv[3]);
  double until = kt_now() + atof(argv[4]);
  k.sign = strtoul(argv[6], NULL, 0);
  k.spriv = strtoul(argv[7], NULL, 0);
  k.spub = strtoul(argv[8], NULL, 0);
  k.enc = strtoul(argv[9], NULL, 0);
  k.ekey = strtoul(argv[10], NULL, 0);
  memset(w, 0, sizeof w);
  for (int i = 0; i < NTHR; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/w%d-%d-%d.log", argv[5], proc, inc, i);
    w[i].fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    w[i].proc = proc;
    w[i].inc = inc;
    w[i].id = i;
    w[i].k = &k;
    w[i].until = until;
    w[i].seed = (unsigned)getpid() * 31u + i;
    if (kt_GetFunctionList(&w[i].f) != CKR_OK || w[i].fd < 0) return 3;
    CK_C_INITIALIZE_ARGS a = {.flags = CKF_OS_LOCKING_OK};
    CK_RV rv = w[i].f->C_Initialize(&a);
    if (rv != CKR_OK) {
      fprintf(stderr, "worker %d: C_Initialize: %s\n", proc, kt_rvname(rv));
      return 3;
    }
  }
  for (int i = 0; i < NTHR; i++)
    if (pthread_create(&w[i].th, NULL, worker_thread, &w[i])) return 3;
  unsigned long bad = 0, ops = 0;
  for (int i = 0; i < NTHR; i++) {
    pthread_join(w[i].th, NULL);
    ops += w[i].ops;
    bad += w[i].bad;
    if (w[i].bad)
      fprintf(stderr, "worker %d.%d thread %d: %lu unexpected, first: %s\n", proc,
              inc, i, w[i].bad, w[i].first_bad);
    w[i].f->C_Finalize(NULL);
    close(w[i].fd);
  }
  printf("ops %lu\nbad %lu\n", ops, bad);
  return bad ? 1 : 0;
}

static int helper(int argc, char **argv)
{
  if (!strcmp(argv[0], "stress-worker")) return stress_worker(argc, argv);
  return -1;
}

/* ------------------------------------------------------------------ */
/* the parent */
static pid_t spawn(int proc, int inc, double secs, const char *dir, const keys *k)
{
  char a[10][32];
  snprintf(a[0], 32, "%lu", (unsigned long)sslot);
  snprintf(a[1], 32, "%d", proc);
  snprintf(a[2], 32, "%d", inc);
  snprintf(a[3], 32, "%.2f", secs);
  snprintf(a[4], 32, "%lu", (unsigned long)k->sign);
  snprintf(a[5], 32, "%lu", (unsigned long)k->spriv);
  snprintf(a[6], 32, "%lu", (unsigned long)k->spub);
  snprintf(a[7], 32, "%lu", (unsigned long)k->enc);
  snprintf(a[8], 32, "%lu", (unsigned long)k->ekey);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    execl(kt_self, kt_self, "helper", "stress-worker", a[0], a[1], a[2], a[3],
          dir, a[4], a[5], a[6], a[7], a[8], (char *)NULL);
    _exit(127);
  }
  return pid;
}

static int wait_status(pid_t pid)
{
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* what the logs say about one object */
struct rec {
  char label[48];
  unsigned long h;
  int created, tok, dintent, destroyed, killed_inc;
  int seen;                      /* in the fresh process's listing */
};

static struct {
  struct rec *v;
  size_t n, cap;
  unsigned long *sess;           /* session keyrings opened */
  size_t nsess, capsess;
} lg;

static struct rec *rec_by_label(const char *l)
{
  for (size_t i = lg.n; i-- > 0;)
    if (!strcmp(lg.v[i].label, l)) return &lg.v[i];
  return NULL;
}

static struct rec *rec_by_handle(unsigned long h)
{
  for (size_t i = lg.n; i-- > 0;)
    if (lg.v[i].created == 1 && lg.v[i].h == h) return &lg.v[i];
  return NULL;
}

static void read_log(const char *path, int killed_inc)
{
  FILE *f = fopen(path, "r");
  char line[256], lab[48];
  unsigned long h;
  int tok, priv;
  if (!KT_CHECK(f != NULL, "open %s", path)) return;
  while (fgets(line, sizeof line, f)) {
    if (line[strlen(line) - 1] != '\n') {     /* torn by SIGKILL */
      KT_CHECK(killed_inc, "torn line in %s", path);
      break;
    }
    if (sscanf(line, "c %47s", lab) == 1) {
      if (lg.n == lg.cap) lg.v = realloc(lg.v, (lg.cap = lg.cap * 2 + 256) * sizeof *lg.v);
      memset(&lg.v[lg.n], 0, sizeof *lg.v);
      snprintf(lg.v[lg.n].label, sizeof lg.v[lg.n].label, "%s", lab);
      lg.v[lg.n++].killed_inc = killed_inc;
    } else if (sscanf(line, "C %47s %lu %d %d", lab, &h, &tok, &priv) == 4) {
      struct rec *r = rec_by_label(lab);
      if (KT_CHECK(r != NULL, "%s: C without c for %s", path, lab)) {
        r->created = 1;
        r->h = h;
        r->tok = tok;
      }
    } else if (sscanf(line, "d %lu", &h) == 1) {
      struct rec *r = rec_by_handle(h);
      if (KT_CHECK(r != NULL, "%s: destroy of unknown %lu", path, h)) r->dintent = 1;
    } else if (sscanf(line, "D %lu", &h) == 1) {
      struct rec *r = rec_by_handle(h);
      if (KT_CHECK(r != NULL, "%s: destroyed unknown %lu", path, h)) {
        r->destroyed = 1;
        r->created = 2;          /* handle may be reused: retire this record */
      }
    } else if (sscanf(line, "S %lu", &h) == 1) {
      if (lg.nsess == lg.capsess)
        lg.sess = realloc(lg.sess, (lg.capsess = lg.capsess * 2 + 64) * sizeof *lg.sess);
      lg.sess[lg.nsess++] = h;
    }
  }
  fclose(f);
}

static int key_gone(key_serial_t k)
{
  char *d = NULL;
  long r = keyctl_describe_alloc(k, &d);
  free(d);
  return r < 0 && (errno == ENOKEY || errno == EKEYREVOKED || errno == EKEYEXPIRED);
}

static long uid_nkeys(void)
{
  FILE *f = fopen("/proc/key-users", "r");
  char line[256];
  long n = -1;
  unsigned uid, usage, nk;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, " %u: %u %u/", &uid, &usage, &nk) == 3 && uid == getuid())
      n = nk;
  if (f) fclose(f);
  return n;
}

static long proc_keys(void)
{
  FILE *f = fopen("/proc/keys", "r");
  char line[512];
  long n = 0;
  unsigned uid;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "%*x %*s %*s %*s %*x %u", &uid) == 1 && uid == getuid()) n++;
  if (f) fclose(f);
  return n;
}

static int token_keys(void)
{
  key_serial_t *v = NULL;
  key_serial_t tr = kt_token_keyring(sslot);
  int n = tr < 0 ? -1 : kt_key_list(tr, &v);
  free(v);
  return n;
}

/* "o <handle> <hex label> <hex value>" lines from the built-in list helper */
static void mark_listing(const char *out, unsigned long *stray, unsigned long *strays)
{
  for (const char *p = out; p && *p;) {
    unsigned long h;
    char hexl[256];
    const char *e = strchr(p, '\n');
    if (sscanf(p, "o %lu %255s", &h, hexl) == 2 && strlen(hexl) % 2 == 0) {
      char lab[128];
      size_t n = strlen(hexl) / 2;
      for (size_t i = 0; i < n && i < sizeof lab - 1; i++)
        sscanf(hexl + 2 * i, "%2hhx", (unsigned char *)&lab[i]);
      lab[n < sizeof lab ? n : sizeof lab - 1] = 0;
      if (!strncmp(lab, "st-", 3)) {
        struct rec *r = rec_by_label(lab);
        if (r) r->seen = 1;
        if (r && r->created == 1 && r->h != h)
          KT_CHECK(0, "%s: handle %lu in the listing, %lu when created", lab, h, r->h);
        if (!r && (*strays)++ == 0) *stray = h;
      }
    }
    p = e ? e + 1 : NULL;
  }
}

static void destroy_leftovers(void)
{
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h[256];
  CK_ULONG n = 0;
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}};
  KT_OK_F(kt_open(sslot, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  do {
    KT_OK(kt_find(s, t, 1, h, 256, &n));
    for (CK_ULONG i = 0; i < n && i < 256; i++) KT_OK(p11->C_DestroyObject(s, h[i]));
  } while (n > 256);
  KT_OK(p11->C_CloseSession(s));
}

static void test_stress(void)
{
  unsigned secs = stress_seconds();
  char dir[256];
  keys k;
  CK_SESSION_HANDLE s;
  alarm(secs + 120);
  snprintf(dir, sizeof dir, "%s/stress", kt_tmpdir());
  KT_CHECK_F(mkdir(dir, 0700) == 0 || errno == EEXIST, "log dir");

  KT_OK_F(kt_open(sslot, 1, &s));
  KT_OK_F(kt_login(s, CKU_USER, USER_PIN));
  keys_make(p11, s, &k);
  CK_OBJECT_HANDLE any[4];
  CK_ULONG nany = 0;
  KT_OK(kt_find(s, NULL, 0, any, 4, &nany));  /* loads the token keyring */
  KT_OK(p11->C_CloseSession(s));
  int base_tok = token_keys();
  long base_uid = uid_nkeys(), base_proc = proc_keys();
  KT_CHECK_F(base_tok > 0, "token keyring found");

  pid_t pid[NPROC];
  int st[NPROC + 1];
  double t0 = kt_now();
  for (int i = 0; i < NPROC; i++) pid[i] = spawn(i, 0, secs, dir, &k);
  kt_msleep(secs * 400);                     /* 40 % in: SIGKILL one, restart it */
  kill(pid[KILLED], SIGKILL);
  st[NPROC] = wait_status(pid[KILLED]);
  double left = secs - (kt_now() - t0);
  pid[KILLED] = spawn(KILLED, 1, left > 1 ? left : 1, dir, &k);
  for (int i = 0; i < NPROC; i++) st[i] = wait_status(pid[i]);
  KT_EQ_UL(st[NPROC], 128 + SIGKILL);
  for (int i = 0; i < NPROC; i++)
    KT_CHECK(st[i] == 0, "worker %d exit %d (1: unexpected CK_RVs, see stderr)", i, st[i]);

  /* the logs against a fresh process's C_FindObjects */
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    int p, inc, t;
    char path[600];
    if (sscanf(e->d_name, "w%d-%d-%d.log", &p, &inc, &t) != 3) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    read_log(path, p == KILLED && inc == 0);
  }
  if (d) closedir(d);
  char *out = NULL, slot[16];
  snprintf(slot, sizeof slot, "%lu", (unsigned long)sslot);
  KT_EQ_UL(kt_run_self(&out, 1, "list", slot, USER_PIN, NULL), 0);
  unsigned long stray = 0, strays = 0;
  mark_listing(out, &stray, &strays);
  free(out);
  KT_CHECK(strays == 0, "%lu objects no worker logged (first %lu)", strays, stray);
  size_t present = 0, inflight = 0, ntok = 0;
  for (size_t i = 0; i < lg.n; i++) {
    struct rec *r = &lg.v[i];
    if (r->created && !r->tok) continue;     /* session objects: gone with it */
    ntok += r->created != 0;
    present += r->seen;
    if (r->destroyed)
      KT_CHECK(!r->seen, "%s destroyed (CKR_OK) but still found", r->label);
    else if (r->created && !r->dintent)
      KT_CHECK(r->seen, "%s created (CKR_OK, handle %lu) but not found", r->label, r->h);
    else if (r->killed_inc)
      inflight++;                            /* the killed one's last calls */
    else if (!r->created)
      KT_CHECK(0, "%s: create never returned in a worker that was not killed", r->label);
    else
      KT_CHECK(0, "%s: destroy never returned in a worker that was not killed", r->label);
  }
  KT_CHECK(inflight <= NTHR, "%zu calls in flight at SIGKILL (at most one per thread)",
           inflight);
  printf("\n    %u s, %zu creates logged (%zu token objects), %zu present, "
         "%zu in flight at SIGKILL, %zu sessions ", secs, lg.n, ntok, present,
         inflight, lg.nsess);

  /* back to baseline once the objects are gone and every session closed */
  destroy_leftovers();
  int tok_now = -1, sess_left = 0, obj_left = 0;
  long uid_now = -1, proc_now = -1;
  for (int tries = 0; tries < 20; tries++) {
    tok_now = token_keys();
    sess_left = obj_left = 0;
    for (size_t i = 0; i < lg.nsess; i++) sess_left += !key_gone(lg.sess[i]);
    for (size_t i = 0; i < lg.n; i++)
      if (lg.v[i].created && !lg.v[i].tok) obj_left += !key_gone(lg.v[i].h);
    uid_now = uid_nkeys();
    proc_now = proc_keys();
    if (tok_now == base_tok && !sess_left && !obj_left && uid_now <= base_uid)
      break;
    kt_msleep(100);
  }
  KT_CHECK(tok_now == base_tok, "token keyring: %d keys, baseline %d", tok_now, base_tok);
  KT_CHECK(sess_left == 0, "%d session keyrings still in the kernel", sess_left);
  KT_CHECK(obj_left == 0, "%d session objects still in the kernel", obj_left);
  printf("\n    keys of uid %u: /proc/key-users %ld -> %ld, /proc/keys %ld -> %ld ",
         (unsigned)getuid(), base_uid, uid_now, base_proc, proc_now);
  if (getenv("KT_STRESS_UID_STRICT")) {
    KT_CHECK(uid_now <= base_uid, "uid key count %ld, baseline %ld", uid_now, base_uid);
    KT_CHECK(proc_now <= base_proc, "/proc/keys %ld, baseline %ld", proc_now, base_proc);
  }
  free(lg.v);
  free(lg.sess);
  memset(&lg, 0, sizeof lg);
}

/* ------------------------------------------------------------------ */
static int suite_init(void)
{
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_fresh_token("stress", SO_PIN, USER_PIN, &sslot);
  p11->C_Finalize(NULL);
  return rv != CKR_OK;
}
static void setup(void) { KT_OK_F(kt_init()); }
static void teardown(void) { p11->C_Finalize(NULL); }

static void register_suites(void)
{
  CU_pSuite s = kt_suite("stress", suite_init, NULL, setup, teardown);
  kt_test(s, "4 processes x 4 threads, one SIGKILLed and restarted", test_stress);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, helper);
}
