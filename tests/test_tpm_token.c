/*
 * test_tpm_token.c - tokens whose storage key is sealed to a TPM (issue 4),
 * through the module's PKCS#11 interface and the kerntok tool, against
 * swtpm simulators started here.
 *
 * swtpm serves one connection at a time and the module opens the TPM only
 * for the length of one operation, so the test pokes the TPM itself (DA
 * reset, PCR extend) between PKCS#11 calls, and runs the kerntok tool
 * (seal --boot, unlock, lock) as a child while this process holds no ctx.
 *
 * Decisions this file pins down:
 *  - wrong PIN: CKR_PIN_INCORRECT, counted by kerntok and by the TPM; TPM in
 *    dictionary-attack lockout: CKR_PIN_LOCKED, not counted by kerntok.
 *  - token files on another TPM: C_Login gives CKR_DEVICE_ERROR (the blob's
 *    parent does not verify there: TPM_RC_INTEGRITY), nothing is counted.
 *  - C_Login(CKU_USER, NULL_PTR, 0) on a locked token: CKR_ARGUMENTS_BAD.
 *    PKCS#11 allows a NULL PIN only when the token reports
 *    CKF_PROTECTED_AUTHENTICATION_PATH; no PIN was tried, nothing counted.
 */
#include "kt_test.h"
#include "swtpm_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#define SO_PIN "so-pin-1234"
#define USER_PIN "user-5678"
#define LABEL "tpm-token"

/* token.meta layout (module/meta.c) */
#define M_VERSION 4
#define M_UUID 8
#define M_USER_FAILS 76
#define M_WRAP_SO 124
#define M_WRAP_USER 184
#define M_LEN_V1 276
#define M_PROTECTION M_LEN_V1
#define M_LEN_V2 (M_LEN_V1 + 60)

/* ------------------------------------------------------------ swtpm */

static struct ktt_swtpm tpm_a;

/* TPM2_PT_LOCKOUT_COUNTER, or -1 */
static long da_counter(const struct ktt_swtpm *t)
{
  TPMS_CAPABILITY_DATA *cap = NULL;
  TPMI_YES_NO more;
  struct ktt_swtpm_raw r;
  long n = -1;

  if (ktt_swtpm_raw_open(t, &r)) return -1;
  if (Esys_GetCapability(r.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                         TPM2_CAP_TPM_PROPERTIES, TPM2_PT_LOCKOUT_COUNTER, 1, &more,
                         &cap) == TSS2_RC_SUCCESS &&
      cap->data.tpmProperties.count == 1 &&
      cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_LOCKOUT_COUNTER)
    n = cap->data.tpmProperties.tpmProperty[0].value;
  Esys_Free(cap);
  ktt_swtpm_raw_close(&r);
  return n;
}

/* ----------------------------------------------------------- the tool */

/* Runs $KT_BUILD/kerntok with args (NULL-terminated); stdout+stderr into
 * *out (malloc'd).  Returns the exit status, -1 when it could not run. */
static int run_cli(char **out, ...)
{
  const char *argv[32], *b = getenv("KT_BUILD");
  char path[4096];
  int pfd[2], n = 0, st;
  va_list ap;

  snprintf(path, sizeof path, "%s/kerntok", b && *b ? b : "build");
  argv[n++] = path;
  va_start(ap, out);
  for (const char *a; (a = va_arg(ap, const char *)) && n < 30;) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  *out = NULL;
  if (pipe2(pfd, O_CLOEXEC)) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pfd[1], 1);
    dup2(pfd[1], 2);
    execv(path, (char *const *)argv);
    _exit(127);
  }
  close(pfd[1]);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1024 > cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(pfd[0], buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += r;
  }
  buf[len] = 0;
  close(pfd[0]);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  *out = buf;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* run_cli that must exit with `want`; prints the output when it does not */
#define CLI(want, ...)                                                        \
  ({ char *o__ = NULL; int r__ = run_cli(&o__, __VA_ARGS__, (char *)NULL);   \
     KT_CHECK(r__ == (want), "kerntok exit %d (want %d): %s", r__, (want),   \
              o__ ? o__ : "");                                               \
     free(o__); r__; })

/* ---------------------------------------------------------------- files */

static void tok_path(char *buf, size_t n, CK_SLOT_ID slot, const char *name)
{
  snprintf(buf, n, "%s/tokens/%lu/%s", getenv("KERNTOK_DIR"), (unsigned long)slot, name);
}

static int tok_file_exists(CK_SLOT_ID slot, const char *name)
{
  char p[4096];
  tok_path(p, sizeof p, slot, name);
  return access(p, F_OK) == 0;
}

/* Whole file into buf; its length, -1 on error. */
static long read_file(const char *path, uint8_t *buf, size_t cap)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  long n;
  if (fd < 0) return -1;
  n = read(fd, buf, cap);
  close(fd);
  return n;
}

static long read_meta(CK_SLOT_ID slot, uint8_t *buf, size_t cap)
{
  char p[4096];
  tok_path(p, sizeof p, slot, "token.meta");
  return read_file(p, buf, cap);
}

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int all_zero(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* ------------------------------------------------------- token helpers */

static CK_SLOT_ID slot_a;

static CK_RV token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *ti)
{
  memset(ti, 0, sizeof *ti);
  return p11->C_GetTokenInfo(slot, ti);
}

static CK_RV login_rv(CK_SLOT_ID slot, CK_USER_TYPE who, const char *pin)
{
  CK_SESSION_HANDLE s;
  CK_RV rv = kt_open(slot, who == CKU_SO, &s);
  if (rv != CKR_OK) return rv;
  rv = p11->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, pin ? strlen(pin) : 0);
  if (rv == CKR_OK) p11->C_Logout(s);
  p11->C_CloseSession(s);
  return rv;
}

static CK_FLAGS flags_of(CK_SLOT_ID slot)
{
  CK_FLAGS f = 0;
  kt_token_flags(slot, &f);
  return f;
}

/* ------------------------------------------------------------- fixtures */

static int suite_init(void)
{
  if (ktt_swtpm_start(&tpm_a, kt_tmpdir()) != 0) return -1;
  /* maxTries 3; long recovery, so failures do not decay during the run */
  if (ktt_swtpm_da_params(&tpm_a, 3, 1000, 1) != 0) return -1;
  setenv("KERNTOK_TCTI", tpm_a.tcti, 1);
  if (kt_init() != CKR_OK) return -1;
  CK_RV rv = kt_fresh_token(LABEL, SO_PIN, USER_PIN, &slot_a);
  p11->C_Finalize(NULL);
  return rv == CKR_OK ? 0 : -1;
}

static int suite_clean(void)
{
  char *o = NULL;
  run_cli(&o, "lock", "--token", LABEL, (char *)NULL); /* no unlock key left behind */
  free(o);
  ktt_swtpm_stop(&tpm_a);
  return 0;
}

static void setup(void)
{
  setenv("KERNTOK_TCTI", tpm_a.tcti, 1);
  KT_CHECK(ktt_swtpm_da_reset(&tpm_a) == 0, "DA reset");
  KT_OK_F(kt_init());
}

static void teardown(void) { p11->C_Finalize(NULL); }

/* ---------------------------------------------------------------- tests */

static void test_init_tpm(void)
{
  uint8_t m[1024];
  CK_TOKEN_INFO ti;
  long n;

  KT_CHECK(tok_file_exists(slot_a, "tpm.so"), "tpm.so missing");
  KT_CHECK(tok_file_exists(slot_a, "tpm.user"), "tpm.user missing");
  KT_CHECK(!tok_file_exists(slot_a, "tpm.boot"), "tpm.boot without seal --boot");
  n = read_meta(slot_a, m, sizeof m);
  KT_CHECK_F(n == M_LEN_V2 + 32, "token.meta is %ld bytes, want %d", n, M_LEN_V2 + 32);
  KT_EQ_UL(le32(m + M_VERSION), 2);
  KT_EQ_UL(le32(m + M_PROTECTION), 1); /* KT_PROT_TPM */
  KT_CHECK(all_zero(m + M_WRAP_SO, 60) && all_zero(m + M_WRAP_USER, 60),
           "a TPM token keeps no software wrap of its storage key");
  KT_OK(token_info(slot_a, &ti));
  KT_CHECK(kt_padded_eq(ti.model, sizeof ti.model, "keyring+TPM"), "model %.16s", ti.model);
  KT_CHECK(!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH), "protected path while locked");
}

static void test_login_logout(void)
{
  CK_SESSION_HANDLE s;

  KT_OK_F(kt_open(slot_a, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  CK_OBJECT_HANDLE h;
  KT_OK(kt_mk_data(s, 1, 1, "private-in-tpm-token", "v", 1, &h));
  KT_OK(p11->C_Logout(s));
  CK_OBJECT_HANDLE found[4];
  CK_ULONG cnt = 9;
  KT_OK(kt_find_label(s, "private-in-tpm-token", found, 4, &cnt));
  KT_EQ_UL(cnt, 0);
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_Logout(s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(kt_find_label(s, "private-in-tpm-token", found, 4, &cnt));
  KT_EQ_UL(cnt, 1);
  KT_OK(p11->C_Logout(s));
  p11->C_CloseSession(s);
  KT_EQ_UL(da_counter(&tpm_a), 0);
}

static void test_lockout(void)
{
  uint8_t m[1024];

  /* maxTries 3: three wrong PINs, each counted by the TPM and by kerntok */
  for (int i = 0; i < 3; i++) KT_RV(login_rv(slot_a, CKU_USER, "wrong-pin"), CKR_PIN_INCORRECT);
  KT_EQ_UL(da_counter(&tpm_a), 3);
  KT_CHECK(read_meta(slot_a, m, sizeof m) > 0 && le32(m + M_USER_FAILS) == 3,
           "kerntok counter %u", le32(m + M_USER_FAILS));
  KT_CHECK(flags_of(slot_a) & CKF_USER_PIN_COUNT_LOW, "COUNT_LOW after failures");
  /* the TPM is locked out: even the right PIN is refused, and not counted */
  KT_RV(login_rv(slot_a, CKU_USER, USER_PIN), CKR_PIN_LOCKED);
  KT_RV(login_rv(slot_a, CKU_SO, SO_PIN), CKR_PIN_LOCKED);
  KT_CHECK(read_meta(slot_a, m, sizeof m) > 0 && le32(m + M_USER_FAILS) == 3,
           "lockout counted by kerntok: %u", le32(m + M_USER_FAILS));
  /* recovery: the lockout hierarchy resets the TPM, then the PIN works
   * and kerntok's counter is back to 0 */
  KT_CHECK_F(ktt_swtpm_da_reset(&tpm_a) == 0, "DictionaryAttackLockReset");
  KT_OK(login_rv(slot_a, CKU_USER, USER_PIN));
  KT_CHECK(read_meta(slot_a, m, sizeof m) > 0 && le32(m + M_USER_FAILS) == 0,
           "counter after a good PIN: %u", le32(m + M_USER_FAILS));
  KT_CHECK(!(flags_of(slot_a) & CKF_USER_PIN_COUNT_LOW), "COUNT_LOW after success");
}

static void test_set_pin(void)
{
  const char *new_pin = "new-user-pin";
  uint8_t before[2048], after[2048];
  char p[4096];
  long nb, na;
  CK_SESSION_HANDLE s;

  tok_path(p, sizeof p, slot_a, "tpm.user");
  nb = read_file(p, before, sizeof before);
  KT_OK_F(kt_open(slot_a, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(p11->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN),
                      (CK_UTF8CHAR_PTR)new_pin, strlen(new_pin)));
  KT_OK(p11->C_Logout(s));
  p11->C_CloseSession(s);
  na = read_file(p, after, sizeof after);
  KT_CHECK(nb > 0 && na > 0 && (nb != na || memcmp(before, after, na)), "tpm.user re-sealed");
  KT_OK(login_rv(slot_a, CKU_USER, new_pin));
  KT_RV(login_rv(slot_a, CKU_USER, USER_PIN), CKR_PIN_INCORRECT);
  KT_CHECK(ktt_swtpm_da_reset(&tpm_a) == 0, "DA reset");

  /* C_InitPIN by the SO re-seals too */
  KT_OK_F(kt_open(slot_a, 1, &s));
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
  KT_OK(p11->C_Logout(s));
  p11->C_CloseSession(s);
  KT_OK(login_rv(slot_a, CKU_USER, USER_PIN));
  KT_RV(login_rv(slot_a, CKU_USER, new_pin), CKR_PIN_INCORRECT);

  /* and the SO's own PIN */
  KT_OK_F(kt_open(slot_a, 1, &s));
  KT_OK(kt_login(s, CKU_SO, SO_PIN));
  KT_OK(p11->C_SetPIN(s, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), (CK_UTF8CHAR_PTR) "so-pin-new",
                      10));
  KT_OK(p11->C_Logout(s));
  KT_OK(kt_login(s, CKU_SO, "so-pin-new"));
  KT_OK(p11->C_SetPIN(s, (CK_UTF8CHAR_PTR) "so-pin-new", 10, (CK_UTF8CHAR_PTR)SO_PIN,
                      strlen(SO_PIN)));
  KT_OK(p11->C_Logout(s));
  p11->C_CloseSession(s);
  KT_OK(login_rv(slot_a, CKU_SO, SO_PIN));
}

static int copy_file(const char *from, const char *to)
{
  uint8_t buf[8192];
  long n = read_file(from, buf, sizeof buf);
  int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int ok = n > 0 && fd >= 0 && write(fd, buf, n) == n;
  if (fd >= 0) close(fd);
  return ok ? 0 : -1;
}

/* The token directory copied to another machine's store, with another TPM:
 * the blobs do not open there, and a login fails cleanly. */
static void test_other_tpm(void)
{
  static const char *files[] = {"token.meta", "tpm.so", "tpm.user"};
  struct ktt_swtpm b;
  char dir2[600], p[4200], q[4200], *out = NULL, v[64];
  const char *old_dir = getenv("KERNTOK_DIR");
  char saved_dir[4096];

  KT_CHECK_F(ktt_swtpm_start(&b, kt_tmpdir()) == 0, "second swtpm");
  KT_CHECK(ktt_swtpm_da_params(&b, 3, 1000, 1) == 0, "DA parameters of B");
  snprintf(saved_dir, sizeof saved_dir, "%s", old_dir);
  snprintf(dir2, sizeof dir2, "%s/other-store", kt_tmpdir());
  snprintf(p, sizeof p, "%s/tokens", dir2);
  mkdir(dir2, 0700);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/tokens/0", dir2);
  mkdir(p, 0700);
  for (size_t i = 0; i < KT_ARRAY_LEN(files); i++) {
    tok_path(p, sizeof p, slot_a, files[i]);
    snprintf(q, sizeof q, "%s/tokens/0/%s", dir2, files[i]);
    KT_CHECK(copy_file(p, q) == 0, "copy %s", files[i]);
  }
  setenv("KERNTOK_DIR", dir2, 1);
  setenv("KERNTOK_TCTI", b.tcti, 1);
  int st = kt_run_self(&out, 0, "otpm", LABEL, USER_PIN, NULL);
  setenv("KERNTOK_DIR", saved_dir, 1);
  setenv("KERNTOK_TCTI", tpm_a.tcti, 1);
  KT_EQ_UL(st, 0);
  KT_CHECK(out && kt_out_get(out, "rv", v, sizeof v) && !strcmp(v, "CKR_DEVICE_ERROR"),
           "login on another TPM: %s", out ? out : "(no output)");
  KT_CHECK(out && kt_out_get(out, "rv2", v, sizeof v) && !strcmp(v, "CKR_DEVICE_ERROR"),
           "SO login on another TPM: %s", out ? out : "(no output)");
  uint8_t m[1024];
  char before[16];
  snprintf(before, sizeof before, "%u", read_meta(slot_a, m, sizeof m) > 0 ? le32(m + M_USER_FAILS) : 99);
  KT_CHECK(out && kt_out_get(out, "fails", v, sizeof v) && !strcmp(v, before),
           "a foreign TPM is not a wrong PIN (counter was %s): %s", before, out ? out : "");
  free(out);
  KT_EQ_UL(da_counter(&b), 0);
  ktt_swtpm_stop(&b);
  /* at home the token still works */
  KT_OK(login_rv(slot_a, CKU_USER, USER_PIN));
}

/* helper "otpm <label> <pin>": login as user, then SO, on the token there */
static int helper(int argc, char **argv)
{
  if (strcmp(argv[0], "otpm") != 0 || argc != 3) return -1;
  CK_SLOT_ID slot;
  CK_RV rv = kt_init();
  if (rv == CKR_OK) rv = kt_slot_by_label(argv[1], &slot);
  if (rv != CKR_OK) {
    printf("rv %s\n", kt_rvname(rv));
    return 0;
  }
  printf("rv %s\n", kt_rvname(login_rv(slot, CKU_USER, argv[2])));
  printf("rv2 %s\n", kt_rvname(login_rv(slot, CKU_SO, SO_PIN)));
  uint8_t m[1024];
  printf("fails %u\n", read_meta(slot, m, sizeof m) > 0 ? le32(m + M_USER_FAILS) : 99);
  kt_fini();
  kt_cleanup_store();
  return 0;
}

/* the unlock key, as the kernel shows it */
static key_serial_t unlock_key(CK_SLOT_ID slot, char *desc, size_t n)
{
  uint8_t m[1024];
  char want[64], hex[33];
  key_serial_t ring = keyctl_get_persistent(-1, KEY_SPEC_PROCESS_KEYRING);
  if (ring < 0 || read_meta(slot, m, sizeof m) <= 0) return -1;
  snprintf(want, sizeof want, "kt:unlock:%s", kt_hex(m + M_UUID, 16, hex));
  key_serial_t k = kt_key_find(ring, "user", want, desc, n);
  return k;
}

static void test_boot_unlock(void)
{
  char pinfile[600], desc[256];
  CK_SESSION_HANDLE s;
  CK_TOKEN_INFO ti;
  FILE *f;

  snprintf(pinfile, sizeof pinfile, "%s/user.pin", kt_tmpdir());
  f = fopen(pinfile, "w");
  KT_CHECK_F(f != NULL, "pin file");
  fprintf(f, "%s\n", USER_PIN);
  fclose(f);
  CLI(0, "seal", "--token", LABEL, "--boot", "--pcrs", "sha256:7,16", "--pin-file", pinfile);
  KT_CHECK(tok_file_exists(slot_a, "tpm.boot"), "tpm.boot written");
  KT_CHECK(!(flags_of(slot_a) & CKF_PROTECTED_AUTHENTICATION_PATH), "not unlocked yet");
  /* locked: a NULL PIN is an argument error, and costs nothing */
  KT_RV(login_rv(slot_a, CKU_USER, NULL), CKR_ARGUMENTS_BAD);

  CLI(0, "unlock", "--token", LABEL);
  key_serial_t k = unlock_key(slot_a, desc, sizeof desc);
  KT_CHECK(k > 0, "kt:unlock:<uuid> in the persistent keyring");
  if (k > 0) {
    char *d = NULL;
    KT_CHECK(keyctl_describe_alloc(k, &d) > 0 && !strncmp(d, "user;", 5), "a user key: %s", d);
    unsigned perm = 0;
    if (d) sscanf(d, "%*[^;];%*u;%*u;%x", &perm);
    KT_CHECK((perm & 0xffff) == 0, "group/other may not touch the unlock key: %08x", perm);
    KT_CHECK(perm & KEY_USR_READ, "the uid reads it: %08x", perm);
    free(d);
  }
  KT_OK(token_info(slot_a, &ti));
  KT_CHECK(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH, "protected path while unlocked");

  KT_OK_F(kt_open(slot_a, 0, &s));
  KT_OK(p11->C_Login(s, CKU_USER, NULL, 0));
  CK_OBJECT_HANDLE found[4];
  CK_ULONG cnt = 0;
  KT_OK(kt_find_label(s, "private-in-tpm-token", found, 4, &cnt));
  KT_EQ_UL(cnt, 1); /* the storage key opens the private object */
  if (cnt == 1) {
    void *val = NULL;
    CK_ULONG len = 0;
    KT_OK(kt_attr(s, found[0], CKA_VALUE, &val, &len));
    KT_CHECK(len == 1 && val && ((char *)val)[0] == 'v', "private value");
    free(val);
  }
  KT_OK(p11->C_Logout(s));
  /* the SO has no unlock key */
  p11->C_CloseSession(s);
  KT_RV(login_rv(slot_a, CKU_SO, NULL), CKR_ARGUMENTS_BAD);
  /* the PIN path keeps working while unlocked */
  KT_OK(login_rv(slot_a, CKU_USER, USER_PIN));
  KT_EQ_UL(da_counter(&tpm_a), 0);
}

static void test_pcr_changed(void)
{
  char *out = NULL;

  CLI(0, "lock", "--token", LABEL);
  KT_CHECK_F(ktt_swtpm_pcr_extend(&tpm_a, 16, TPM2_ALG_SHA256, 32) == 0, "extend PCR 16");
  int rc = run_cli(&out, "unlock", "--token", LABEL, (char *)NULL);
  KT_EQ_UL(rc, 1);
  KT_CHECK(out && strstr(out, "PCR values changed") && strstr(out, "sha256:16 ") &&
               !strstr(out, "sha256:7,16 (sealed"),
           "unlock names the PCR that changed: %s", out ? out : "");
  free(out);
  KT_CHECK(unlock_key(slot_a, NULL, 0) < 0, "nothing unlocked");
  KT_CHECK(!(flags_of(slot_a) & CKF_PROTECTED_AUTHENTICATION_PATH), "no protected path");
  KT_RV(login_rv(slot_a, CKU_USER, NULL), CKR_ARGUMENTS_BAD);
  /* nothing lost: the PINs work, no DA try was spent */
  KT_OK(login_rv(slot_a, CKU_USER, USER_PIN));
  KT_OK(login_rv(slot_a, CKU_SO, SO_PIN));
  KT_EQ_UL(da_counter(&tpm_a), 0);
  /* seal --boot again re-binds to the new values */
  CLI(0, "seal", "--token", LABEL, "--boot", "--pcrs", "sha256:7,16", "--so-pin", SO_PIN);
  CLI(0, "unlock", "--token", LABEL);
  KT_OK(login_rv(slot_a, CKU_USER, NULL));
}

static void test_lock(void)
{
  CLI(0, "unlock", "--token", LABEL);
  KT_OK(login_rv(slot_a, CKU_USER, NULL));
  CLI(0, "lock", "--token", LABEL);
  KT_CHECK(unlock_key(slot_a, NULL, 0) < 0, "unlock key gone");
  KT_CHECK(!(flags_of(slot_a) & CKF_PROTECTED_AUTHENTICATION_PATH), "flag gone");
  KT_RV(login_rv(slot_a, CKU_USER, NULL), CKR_ARGUMENTS_BAD);
  uint8_t m[1024];
  KT_CHECK(read_meta(slot_a, m, sizeof m) > 0 && le32(m + M_USER_FAILS) == 0,
           "NULL PIN counted");

  /* a process already logged in stays logged in */
  CK_SESSION_HANDLE s;
  CLI(0, "unlock", "--token", LABEL);
  KT_OK_F(kt_open(slot_a, 0, &s));
  KT_OK(p11->C_Login(s, CKU_USER, NULL, 0));
  CLI(0, "lock", "--token", LABEL);
  CK_SESSION_INFO si;
  KT_OK(p11->C_GetSessionInfo(s, &si));
  KT_EQ_UL(si.state, CKS_RO_USER_FUNCTIONS);
  p11->C_CloseSession(s);

  /* --timeout: the key expires by itself */
  CLI(0, "unlock", "--token", LABEL, "--timeout", "1");
  KT_OK(login_rv(slot_a, CKU_USER, NULL));
  kt_msleep(2100);
  KT_RV(login_rv(slot_a, CKU_USER, NULL), CKR_ARGUMENTS_BAD);
}

/* KERNTOK_TCTI=none: software protection, said as such; a TPM token then
 * fails cleanly instead of falling back to anything. */
static void test_software_fallback(void)
{
  CK_SLOT_ID slot;
  CK_TOKEN_INFO ti;
  uint8_t m[1024];

  setenv("KERNTOK_TCTI", "none", 1);
  KT_OK_F(kt_free_slot(&slot, NULL));
  KT_OK(token_info(slot, &ti));
  KT_CHECK(kt_padded_eq(ti.model, sizeof ti.model, "kernel keyring"), "free slot model %.16s",
           ti.model);
  KT_OK_F(kt_fresh_token("sw-token", SO_PIN, USER_PIN, &slot));
  KT_OK(token_info(slot, &ti));
  KT_CHECK(kt_padded_eq(ti.model, sizeof ti.model, "kernel keyring"), "model %.16s", ti.model);
  KT_CHECK(!tok_file_exists(slot, "tpm.so") && !tok_file_exists(slot, "tpm.user"),
           "no TPM files for a software token");
  KT_CHECK(read_meta(slot, m, sizeof m) == M_LEN_V2 + 32 && le32(m + M_PROTECTION) == 0 &&
               !all_zero(m + M_WRAP_SO, 60) && !all_zero(m + M_WRAP_USER, 60),
           "software wraps in token.meta");
  KT_OK(login_rv(slot, CKU_USER, USER_PIN));
  KT_RV(login_rv(slot, CKU_USER, "wrong-pin"), CKR_PIN_INCORRECT);
  KT_RV(login_rv(slot, CKU_USER, NULL), CKR_ARGUMENTS_BAD);
  KT_OK(login_rv(slot, CKU_SO, SO_PIN));
  /* the TPM token without its TPM */
  KT_RV(login_rv(slot_a, CKU_USER, USER_PIN), CKR_DEVICE_ERROR);
  setenv("KERNTOK_TCTI", tpm_a.tcti, 1);
  KT_OK(login_rv(slot_a, CKU_USER, USER_PIN));

  /* kerntok status says so */
  char *out = NULL;
  setenv("KERNTOK_TCTI", "none", 1);
  KT_EQ_UL(run_cli(&out, "status", "--token", "sw-token", (char *)NULL), 0);
  KT_CHECK(out && strstr(out, "protection: software"), "status: %s", out ? out : "");
  free(out);
  setenv("KERNTOK_TCTI", tpm_a.tcti, 1);
  /* and the tool moves it to the TPM and back */
  CLI(0, "seal", "--token", "sw-token", "--so-pin", SO_PIN, "--pin", USER_PIN);
  KT_CHECK(read_meta(slot, m, sizeof m) > 0 && le32(m + M_PROTECTION) == 1 &&
               all_zero(m + M_WRAP_SO, 60) && all_zero(m + M_WRAP_USER, 60),
           "sealed: no software wrap left");
  KT_OK(login_rv(slot, CKU_USER, USER_PIN));
  KT_OK(login_rv(slot, CKU_SO, SO_PIN));
  CLI(0, "unseal", "--token", "sw-token", "--so-pin", SO_PIN, "--pin", USER_PIN);
  KT_CHECK(!tok_file_exists(slot, "tpm.so") && read_meta(slot, m, sizeof m) > 0 &&
               le32(m + M_PROTECTION) == 0,
           "unsealed: software again");
  setenv("KERNTOK_TCTI", "none", 1);
  KT_OK(login_rv(slot, CKU_USER, USER_PIN));
  setenv("KERNTOK_TCTI", tpm_a.tcti, 1);
}

/* A token.meta of version 1 (before TPM support) still loads, and the
 * first change writes version 2. */
static int write_v1_meta(const char *dir, const char *label, const char *so, const char *user)
{
  static const uint8_t mac_key[32] = "kerntok token.meta integrity v1";
  uint8_t buf[M_LEN_V1 + 32], *p = buf, sk[32], kek[32], aad[48], salt[2][16];
  const char *pins[2] = {so, user}, *aads[2] = {"kerntok so pin", "kerntok user pin"};
  unsigned int ml = 32;
  int l, ok = 1;

  RAND_bytes(sk, sizeof sk);
  RAND_bytes((uint8_t *)salt, sizeof salt);
  memset(buf, 0, sizeof buf);
  memcpy(p, "KTM1", 4);
  p[4] = 1;
  p += 8;
  RAND_bytes(p, 16); /* uuid */
  memcpy(aad + 32, p, 16);
  p += 16;
  memset(p, ' ', 32);
  memcpy(p, label, strlen(label));
  p += 32;
  memcpy(p, "v1v1v1v1v1v1v1v1", 16);
  p += 16;
  p[0] = 10;                              /* max_tries */
  p[12] = 0x40, p[13] = 0x0d, p[14] = 0x03; /* kdf_iter 200000 */
  p[16] = 1;                              /* flags: user PIN set */
  p += 20;
  memcpy(p, salt, 32);
  p += 32;
  for (int i = 0; i < 2; i++, p += 60) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    memset(aad, 0, 32);
    memcpy(aad, aads[i], strlen(aads[i]));
    RAND_bytes(p, 12);
    ok &= PKCS5_PBKDF2_HMAC(pins[i], strlen(pins[i]), salt[i], 16, 200000, EVP_sha256(), 32,
                            kek) == 1;
    ok &= EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, p) == 1 &&
          EVP_EncryptUpdate(c, NULL, &l, aad, 48) == 1 &&
          EVP_EncryptUpdate(c, p + 12, &l, sk, 32) == 1 && EVP_EncryptFinal_ex(c, p + 44, &l) == 1 &&
          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, p + 44) == 1;
    EVP_CIPHER_CTX_free(c);
  }
  RAND_bytes(p, 32); /* mac_key */
  p += 32;
  ok &= HMAC(EVP_sha256(), mac_key, 32, buf, M_LEN_V1, p, &ml) != NULL;
  char path[4400];
  snprintf(path, sizeof path, "%s/token.meta", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ok &= fd >= 0 && write(fd, buf, sizeof buf) == (ssize_t)sizeof buf;
  if (fd >= 0) close(fd);
  return ok ? 0 : -1;
}

static void test_meta_v1(void)
{
  char dir[4200];
  CK_SLOT_ID slot = 40;
  CK_TOKEN_INFO ti;
  CK_SESSION_HANDLE s;
  uint8_t m[1024];

  snprintf(dir, sizeof dir, "%s/tokens/%lu", getenv("KERNTOK_DIR"), (unsigned long)slot);
  KT_CHECK_F(mkdir(dir, 0700) == 0, "mkdir %s", dir);
  KT_CHECK_F(write_v1_meta(dir, "v1-token", SO_PIN, USER_PIN) == 0, "v1 token.meta");
  KT_OK_F(kt_slot_by_label("v1-token", &slot));
  KT_EQ_UL(slot, 40);
  KT_OK(token_info(slot, &ti));
  KT_CHECK(kt_padded_eq(ti.model, sizeof ti.model, "kernel keyring"), "v1 is software");
  KT_OK(login_rv(slot, CKU_USER, USER_PIN));
  KT_RV(login_rv(slot, CKU_USER, "wrong-pin"), CKR_PIN_INCORRECT);
  KT_CHECK(read_meta(slot, m, sizeof m) == M_LEN_V2 + 32 && le32(m + M_VERSION) == 2 &&
               le32(m + M_USER_FAILS) == 1,
           "a counted failure writes version 2");
  KT_OK_F(kt_open(slot, 1, &s));
  KT_OK(kt_login(s, CKU_USER, USER_PIN));
  KT_OK(p11->C_SetPIN(s, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN),
                      (CK_UTF8CHAR_PTR) "v2-pin", 6));
  p11->C_CloseSession(s);
  KT_OK(login_rv(slot, CKU_USER, "v2-pin"));
  KT_OK(login_rv(slot, CKU_SO, SO_PIN));
  /* and a v1 token can go to the TPM */
  CLI(0, "seal", "--token", "v1-token", "--so-pin", SO_PIN, "--pin", "v2-pin");
  KT_OK(login_rv(slot, CKU_USER, "v2-pin"));
  KT_OK(token_info(slot, &ti));
  KT_CHECK(kt_padded_eq(ti.model, sizeof ti.model, "keyring+TPM"), "v1 token now on the TPM");
}

/* C_InitToken over a TPM token with a boot copy and an unlock key: the old
 * copies and the unlock key go with the old token. */
static void test_reinit(void)
{
  CK_UTF8CHAR lab[32];
  uint8_t m1[1024], m2[1024];

  CLI(0, "unlock", "--token", LABEL);
  KT_CHECK(unlock_key(slot_a, NULL, 0) > 0, "unlocked before re-init");
  KT_CHECK(read_meta(slot_a, m1, sizeof m1) > 0, "meta");
  kt_pad(lab, sizeof lab, LABEL);
  KT_OK_F(p11->C_InitToken(slot_a, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), lab));
  KT_CHECK(read_meta(slot_a, m2, sizeof m2) > 0 && memcmp(m1 + M_UUID, m2 + M_UUID, 16),
           "new uuid");
  KT_CHECK(tok_file_exists(slot_a, "tpm.so"), "new SO copy");
  KT_CHECK(!tok_file_exists(slot_a, "tpm.user") && !tok_file_exists(slot_a, "tpm.boot"),
           "old user and boot copies removed");
  /* the old token's unlock key is gone (searched under the old uuid) */
  char want[64], hex[33];
  snprintf(want, sizeof want, "kt:unlock:%s", kt_hex(m1 + M_UUID, 16, hex));
  key_serial_t ring = keyctl_get_persistent(-1, KEY_SPEC_PROCESS_KEYRING);
  KT_CHECK(kt_key_find(ring, "user", want, NULL, 0) < 0, "old unlock key removed");
  KT_RV(login_rv(slot_a, CKU_USER, USER_PIN), CKR_USER_PIN_NOT_INITIALIZED);
  KT_OK(login_rv(slot_a, CKU_SO, SO_PIN));
}

/* After all of the above (successes, wrong PINs, lockout, PCR mismatch,
 * foreign blobs): nothing left loaded in the TPM. */
static void test_no_handles_left(void)
{
  KT_EQ_UL(ktt_swtpm_handle_count(&tpm_a, 0x80000000u), 0); /* transient objects */
  KT_EQ_UL(ktt_swtpm_handle_count(&tpm_a, 0x02000000u), 0); /* loaded sessions */
  KT_EQ_UL(ktt_swtpm_handle_count(&tpm_a, 0x03000000u), 0); /* saved sessions */
}

static void register_suites(void)
{
  CU_pSuite s = kt_suite("tpm-token", suite_init, suite_clean, setup, teardown);
  kt_test(s, "C_InitToken seals to the TPM, no software wrap", test_init_tpm);
  kt_test(s, "login and logout through the TPM", test_login_logout);
  kt_test(s, "wrong PINs -> TPM lockout -> CKR_PIN_LOCKED, reset", test_lockout);
  kt_test(s, "C_SetPIN / C_InitPIN re-seal", test_set_pin);
  kt_test(s, "token files on another TPM", test_other_tpm);
  kt_test(s, "boot copy, unlock, NULL-PIN login", test_boot_unlock);
  kt_test(s, "PCR changed: unlock refused naming it, re-bind", test_pcr_changed);
  kt_test(s, "lock, timeout", test_lock);
  kt_test(s, "KERNTOK_TCTI=none: software, seal/unseal", test_software_fallback);
  kt_test(s, "token.meta version 1 still loads", test_meta_v1);
  kt_test(s, "re-initialization drops copies and unlock key", test_reinit);
  kt_test(s, "no transient objects or sessions left in the TPM", test_no_handles_left);
}

int main(int argc, char **argv)
{
  /* tss2 (raw ESAPI here) would log every expected failure to stderr */
  setenv("TSS2_LOG", "all+none", 0);
  return kt_main(argc, argv, register_suites, helper);
}
