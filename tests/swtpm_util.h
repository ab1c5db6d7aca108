/*
 * swtpm_util.h - TPM 2.0 simulators (swtpm) for the tests that need one,
 * and direct ESAPI access to them for what the code under test hides
 * (DA parameters and reset, PCR extend, handle counts).
 *
 * swtpm serves one connection at a time and has no resource manager: a
 * test closes its own connection before poking the TPM through these
 * helpers, and whatever the code under test forgot to flush is still
 * there to count.
 *
 * Plain C, includes neither kt_test.h nor module/kt.h, so any test can use
 * it; every symbol is ktt_swtpm_*.
 */
#ifndef KTT_SWTPM_UTIL_H
#define KTT_SWTPM_UTIL_H

#include <stdint.h>
#include <sys/types.h>
#include <tss2/tss2_esys.h>

struct ktt_swtpm {
  pid_t pid;
  int port;      /* TPM commands; port + 1 is the control channel */
  char dir[512]; /* state directory (and swtpm.log) */
  char tcti[96]; /* "swtpm:host=127.0.0.1,port=<port>" */
};

/* A free 127.0.0.1 port P whose P+1 is free too (what swtpm needs), or -1. */
int ktt_swtpm_free_port_pair(void);
/* Starts swtpm with its state in a new directory under base; 0 = ok.  The
 * simulator dies with this process (PR_SET_PDEATHSIG). */
int ktt_swtpm_start(struct ktt_swtpm *t, const char *base);
/* Stops it and removes its state directory. */
void ktt_swtpm_stop(struct ktt_swtpm *t);

/* A direct ESAPI connection to the simulator. */
struct ktt_swtpm_raw {
  TSS2_TCTI_CONTEXT *tcti;
  ESYS_CONTEXT *esys;
};
int ktt_swtpm_raw_open(const struct ktt_swtpm *t, struct ktt_swtpm_raw *r);
void ktt_swtpm_raw_close(struct ktt_swtpm_raw *r);

/* The lockout hierarchy's auth is empty on a fresh swtpm.  These return
 * the TPM's rc, 1 when the connection failed. */
TSS2_RC ktt_swtpm_da_params(const struct ktt_swtpm *t, uint32_t max_tries,
                            uint32_t recovery, uint32_t lockout_recovery);
TSS2_RC ktt_swtpm_da_reset(const struct ktt_swtpm *t);
/* Extends PCR pcr of bank alg with size bytes of 0x5a. */
TSS2_RC ktt_swtpm_pcr_extend(const struct ktt_swtpm *t, int pcr, TPMI_ALG_HASH alg,
                             uint16_t size);
/* How many handles of one type (transient objects, loaded sessions, saved
 * sessions) the TPM holds; -1 on error. */
int ktt_swtpm_handle_count(const struct ktt_swtpm *t, TPM2_HANDLE first);

#endif
