/* Private to tpm/: the ctx layout and helpers shared between its files. */
#ifndef KERNTOK_TP_INT_H
#define KERNTOK_TP_INT_H

#include <tss2/tss2_esys.h>

#include "tp.h"

struct tp_ctx {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR srk;           /* ESYS_TR_NONE until first needed */
	int srk_flush;         /* 1: transient primary we created; 0: persistent */
	TPM2B_NAME srk_name;
	TPMI_ALG_PUBLIC srk_type;  /* TPM2_ALG_ECC or TPM2_ALG_RSA */
	TSS2_RC last_rc;
	const char *last_msg;  /* for failures that are not a TSS2_RC */
	int dead;              /* transport failed: ESAPI refuses further calls */
};

/* --- tp_err.c --- */
/* TPM response code without handle/session/parameter number, or 0 when rc
 * did not come from the TPM. */
uint32_t tp_rc_base(TSS2_RC rc);
/* Records rc and returns the generic -errno for it. */
int tp_fail(tp_ctx *ctx, TSS2_RC rc);
/* Records a non-TSS2 failure (last_rc = 0) and returns err. */
int tp_fail_msg(tp_ctx *ctx, int err, const char *msg);
void tp_clear_err(tp_ctx *ctx);
/* Entry check for every TPM-using call: -EINVAL for a NULL ctx, -ENODEV
 * once the connection died (the ctx must be closed and reopened). */
int tp_usable(tp_ctx *ctx);

/* --- tp_da.c --- */
/* One TPM2_PT_* property (TPM2_GetCapability TPM_PROPERTIES). */
int tp_get_prop(tp_ctx *ctx, TPM2_PT pt, uint32_t *val);

/* --- tp_srk.c --- */
/* The SRK to seal under: persistent 0x81000001 if it is a usable storage key,
 * else a transient primary from the TCG template (ECC P-256, RSA-2048). */
int tp_srk_default(tp_ctx *ctx);
/* The SRK whose Name is want (the one a blob was sealed under, a key of
 * the given type); -EINVAL when no candidate on this TPM has that Name. */
int tp_srk_match(tp_ctx *ctx, const TPM2B_NAME *want, TPMI_ALG_PUBLIC type);
void tp_srk_release(tp_ctx *ctx);

/* --- tp_sess.c --- */
/* Starts a session salted by the SRK (AES-128-CFB parameter encryption,
 * sha256).  type: TPM2_SE_HMAC or TPM2_SE_POLICY. */
int tp_sess_start(tp_ctx *ctx, TPM2_SE type, ESYS_TR *sess);
/* Sets exactly attrs (continueSession is always kept so the session
 * survives until we flush it on every path). */
int tp_sess_attrs(tp_ctx *ctx, ESYS_TR sess, TPMA_SESSION attrs);
/* Flushes a transient object/session if *h is set; *h = ESYS_TR_NONE. */
void tp_flush(tp_ctx *ctx, ESYS_TR *h);
/* Overwrites the copy of an authValue ESAPI keeps for h. */
void tp_forget_auth(tp_ctx *ctx, ESYS_TR h);
/* Overwrites ESAPI's command/response buffer, which still holds a
 * decrypted response (e.g. unsealed data) after the call returned. */
void tp_scrub_io(tp_ctx *ctx);
/* Length of auth without trailing zero octets, as the TPM uses it. */
size_t tp_auth_len(const uint8_t *auth, size_t len);

/* --- tp_blob.c --- */
#define TP_PCR_COUNT 24
#define TP_PCR_MASK_ALL ((1u << TP_PCR_COUNT) - 1)
struct tp_blob {
	TPM2B_NAME parent;      /* Name of the SRK sealed under */
	TPMI_ALG_PUBLIC parent_type;
	int has_pcrs;
	TPMI_ALG_HASH pcr_alg;
	uint32_t pcr_mask;
	uint16_t pcr_size;      /* digest size of pcr_alg */
	uint8_t pcr_vals[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE]; /* indexed by PCR number */
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
};
int tp_blob_build(const struct tp_blob *b, uint8_t **out, size_t *outlen);
int tp_blob_parse(const uint8_t *in, size_t len, struct tp_blob *b);

/* --- tp_pcr.c --- */
/* Maps tp_pcrsel to a TPM bank; -EINVAL for unknown banks, empty or >24-bit masks. */
int tp_pcr_alg(const tp_pcrsel *sel, TPMI_ALG_HASH *alg);
uint16_t tp_pcr_size(TPMI_ALG_HASH alg); /* 0: not a bank we support */
void tp_pcr_selection(TPMI_ALG_HASH alg, uint32_t mask, TPML_PCR_SELECTION *out);
/* Reads the current values of mask in bank alg into vals[pcr]; consistent
 * (same pcrUpdateCounter) even when several TPM2_PCR_Read calls are needed. */
int tp_pcr_read(tp_ctx *ctx, TPMI_ALG_HASH alg, uint32_t mask,
		uint8_t vals[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE]);
/* The PolicyPCR pcrDigest (sha256) over vals for mask, in PCR order. */
int tp_pcr_digest(uint32_t mask, uint16_t size,
		  const uint8_t vals[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE], TPM2B_DIGEST *out);

/* --- tp_policy.c --- */
/* Runs PolicyPCR(pcr_digest; empty = the TPM's current values) and
 * PolicyAuthValue in sess. */
int tp_policy_apply(tp_ctx *ctx, ESYS_TR sess, const struct tp_blob *b,
		    const TPM2B_DIGEST *pcr_digest);
/* Fills b->pcr_vals with the current values and *policy with the digest a
 * policy over them has. */
int tp_policy_current(tp_ctx *ctx, struct tp_blob *b, TPM2B_DIGEST *policy);

#endif
