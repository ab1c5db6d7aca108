/*
 * test_crash.c - kill -9 at random points, and a full disk (issue 6, part 5).
 *
 * Crash matrix.  A worker process (this binary, "helper crashwork") creates,
 * modifies (C_SetAttributeValue; on secret keys three attributes at once),
 * destroys token objects and changes the user PIN (C_SetPIN old -> new),
 * writing "B <step>" to a pipe before each call and "K <step>" after each
 * CKR_OK.  The test kills it with SIGKILL at a random moment and looks at
 * the token three ways: from a fresh process, from this long-running
 * process (its cache follows the live keyring), and from this process again
 * after `keyctl clear` forced a reload from the files.  Each time:
 *   - every step that returned CKR_OK is there (durable);
 *   - nothing that did not return is there, except possibly the one step in
 *     flight, and that one whole (all attributes of a change, a complete
 *     object), never half -- and the three views agree on it;
 *   - exactly one of the old and the new PIN works, never neither.
 * Rounds: 180 of object steps (every 8th logged in, with private objects and
 * secret keys) and 20 of PIN changes: PBKDF2 makes each C_SetPIN ~0.6 s, so
 * fewer of them.  25-50 s in all (ASan: ~2.5 min).
 *
 * Disk full: a 256 KiB tmpfs as KERNTOK_DIR, filled with objects until
 * C_CreateObject fails: CKR_DEVICE_MEMORY, every earlier object intact after
 * a reload from disk, and after destroying a few, creates work again.
 * Skipped (with a message) where mounting is not allowed.
 */
#include "kt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SO_PIN "crash-so-pin"
#define FIRST_PIN "crash-pin-start"
#define OBJ_ROUNDS 180
#define PIN_ROUNDS 20
#define MAXOBJ 256

static CK_SLOT_ID slot;
static char cur_pin[64] = FIRST_PIN;
static const CK_OBJECT_CLASS C_DATA = CKO_DATA, C_SECRET = CKO_SECRET_KEY;
static const CK_KEY_TYPE K_GENERIC = CKK_GENERIC_SECRET;


static const char *num(CK_ULONG v)
{
  static char b[8][24];
  static int i;
  i = (i + 1) % 8;
  snprintf(b[i], sizeof b[i], "%lu", (unsigned long)v);
  return b[i];
}

/* ------------------------------------------------------------------ */
/* An object of the matrix has a name, unique for ever, and a version that
 * one C_SetAttributeValue changes:
 *   data objects (public or private): name in CKA_APPLICATION (fixed),
 *     version in CKA_LABEL "v<n>" (the one modifiable attribute of data),
 *     CKA_VALUE derived from the name;
 *   secret keys (private): name in CKA_LABEL, version in three attributes
 *     at once -- CKA_ID "a<n>", CKA_START_DATE and CKA_END_DATE derived
 *     from n -- so a torn change shows; CKA_VALUE derived from the name. */
typedef struct {
  char name[32];
  int key, priv, ver, live;
} mobj;

static void data_value(const char *name, char *out, size_t n)
{
  int k = snprintf(out, n, "%s#", name);
  for (; k < 120 && (size_t)k < n - 1; k++) out[k] = 'a' + (k * 7) % 26;
  out[k] = 0;
}

static void key_value(const char *name, unsigned char out[32])
{
  for (int i = 0; i < 32; i++)
    out[i] = (unsigned char)(name[i % strlen(name)] * 31 + i);
}

static void ver_attrs(int v, char id[16], char start[9], char end[9])
{
  snprintf(id, 16, "a%d", v);
  snprintf(start, 9, "2%03u0101", (unsigned)v % 1000u);
  snprintf(end, 9, "2%03u1231", (unsigned)v % 1000u);
}

/* ------------------------------------------------------------------ */
/* the worker */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  buf[n++] = '\n';
  if (write(1, buf, n) != n) _exit(5);
}

static CK_RV w_create(CK_SESSION_HANDLE s, const mobj *o)
{
  CK_OBJECT_HANDLE h;
  CK_BBOOL pv = o->priv ? CK_TRUE : CK_FALSE;
  if (o->key) {
    unsigned char kv[32];
    char id[16], st[9], en[9];
    key_value(o->name, kv);
    ver_attrs(o->ver, id, st, en);
    CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_SECRET), AV(CKA_KEY_TYPE, K_GENERIC),
                        AV(CKA_TOKEN, T), AV(CKA_PRIVATE, pv),
                        AV(CKA_SENSITIVE, F), AV(CKA_EXTRACTABLE, T),
                        A(CKA_LABEL, o->name, strlen(o->name)),
                        A(CKA_ID, id, strlen(id)), A(CKA_START_DATE, st, 8),
                        A(CKA_END_DATE, en, 8), A(CKA_VALUE, kv, 32)};
    return p11->C_CreateObject(s, t, sizeof t / sizeof t[0], &h);
  }
  char lab[16], val[160];
  snprintf(lab, sizeof lab, "v%d", o->ver);
  data_value(o->name, val, sizeof val);
  CK_ATTRIBUTE t[] = {AV(CKA_CLASS, C_DATA), AV(CKA_TOKEN, T),
                      AV(CKA_PRIVATE, pv), A(CKA_LABEL, lab, strlen(lab)),
                      A(CKA_APPLICATION, o->name, strlen(o->name)),
                      A(CKA_VALUE, val, strlen(val))};
  return p11->C_CreateObject(s, t, sizeof t / sizeof t[0], &h);
}

static CK_RV w_find(CK_SESSION_HANDLE s, const mobj *o, CK_OBJECT_HANDLE *h)
{
  CK_ULONG n = 0;
  CK_ATTRIBUTE q = A(o->key ? CKA_LABEL : CKA_APPLICATION, o->name,
                     strlen(o->name));
  CK_RV rv = kt_find(s, &q, 1, h, 1, &n);
  return rv != CKR_OK ? rv : n == 1 ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}

static CK_RV w_set(CK_SESSION_HANDLE s, const mobj *o, int ver)
{
  CK_OBJECT_HANDLE h;
  char id[16], st[9], en[9];
  CK_RV rv = w_find(s, o, &h);
  if (rv != CKR_OK) return rv;
  ver_attrs(ver, id, st, en);
  if (o->key) {
    CK_ATTRIBUTE t[] = {A(CKA_ID, id, strlen(id)), A(CKA_START_DATE, st, 8),
                        A(CKA_END_DATE, en, 8)};
    return p11->C_SetAttributeValue(s, h, t, 3);
  }
  char lab[16];
  snprintf(lab, sizeof lab, "v%d", ver);
  CK_ATTRIBUTE t[] = {A(CKA_LABEL, lab, strlen(lab))};
  return p11->C_SetAttributeValue(s, h, t, 1);
}

static CK_RV w_destroy(CK_SESSION_HANDLE s, const mobj *o)
{
  CK_OBJECT_HANDLE h;
  CK_RV rv = w_find(s, o, &h);
  return rv != CKR_OK ? rv : p11->C_DestroyObject(s, h);
}

/* one object as a process reads it */
typedef struct {
  char name[32];
  int key, priv, ver, ok;
} seen;

/* in a helper there is no CUnit: print instead */
static int in_helper;
#define CHK(cond, ...)                                                        \
  (in_helper ? ((cond) ? 1 : (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), 0)) \
             : KT_CHECK(cond, __VA_ARGS__))

static int read_objects(CK_SESSION_HANDLE s, seen *v, int max, const char *when)
{
  CK_OBJECT_HANDLE h[MAXOBJ * 2];
  CK_ULONG n = 0;
  CK_RV rv = kt_find(s, NULL, 0, h, MAXOBJ * 2, &n);
  if (!CHK(rv == CKR_OK, "%s: find: %s", when, kt_rvname(rv))) return -1;
  int k = 0;
  for (CK_ULONG i = 0; i < n && k < max; i++) {
    char name[32] = {0}, ver[16] = {0}, st[9] = {0}, en[9] = {0}, val[200] = {0};
    CK_OBJECT_CLASS cls = 0;
    CK_BBOOL pv = 0;
    CK_ATTRIBUTE a[] = {AV(CKA_CLASS, cls), AV(CKA_PRIVATE, pv)};
    seen *o = &v[k++];
    memset(o, 0, sizeof *o);
    rv = p11->C_GetAttributeValue(s, h[i], a, 2);
    if (!CHK(rv == CKR_OK, "%s: object %lu: %s", when, h[i], kt_rvname(rv)))
      continue;
    o->key = cls == CKO_SECRET_KEY;
    o->priv = pv;
    if (o->key) {
      char id[16], ws[9], we[9];
      unsigned char kv[32];
      CK_ATTRIBUTE b[] = {A(CKA_LABEL, name, sizeof name - 1),
                          A(CKA_ID, ver, sizeof ver - 1), A(CKA_START_DATE, st, 8),
                          A(CKA_END_DATE, en, 8), A(CKA_VALUE, val, sizeof val - 1)};
      rv = p11->C_GetAttributeValue(s, h[i], b, 5);
      if (!CHK(rv == CKR_OK, "%s: key %lu: %s", when, h[i], kt_rvname(rv)))
        continue;
      o->ver = ver[0] == 'a' ? atoi(ver + 1) : -1;
      ver_attrs(o->ver, id, ws, we);
      key_value(name, kv);
      o->ok = !memcmp(st, ws, 8) && !memcmp(en, we, 8) && b[4].ulValueLen == 32 &&
              !memcmp(val, kv, 32);
      CHK(o->ok, "%s: key %s torn or wrong: id %s, dates %.8s..%.8s", when,
          name, ver, st, en);
    } else {
      char want[160];
      CK_ATTRIBUTE b[] = {A(CKA_APPLICATION, name, sizeof name - 1),
                          A(CKA_LABEL, ver, sizeof ver - 1),
                          A(CKA_VALUE, val, sizeof val - 1)};
      rv = p11->C_GetAttributeValue(s, h[i], b, 3);
      if (!CHK(rv == CKR_OK, "%s: data %lu: %s", when, h[i], kt_rvname(rv)))
        continue;
      o->ver = ver[0] == 'v' ? atoi(ver + 1) : -1;
      data_value(name, want, sizeof want);
      o->ok = b[2].ulValueLen == strlen(want) && !memcmp(val, want, strlen(want));
      CHK(o->ok, "%s: data %s has a wrong value", when, name);
    }
    snprintf(o->name, sizeof o->name, "%s", name);
  }
  return k;
}

/* crashwork <slot> <seed> obj|objp|pin <pin> <newpin|-> <prefix>
 * The object list comes from the token itself; new names are
 * "o<prefix>.<n>" / "k<prefix>.<n>", unique across rounds. */
static int helper_crashwork(int argc, char **argv)
{
  CK_SESSION_HANDLE s;
  CK_RV rv;
  if (argc != 7) return 2;
  CK_SLOT_ID sl = strtoul(argv[1], NULL, 0);
  unsigned seed = strtoul(argv[2], NULL, 0);
  const char *mode = argv[3], *pin = argv[4], *prefix = argv[6];
  in_helper = 1;
  if ((rv = kt_init()) != CKR_OK || (rv = kt_open(sl, 1, &s)) != CKR_OK) {
    fprintf(stderr, "crashwork: %s\n", kt_rvname(rv));
    return 3;
  }
  if (!strcmp(mode, "pin")) {
    say("B pin %s %s", pin, argv[5]);
    rv = p11->C_SetPIN(s, (CK_UTF8CHAR_PTR)pin, strlen(pin),
                       (CK_UTF8CHAR_PTR)argv[5], strlen(argv[5]));
    if (rv == CKR_OK) say("K pin %s %s", pin, argv[5]);
    else say("E pin %s", kt_rvname(rv));
    kt_fini();
    return 0;
  }
  int logged = !strcmp(mode, "objp");
  if (logged && (rv = kt_login(s, CKU_USER, pin)) != CKR_OK) {
    fprintf(stderr, "crashwork: login: %s\n", kt_rvname(rv));
    return 4;
  }
  static mobj o[MAXOBJ * 2];
  static seen v[MAXOBJ * 2];
  int n = read_objects(s, v, MAXOBJ * 2, "worker"), next = 0;
  for (int i = 0; i < n; i++) {
    snprintf(o[i].name, sizeof o[i].name, "%.31s", v[i].name);
    o[i].key = v[i].key;
    o[i].priv = v[i].priv;
    o[i].ver = v[i].ver;
    o[i].live = 1;
  }
  srand(seed);
  for (int step = 0; step < 400; step++) {
    int live = 0, pick = -1, r = rand() % 100;
    for (int i = 0; i < n; i++) live += o[i].live;
    if (live > 0) {
      int t = rand() % live;
      for (int i = 0; i < n; i++)
        if (o[i].live && t-- == 0) { pick = i; break; }
    }
    if (pick < 0 || (r < 45 && n < MAXOBJ * 2 - 1 && live < 60)) {
      mobj *c = &o[n];
      c->key = logged && rand() % 3 == 0;
      c->priv = c->key || (logged && rand() % 2);
      c->ver = 0;
      snprintf(c->name, sizeof c->name, "%c%s.%d", c->key ? 'k' : 'o', prefix,
               next++);
      say("B create %s %d %d %d", c->name, c->key, c->priv, c->ver);
      rv = w_create(s, c);
      if (rv != CKR_OK) { say("E create %s", kt_rvname(rv)); return 6; }
      c->live = 1;
      n++;
      say("K create %s", c->name);
    } else if (r < 80) {
      int v2 = o[pick].ver + 1;
      say("B set %s %d", o[pick].name, v2);
      rv = w_set(s, &o[pick], v2);
      if (rv != CKR_OK) { say("E set %s", kt_rvname(rv)); return 6; }
      o[pick].ver = v2;
      say("K set %s %d", o[pick].name, v2);
    } else {
      say("B destroy %s", o[pick].name);
      rv = w_destroy(s, &o[pick]);
      if (rv != CKR_OK) { say("E destroy %s", kt_rvname(rv)); return 6; }
      o[pick].live = 0;
      say("K destroy %s", o[pick].name);
    }
  }
  kt_fini();
  return 0;
}

/* ------------------------------------------------------------------ */
/* the model and the checks */

static mobj model[8 * MAXOBJ];
static int nmodel;

static mobj *model_find(const char *name)
{
  for (int i = 0; i < nmodel; i++)
    if (!strcmp(model[i].name, name)) return &model[i];
  return NULL;
}

typedef struct {
  char op[16], name[32], a[64], b[64];
  int key, priv, ver;
  int active;
} step;

/* Compare one view (the objects a process sees; with_priv: it is logged
 * in) with the model.  Returns what it says about the step in flight:
 * -1 nothing (none, or not visible here), 0 not done, 1 done. */
static int check_view(const seen *v, int n, const step *fl, int with_priv,
                      const char *when)
{
  int out = -1;
  for (int i = 0; i < n; i++) {
    const mobj *m = model_find(v[i].name);
    int dup = 0;
    for (int j = 0; j < i; j++) dup += !strcmp(v[j].name, v[i].name);
    CHK(dup == 0, "%s: %s appears twice", when, v[i].name);
    if (fl->active && !strcmp(fl->name, v[i].name)) {
      if (!strcmp(fl->op, "create")) {
        CHK(v[i].ver == fl->ver && v[i].key == fl->key && v[i].priv == fl->priv,
            "%s: the create in flight of %s is not whole", when, v[i].name);
        out = 1;
        continue;
      }
      if (!strcmp(fl->op, "set") && m) {
        CHK(v[i].ver == m->ver || v[i].ver == fl->ver, "%s: %s is version "
            "%d: neither the old %d nor the new %d", when, v[i].name,
            v[i].ver, m->ver, fl->ver);
        out = v[i].ver == fl->ver;
        continue;
      }
      if (!strcmp(fl->op, "destroy") && m) {
        CHK(v[i].ver == m->ver, "%s: %s (destroy in flight) changed", when,
            v[i].name);
        out = 0;
        continue;
      }
    }
    CHK(m != NULL && m->live, "%s: %s is there, but no create of it returned "
        "CKR_OK", when, v[i].name);
    if (m && m->live)
      CHK(v[i].ver == m->ver && v[i].key == m->key && v[i].priv == m->priv,
          "%s: %s is version %d, the last change that returned CKR_OK made %d",
          when, v[i].name, v[i].ver, m->ver);
  }
  for (int i = 0; i < nmodel; i++) {
    const mobj *m = &model[i];
    if (!m->live || (m->priv && !with_priv)) continue;
    int found = 0;
    for (int j = 0; j < n; j++) found += !strcmp(v[j].name, m->name);
    if (!found && fl->active && !strcmp(fl->op, "destroy") &&
        !strcmp(fl->name, m->name)) {
      out = 1;
      continue;
    }
    CHK(found == 1, "%s: %s (version %d, CKR_OK) is missing", when, m->name,
        m->ver);
  }
  if (fl->active && !strcmp(fl->op, "create") && out < 0 &&
      (with_priv || !fl->priv))
    out = 0;
  return out;
}

static void settle(step *fl, int done)
{
  mobj *m = model_find(fl->name);
  if (!fl->active || done < 0) return;
  if (!strcmp(fl->op, "create") && done) {
    m = &model[nmodel++];
    snprintf(m->name, sizeof m->name, "%s", fl->name);
    m->key = fl->key;
    m->priv = fl->priv;
    m->ver = fl->ver;
    m->live = 1;
  } else if (!strcmp(fl->op, "set") && done && m) {
    m->ver = fl->ver;
  } else if (!strcmp(fl->op, "destroy") && done && m) {
    m->live = 0;
  }
  fl->active = 0;
}

static void apply_done(const char *line, step *fl)
{
  char op[16], name[32];
  int ver = 0;
  if (sscanf(line, "K %15s %31s %d", op, name, &ver) < 2) return;
  if (!strcmp(op, "create")) {
    mobj *m = &model[nmodel++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->key = fl->key;
    m->priv = fl->priv;
    m->ver = fl->ver;
    m->live = 1;
  } else if (!strcmp(op, "set")) {
    mobj *m = model_find(name);
    if (m) m->ver = ver;
  } else if (!strcmp(op, "destroy")) {
    mobj *m = model_find(name);
    if (m) m->live = 0;
  }
  fl->active = 0;
}

static void note_begin(const char *line, step *fl)
{
  memset(fl, 0, sizeof *fl);
  if (!strncmp(line, "B create", 8))
    sscanf(line, "B %15s %31s %d %d %d", fl->op, fl->name, &fl->key,
           &fl->priv, &fl->ver);
  else if (!strncmp(line, "B set", 5))
    sscanf(line, "B %15s %31s %d", fl->op, fl->name, &fl->ver);
  else if (!strncmp(line, "B destroy", 9))
    sscanf(line, "B %15s %31s", fl->op, fl->name);
  else if (!strncmp(line, "B pin", 5))
    sscanf(line, "B %15s %63s %63s", fl->op, fl->a, fl->b);
  fl->active = 1;
}

/* Runs one worker; kills it after `begins` B lines and `us` more
 * microseconds.  Feeds the model as K lines arrive. */
static int run_worker(const char *mode, const char *newpin, int round, int begins,
                      unsigned us, step *fl, int *killed)
{
  int pfd[2];
  char seed[16], prefix[16];
  snprintf(prefix, sizeof prefix, "%d", round);
  snprintf(seed, sizeof seed, "%u", (unsigned)rand());
  if (pipe2(pfd, O_CLOEXEC)) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pfd[1], 1);
    execl(kt_self, kt_self, "helper", "crashwork", num(slot), seed, mode,
          cur_pin, newpin, prefix, (char *)NULL);
    _exit(127);
  }
  close(pfd[1]);
  char buf[4096], line[256];
  size_t ll = 0;
  int nb = 0;
  *killed = 0;
  memset(fl, 0, sizeof *fl);
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
      if (line[0] == 'B') {
        note_begin(line, fl);
        if (++nb >= begins && !*killed) {
          if (us) usleep(us);
          kill(pid, SIGKILL);
          *killed = 1;
        }
      } else if (line[0] == 'K') {
        if (!strcmp(fl->op, "pin")) {
          snprintf(cur_pin, sizeof cur_pin, "%s", fl->b);
          fl->active = 0;
        } else {
          apply_done(line, fl);
        }
      } else if (line[0] == 'E') {
        KT_CHECK(0, "worker step failed: %s", line);
        fl->active = 0;
      }
    }
  }
  close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  if (!*killed)
    KT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker exit 0x%x", st);
  return 0;
}

static int suite_init(void)
{
  CK_SESSION_HANDLE s;
  setenv("KERNTOK_PIN_TRIES", "1000", 1);
  if (kt_init() != CKR_OK) return 1;
  CK_RV rv = kt_init_token("crash", SO_PIN, &slot);
  if (rv == CKR_OK) rv = kt_open(slot, 1, &s);
  if (rv == CKR_OK) rv = kt_login(s, CKU_SO, SO_PIN);
  if (rv == CKR_OK)
    rv = p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)FIRST_PIN, strlen(FIRST_PIN));
  p11->C_Finalize(NULL);
  unsetenv("KERNTOK_PIN_TRIES");
  return rv != CKR_OK;
}

/* count <slot> <pin|->: a fresh process lists what it sees */
static int helper_count(int argc, char **argv)
{
  CK_SESSION_HANDLE s;
  static seen v[MAXOBJ * 2];
  in_helper = 1;
  if (argc != 3 || kt_init() != CKR_OK) return 2;
  if (kt_open(strtoul(argv[1], NULL, 0), 0, &s) != CKR_OK) return 3;
  if (strcmp(argv[2], "-") && kt_login(s, CKU_USER, argv[2]) != CKR_OK) return 4;
  int n = read_objects(s, v, MAXOBJ * 2, "fresh process");
  printf("n %d\n", n);
  for (int i = 0; i < n; i++)
    printf("o %s %d %d %d %d\n", v[i].name, v[i].key, v[i].priv, v[i].ver,
           v[i].ok);
  kt_fini();
  return 0;
}

/* a fresh process's view, as seen[] */
static int fresh_view(int with_priv, seen *v, int max)
{
  char *out = NULL;
  int n = 0;
  int st = kt_run_self(&out, 0, "count", num(slot), with_priv ? cur_pin : "-",
                       NULL);
  KT_CHECK(st == 0, "fresh process exit %d", st);
  for (char *l = out ? strtok(out, "\n") : NULL; l && n < max;
       l = strtok(NULL, "\n")) {
    seen *o = &v[n];
    if (sscanf(l, "o %31s %d %d %d %d", o->name, &o->key, &o->priv, &o->ver,
               &o->ok) == 5) {
      KT_CHECK(o->ok, "fresh process: %s torn or wrong", o->name);
      n++;
    }
  }
  free(out);
  return n;
}

static int own_view(CK_SESSION_HANDLE s, seen *v, int max, const char *when)
{
  int n = read_objects(s, v, max, when);
  return n < 0 ? 0 : n;
}

/* After a kill: a fresh process, this (logged-in, long-running) process,
 * and this process again after a reload from the files must all agree with
 * the model, and about the step in flight. */
static void check_round(CK_SESSION_HANDLE s, step *fl, int fresh_priv,
                        const char *tag, int *disagree)
{
  static seen v[MAXOBJ * 2];
  char when[96];
  int n, of, ol, orl;
  snprintf(when, sizeof when, "%s, fresh process", tag);
  n = fresh_view(fresh_priv, v, MAXOBJ * 2);
  of = check_view(v, n, fl, fresh_priv, when);
  snprintf(when, sizeof when, "%s, live keyring", tag);
  n = own_view(s, v, MAXOBJ * 2, when);
  ol = check_view(v, n, fl, 1, when);
  key_serial_t tr = kt_token_keyring(slot);
  KT_CHECK(tr > 0 && keyctl_clear(tr) == 0, "keyctl clear");
  snprintf(when, sizeof when, "%s, reloaded from disk", tag);
  n = own_view(s, v, MAXOBJ * 2, when);
  orl = check_view(v, n, fl, 1, when);
  if (fl->active) {
    int ok = (of < 0 || ol < 0 || of == ol) && (ol < 0 || orl < 0 || ol == orl) &&
             (of < 0 || orl < 0 || of == orl);
    if (!ok) (*disagree)++;
    KT_CHECK(ok, "%s: the %s of %s in flight: done for %s, not done for %s "
             "(fresh process %d, live keyring %d, reloaded %d)", tag, fl->op,
             fl->name, orl == 1 ? "the disk" : "the keyring",
             orl == 1 ? "the keyring" : "the disk", of, ol, orl);
    settle(fl, orl >= 0 ? orl : of >= 0 ? of : ol);
  }
}

static void test_crash_objects(void)
{
  CK_SESSION_HANDLE s;
  step fl;
  int killed, kills = 0, inflight = 0, disagree = 0;
  double t0 = kt_now();
  alarm(150);
  KT_OK_F(kt_init());
  KT_OK_F(kt_open(slot, 0, &s));
  KT_OK_F(kt_login(s, CKU_USER, cur_pin));
  for (int round = 0; round < OBJ_ROUNDS; round++) {
    int logged = round % 8 == 7;
    int begins = 1 + rand() % 12;
    unsigned us = rand() % 4 == 0 ? 0 : (unsigned)(rand() % 3000);
    char tag[48];
    run_worker(logged ? "objp" : "obj", "-", round, begins, us, &fl, &killed);
    kills += killed;
    inflight += fl.active;
    snprintf(tag, sizeof tag, "round %d (%s)", round,
             !killed ? "finished" : fl.active ? "killed in a step" : "killed between steps");
    check_round(s, &fl, logged || (fl.active && fl.priv), tag, &disagree);
    if (CU_get_number_of_failures() > 30) break;
  }
  int live = 0;
  for (int i = 0; i < nmodel; i++) live += model[i].live;
  fprintf(stderr, "  %d object rounds in %.1f s: %d kills, %d in the middle of "
          "a step (%d of those seen differently by keyring and disk); %d "
          "objects made, %d alive\n", OBJ_ROUNDS, kt_now() - t0, kills,
          inflight, disagree, nmodel, live);
  KT_OK(p11->C_CloseSession(s));
  kt_fini();
}

static CK_RV try_pin(const char *pin)
{
  CK_SESSION_HANDLE s;
  CK_RV rv = kt_open(slot, 0, &s);
  if (rv != CKR_OK) return rv;
  rv = kt_login(s, CKU_USER, pin);
  p11->C_CloseSession(s);
  return rv;
}

static void test_crash_pin(void)
{
  step fl;
  int killed, old_ok = 0, new_ok = 0;
  double t0 = kt_now();
  alarm(150);
  KT_OK_F(kt_init());
  for (int round = 0; round < PIN_ROUNDS; round++) {
    char newpin[64], oldpin[64];
    snprintf(oldpin, sizeof oldpin, "%s", cur_pin);
    snprintf(newpin, sizeof newpin, "crash-pin-%d-%d", round, rand() % 1000);
    /* C_SetPIN takes ~0.6 s (two PBKDF2): kill anywhere in it, or after */
    unsigned us = (unsigned)(rand() % 800000);
    run_worker("pin", newpin, 1000 + round, 1, us, &fl, &killed);
    if (!killed || !fl.active) {
      /* it finished: the new PIN is the PIN */
      KT_RV(try_pin(cur_pin), CKR_OK);
      new_ok++;
      continue;
    }
    CK_RV ro = try_pin(oldpin), rn = try_pin(newpin);
    KT_CHECK((ro == CKR_OK) != (rn == CKR_OK), "round %d: old PIN %s, new PIN "
             "%s: exactly one must work", round, kt_rvname(ro), kt_rvname(rn));
    if (rn == CKR_OK) {
      snprintf(cur_pin, sizeof cur_pin, "%s", newpin);
      new_ok++;
    } else {
      old_ok++;
    }
    /* the objects do not care */
    CK_SESSION_HANDLE s;
    int dis = 0;
    char tag[48];
    KT_OK(kt_open(slot, 0, &s));
    KT_OK(kt_login(s, CKU_USER, cur_pin));
    snprintf(tag, sizeof tag, "PIN round %d", round);
    fl.active = 0;
    if (round % 5 == 4) check_round(s, &fl, 1, tag, &dis);
    KT_OK(p11->C_CloseSession(s));
  }
  fprintf(stderr, "  %d PIN rounds in %.1f s: the new PIN held %d times, "
          "the old one %d times\n", PIN_ROUNDS, kt_now() - t0, new_ok, old_ok);
  kt_fini();
}

/* ------------------------------------------------------------------ */
/* disk full: in a process of its own (the module keeps its store
 * directory for the life of a process) */
static int helper_diskfull(void)
{
  CK_SLOT_ID sl;
  CK_SESSION_HANDLE s;
  static CK_OBJECT_HANDLE h[4096];
  char val[2000], lab[16], want[16];
  int n = 0;
  CK_RV rv = CKR_OK;
  memset(val, 'F', sizeof val);
  if (KT_HRV(kt_init(), CKR_OK) != CKR_OK) return 1;
  if (KT_HRV(kt_fresh_token("full", SO_PIN, FIRST_PIN, &sl), CKR_OK) != CKR_OK ||
      KT_HRV(kt_open(sl, 1, &s), CKR_OK) != CKR_OK ||
      KT_HRV(kt_login(s, CKU_USER, FIRST_PIN), CKR_OK) != CKR_OK)
    goto out;
  for (n = 0; n < 4096; n++) {
    snprintf(lab, sizeof lab, "f%d", n);
    snprintf(val, 16, "f%d|", n);
    rv = kt_mk_data(s, 1, n % 2, lab, val, sizeof val, &h[n]);
    if (rv != CKR_OK) break;
  }
  printf("filled %d\nrv %s\n", n, kt_rvname(rv));
  KT_H(n > 10 && n < 4096, "filled the tmpfs with %d objects", n);
  KT_H(rv == CKR_DEVICE_MEMORY, "create on a full disk: %s, expected "
       "CKR_DEVICE_MEMORY", kt_rvname(rv));
  /* a change that needs room: refused cleanly, or it fit */
  {
    static char big[3000];
    memset(big, 'G', sizeof big);
    CK_ATTRIBUTE a = A(CKA_LABEL, big, sizeof big);
    rv = p11->C_SetAttributeValue(s, h[0], &a, 1);
    printf("grow %s\n", kt_rvname(rv));
    KT_H(rv == CKR_OK || rv == CKR_DEVICE_MEMORY, "a growing change on a full "
         "disk: %s", kt_rvname(rv));
    if (rv == CKR_OK) {
      CK_ATTRIBUTE b = A(CKA_LABEL, "f0", 2);
      KT_HRV(p11->C_SetAttributeValue(s, h[0], &b, 1), CKR_OK);
    }
  }
  /* every earlier object intact, read back from the files */
  key_serial_t tr = kt_token_keyring(sl);
  KT_H(tr > 0 && keyctl_clear(tr) == 0, "keyctl clear");
  static CK_OBJECT_HANDLE all[4096];
  CK_ULONG cnt = 0;
  KT_HRV(kt_find(s, NULL, 0, all, 4096, &cnt), CKR_OK);
  KT_H(cnt == (CK_ULONG)n, "after a reload %lu objects, %d were made", cnt, n);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    CK_OBJECT_HANDLE f[2];
    CK_ULONG nf = 0;
    void *v = NULL;
    CK_ULONG vl = 0;
    snprintf(lab, sizeof lab, "f%d", i);
    snprintf(want, sizeof want, "f%d|", i);
    if (kt_find_label(s, lab, f, 2, &nf) != CKR_OK || nf != 1) { bad++; continue; }
    if (kt_attr(s, f[0], CKA_VALUE, &v, &vl) != CKR_OK || vl != sizeof val ||
        memcmp(v, want, strlen(want)))
      bad++;
    if (i < 3) h[i] = f[0];
    free(v);
  }
  printf("bad %d\n", bad);
  KT_H(bad == 0, "%d of %d objects lost or damaged on a full disk", bad, n);
  /* no temporary files left behind, one file per object */
  char od[4096];
  snprintf(od, sizeof od, "%s/tokens/%lu/objects", getenv("KERNTOK_DIR"),
           (unsigned long)sl);
  DIR *d = opendir(od);
  int tmps = 0, files = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    if (strstr(e->d_name, ".tmp")) tmps++;
    else if (strstr(e->d_name, ".obj")) files++;
  }
  if (d) closedir(d);
  KT_H(tmps == 0 && files == n, "%d temporary files, %d object files for %d "
       "objects", tmps, files, n);
  /* room again */
  for (int i = 0; i < 3; i++) KT_HRV(p11->C_DestroyObject(s, h[i]), CKR_OK);
  CK_OBJECT_HANDLE nh;
  KT_HRV(kt_mk_data(s, 1, 1, "after-full", val, sizeof val, &nh), CKR_OK);
  KT_HRV(kt_mk_data(s, 1, 0, "after-full-2", "x", 1, &nh), CKR_OK);
out:
  kt_fini();
  kt_cleanup_store();
  fflush(stdout);
  return kt_hfail ? 1 : 0;
}

static void test_disk_full(void)
{
  char dir[128], *saved = strdup(getenv("KERNTOK_DIR"));
  snprintf(dir, sizeof dir, "%s/full", kt_tmpdir());
  KT_CHECK_F(mkdir(dir, 0700) == 0, "mkdir %s", dir);
  if (mount("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0700") != 0) {
    fprintf(stderr, "  SKIP disk full: cannot mount a 256k tmpfs on %s (%s)\n",
            dir, strerror(errno));
    rmdir(dir);
    free(saved);
    return;
  }
  char *out = NULL;
  setenv("KERNTOK_DIR", dir, 1);
  int st = kt_run_self(&out, 1, "diskfull", NULL);
  setenv("KERNTOK_DIR", saved, 1);
  fprintf(stderr, "  disk full: %s", out ? out : "");
  KT_CHECK(st == 0, "disk-full helper: exit %d (its messages are above)", st);
  free(out);
  KT_CHECK(umount2(dir, MNT_DETACH) == 0, "umount %s: %s", dir, strerror(errno));
  rmdir(dir);
  free(saved);
}

/* ------------------------------------------------------------------ */
static int helper(int argc, char **argv)
{
  if (!strcmp(argv[0], "crashwork")) return helper_crashwork(argc, argv);
  if (!strcmp(argv[0], "count")) return helper_count(argc, argv);
  if (!strcmp(argv[0], "diskfull")) return helper_diskfull();
  return -1;
}

static void register_suites(void)
{
  CU_pSuite s = kt_suite("crash", suite_init, NULL, NULL, NULL);
  kt_test(s, "kill -9 during create/modify/destroy", test_crash_objects);
  kt_test(s, "kill -9 during C_SetPIN", test_crash_pin);
  kt_test(s, "disk full", test_disk_full);
}

int main(int argc, char **argv)
{
  return kt_main(argc, argv, register_suites, helper);
}
