/*
 * swtpm_util.c - swtpm simulators and direct ESAPI access for the tests;
 * see swtpm_util.h.
 */
#include "swtpm_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <tss2/tss2_tctildr.h>

/* ------------------------------------------------------------ swtpm */

/* Binds 127.0.0.1:port (0 = any) and returns the port, or -1. */
static int try_bind(int port)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  socklen_t len = sizeof(a);
  int s, ret = -1;

  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
      getsockname(s, (struct sockaddr *)&a, &len) == 0)
    ret = ntohs(a.sin_port);
  close(s);
  return ret;
}

/* swtpm needs P (TPM commands) and P+1 (control channel). */
int ktt_swtpm_free_port_pair(void)
{
  for (int i = 0; i < 100; i++) {
    int p = try_bind(0);
    if (p > 0 && p < 65535 && try_bind(p + 1) == p + 1) return p;
  }
  return -1;
}

static int reachable(int port)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  int s, ok;

  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return 0;
  ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
  close(s);
  return ok;
}

static void msleep(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

  nanosleep(&ts, NULL);
}

static void exec_swtpm(const struct ktt_swtpm *t, pid_t parent)
{
  char server[80], ctrl[80], state[600], log[600];
  int fd;

  /* If this test dies, its simulator must not outlive it. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  snprintf(log, sizeof(log), "%s/swtpm.log", t->dir);
  fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port);
  snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port + 1);
  snprintf(state, sizeof(state), "dir=%s", t->dir);
  execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl,
         "--tpmstate", state, "--flags", "not-need-init,startup-clear", (char *)NULL);
  _exit(127);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb; (void)flag; (void)ftw;
  return remove(path);
}

int ktt_swtpm_start(struct ktt_swtpm *t, const char *base)
{
  pid_t self = getpid();
  int st;

  memset(t, 0, sizeof(*t));
  snprintf(t->dir, sizeof(t->dir), "%s/swtpm.XXXXXX", base);
  if (!mkdtemp(t->dir)) return -1;
  /* The port probe races with everything else on the host: retry. */
  for (int attempt = 0; attempt < 5; attempt++) {
    t->port = ktt_swtpm_free_port_pair();
    if (t->port < 0) return -1;
    t->pid = fork();
    if (t->pid < 0) return -1;
    if (t->pid == 0) exec_swtpm(t, self);
    for (int i = 0; i < 250; i++) {
      if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
        t->pid = 0;
        break;
      }
      if (reachable(t->port)) {
        snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%d", t->port);
        return 0;
      }
      msleep(20);
    }
    if (t->pid > 0) {
      kill(t->pid, SIGKILL);
      waitpid(t->pid, &st, 0);
      t->pid = 0;
    }
  }
  fprintf(stderr, "swtpm did not come up; see %s/swtpm.log\n", t->dir);
  return -1;
}

void ktt_swtpm_stop(struct ktt_swtpm *t)
{
  int st;

  if (t->pid > 0) {
    kill(t->pid, SIGTERM);
    waitpid(t->pid, &st, 0);
    t->pid = 0;
  }
  if (t->dir[0]) nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
  t->dir[0] = 0;
}

/* ------------------------------------------------------ direct ESAPI */

int ktt_swtpm_raw_open(const struct ktt_swtpm *t, struct ktt_swtpm_raw *r)
{
  memset(r, 0, sizeof(*r));
  if (Tss2_TctiLdr_Initialize(t->tcti, &r->tcti)) return -1;
  if (Esys_Initialize(&r->esys, r->tcti, NULL)) {
    Tss2_TctiLdr_Finalize(&r->tcti);
    return -1;
  }
  return 0;
}

void ktt_swtpm_raw_close(struct ktt_swtpm_raw *r)
{
  Esys_Finalize(&r->esys);
  Tss2_TctiLdr_Finalize(&r->tcti);
}

TSS2_RC ktt_swtpm_da_params(const struct ktt_swtpm *t, uint32_t max_tries,
                            uint32_t recovery, uint32_t lockout_recovery)
{
  struct ktt_swtpm_raw r;
  TSS2_RC rc;

  if (ktt_swtpm_raw_open(t, &r)) return 1;
  rc = Esys_DictionaryAttackParameters(r.esys, ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD,
                                       ESYS_TR_NONE, ESYS_TR_NONE, max_tries, recovery,
                                       lockout_recovery);
  ktt_swtpm_raw_close(&r);
  return rc;
}

TSS2_RC ktt_swtpm_da_reset(const struct ktt_swtpm *t)
{
  struct ktt_swtpm_raw r;
  TSS2_RC rc;

  if (ktt_swtpm_raw_open(t, &r)) return 1;
  rc = Esys_DictionaryAttackLockReset(r.esys, ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD,
                                      ESYS_TR_NONE, ESYS_TR_NONE);
  ktt_swtpm_raw_close(&r);
  return rc;
}

TSS2_RC ktt_swtpm_pcr_extend(const struct ktt_swtpm *t, int pcr, TPMI_ALG_HASH alg,
                             uint16_t size)
{
  TPML_DIGEST_VALUES d = {.count = 1};
  struct ktt_swtpm_raw r;
  TSS2_RC rc;

  d.digests[0].hashAlg = alg;
  memset(&d.digests[0].digest, 0x5a, size);
  if (ktt_swtpm_raw_open(t, &r)) return 1;
  rc = Esys_PCR_Extend(r.esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                       ESYS_TR_NONE, &d);
  ktt_swtpm_raw_close(&r);
  return rc;
}

int ktt_swtpm_handle_count(const struct ktt_swtpm *t, TPM2_HANDLE first)
{
  TPMS_CAPABILITY_DATA *cap = NULL;
  TPMI_YES_NO more;
  struct ktt_swtpm_raw r;
  int n = -1;

  if (ktt_swtpm_raw_open(t, &r)) return -1;
  if (Esys_GetCapability(r.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                         first, TPM2_MAX_CAP_HANDLES, &more, &cap) == TSS2_RC_SUCCESS) {
    n = 0;
    /* The list continues into the next handle type; count ours. */
    for (uint32_t i = 0; i < cap->data.handles.count; i++)
      if ((cap->data.handles.handle[i] >> 24) == (first >> 24)) n++;
  }
  Esys_Free(cap);
  ktt_swtpm_raw_close(&r);
  return n;
}
