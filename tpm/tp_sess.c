/* Sessions and handle hygiene.
 *
 * Every session is salted by the SRK: ESAPI encrypts a random salt to the
 * SRK's public key, so the session key, and with it parameter encryption
 * (auth values in TPM2_Create, sealed data in TPM2_Unseal), is unknown to
 * anyone watching the bus.  Sessions are unbound: binding would mix an
 * entity's authValue into the session key, which buys nothing once salted.
 */
#include <errno.h>

#include "tp_int.h"

int tp_sess_start(tp_ctx *ctx, TPM2_SE type, ESYS_TR *sess)
{
	const TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_AES,
		.keyBits.aes = 128,
		.mode.aes = TPM2_ALG_CFB,
	};
	TSS2_RC rc;
	int ret;

	*sess = ESYS_TR_NONE;
	rc = Esys_StartAuthSession(ctx->esys, ctx->srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, type, &sym, TPM2_ALG_SHA256, sess);
	if (rc != TSS2_RC_SUCCESS) {
		*sess = ESYS_TR_NONE;
		ret = tp_fail(ctx, rc);
		goto out;
	}
	ret = tp_sess_attrs(ctx, *sess, 0);
	if (ret < 0)
		tp_flush(ctx, sess);
out:
	return ret;
}

int tp_sess_attrs(tp_ctx *ctx, ESYS_TR sess, TPMA_SESSION attrs)
{
	TSS2_RC rc;

	/* continueSession always: a session the TPM drops by itself would
	 * leave ESAPI's bookkeeping and our single flush path out of step. */
	rc = Esys_TRSess_SetAttributes(ctx->esys, sess, attrs | TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return tp_fail(ctx, rc);
	return 0;
}

void tp_flush(tp_ctx *ctx, ESYS_TR *h)
{
	TSS2_RC rc;

	if (*h == ESYS_TR_NONE)
		return;
	rc = Esys_FlushContext(ctx->esys, *h);
	/* FlushContext only forgets the ESYS_TR on success; when the TPM is
	 * gone, drop our record anyway.  Never overwrite the caller's error. */
	if (rc != TSS2_RC_SUCCESS)
		Esys_TR_Close(ctx->esys, h);
	*h = ESYS_TR_NONE;
}

void tp_forget_auth(tp_ctx *ctx, ESYS_TR h)
{
	/* Esys_TR_SetAuth copies the whole TPM2B, so this overwrites the
	 * stored value rather than just its size. */
	const TPM2B_AUTH zero = { 0 };

	if (h != ESYS_TR_NONE)
		Esys_TR_SetAuth(ctx->esys, h, &zero);
}

void tp_scrub_io(tp_ctx *ctx)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;

	/* ESAPI decrypts response parameters in place in its one command/
	 * response buffer.  The command list is a long, public answer that
	 * overwrites far more than the largest unseal response.  Best
	 * effort: failure changes nothing for the caller. */
	Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_COMMANDS,
			   TPM2_CC_FIRST, TPM2_MAX_CAP_CC, &more, &cap);
	Esys_Free(cap);
}

size_t tp_auth_len(const uint8_t *auth, size_t len)
{
	/* The TPM drops trailing zero octets of an authValue before using it
	 * as HMAC key (Part 1, "authValue").  Do the same on our side, or an
	 * auth ending in 0x00 (1 in 256 random derived auths) would never
	 * verify whenever ESAPI does not strip them itself. */
	while (len && !auth[len - 1])
		len--;
	return len;
}
