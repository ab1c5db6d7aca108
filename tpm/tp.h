/* tp — kerntok's narrow wrapper over a TPM 2.0 (tpm2-tss ESAPI).
 *
 * Its one job: keep a small secret (a token's 256-bit storage key) sealed
 * at rest under the TPM's storage root key (SRK), bound to an auth value
 * and optionally to PCR values.  Nothing here knows PKCS#11.
 *
 * Conventions
 *  - Functions return 0 or -errno.  The raw TSS2_RC of the last failure is
 *    kept for logs: tp_last_rc() / tp_last_error() (Tss2_RC_Decode text, or
 *    a short explanation when the failure was not a TSS2 one).
 *  - -ENODEV from any call: the TPM or the connection is gone and the ctx
 *    is dead (ESAPI refuses further commands); tp_close() and tp_open().
 *  - Threads: a tp_ctx may be used by one thread at a time (ESAPI contexts
 *    are not thread-safe); use one ctx per thread or serialise externally.
 *  - Logging: tp_open() sets TSS2_LOG=all+none when TSS2_LOG is unset, so
 *    tss2 does not write to the host application's stderr.  That is a
 *    setenv(): call the first tp_open() while no other thread can be in
 *    getenv(), or set TSS2_LOG yourself (e.g. TSS2_LOG=all+warning to debug).
 *  - Connections: with "device:/dev/tpmrm0" the kernel resource manager
 *    multiplexes clients; a raw swtpm/mssim serves one connection at a time,
 *    so while a tp_ctx is open no other client can talk to that simulator.
 */
#ifndef KERNTOK_TP_H
#define KERNTOK_TP_H

#include <stddef.h>
#include <stdint.h>

typedef struct tp_ctx tp_ctx;

/* tcti: a Tss2_TctiLdr_Initialize configuration string, e.g.
 * "device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321", "tabrmd";
 * NULL means "device:/dev/tpmrm0".  Returns -ENODEV when no TPM is reachable.
 * The SRK is created lazily (first seal/unseal) and reused for the ctx. */
int tp_open(tp_ctx **ctx, const char *tcti);
void tp_close(tp_ctx *ctx); /* flushes everything the ctx loaded; NULL ok */

uint32_t tp_last_rc(const tp_ctx *ctx);
const char *tp_last_error(const tp_ctx *ctx);

/* PCR selection: one bank, PCRs 0..23. */
typedef struct {
	uint16_t hash_alg_bits; /* 1 = sha1, 256 = sha256, 384 = sha384, 512 = sha512 */
	uint32_t mask;          /* bit i = PCR i */
} tp_pcrsel;

/* Limits imposed by the TPM's structures. */
#define TP_SECRET_MAX 128 /* MAX_SYM_DATA: sealed data size */
#define TP_AUTH_MAX 32    /* authValue <= digest size of the object's nameAlg (sha256) */

/* Seal secret (1..TP_SECRET_MAX bytes) under the SRK.
 * auth (0..TP_AUTH_MAX bytes) is the sealed object's authValue and is always
 * enforced by the TPM, also when empty and also with PCRs: pcrs == NULL gives
 * plain userWithAuth, otherwise the policy is PolicyPCR(current values) +
 * PolicyAuthValue.  The object is not noDA: wrong auth counts toward the
 * TPM's dictionary-attack lockout.  As the TPM does, auth values differing
 * only by trailing zero bytes are equal; pass fixed-length derived auths.
 * *blob (malloc'ed, not secret) is what the caller stores; free() it. */
int tp_seal(tp_ctx *ctx, const uint8_t *secret, size_t n, const uint8_t *auth, size_t authlen,
	    const tp_pcrsel *pcrs, uint8_t **blob, size_t *bloblen);

/* Unseal a blob from tp_seal.  *secret must be released with tp_free_secret.
 * Errors: -EACCES wrong auth (TPM_RC_AUTH_FAIL/BAD_AUTH), -EBUSY the TPM is in
 * dictionary-attack lockout (TPM_RC_LOCKOUT), -EPERM PCRs differ from the
 * sealed values (checked before the auth: no DA try is spent then), -EINVAL
 * damaged blob or blob sealed by another TPM/SRK, -ENODEV TPM gone, -EAGAIN
 * TPM out of object/session slots, -EIO other.
 * tp_seal and tp_unseal also: -ENOKEY no SRK can be had (owner hierarchy
 * has a password and 0x81000001 is not provisioned). */
int tp_unseal(tp_ctx *ctx, const uint8_t *blob, size_t bloblen, const uint8_t *auth, size_t authlen,
	      uint8_t **secret, size_t *n);

/* *mask_out = the blob's selected PCRs whose current value differs from the
 * value recorded at seal time (0 when none differ or the blob has no PCRs). */
int tp_pcr_mismatch(tp_ctx *ctx, const uint8_t *blob, size_t bloblen, uint32_t *mask_out);

void tp_free_secret(uint8_t *p, size_t n); /* wipes then frees; NULL ok */

/* Dictionary-attack state: failed tries so far, tries before lockout, and
 * whether the TPM is locked out now (TPMA_PERMANENT inLockout). */
int tp_da_lockout_info(tp_ctx *ctx, uint32_t *counter, uint32_t *max, int *in_lockout);

#endif
