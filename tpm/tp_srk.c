/* The storage root key (SRK) that sealed objects live under.
 *
 * Preference: the persistent SRK at 0x81000001 (TCG Provisioning Guidance
 * 7.8) when it is a storage key, else a transient primary from the TCG SRK
 * template (Provisioning Guidance 7.5.1): ECC NIST P-256, or RSA-2048 on a
 * TPM without that curve.  Primaries are derived from the owner seed, so
 * re-creating from the same template gives the same key: blobs store the
 * parent's Name and unseal picks whichever candidate has it.
 * At most one SRK is loaded per ctx (a TPM may only have 3 object slots).
 * Creating a primary needs the owner hierarchy's auth: only tried when it
 * is empty; with an owner password set, 0x81000001 must be provisioned.
 */
#include <errno.h>
#include <string.h>

#include "tp_int.h"

#define TP_SRK_HANDLE 0x81000001u

#define SRK_ATTRS                                                                          \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |             \
	 TPMA_OBJECT_DECRYPT)

static const TPM2B_PUBLIC srk_ecc = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = SRK_ATTRS,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				       .mode.aes = TPM2_ALG_CFB },
			.scheme = { .scheme = TPM2_ALG_NULL },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf = { .scheme = TPM2_ALG_NULL },
		},
		/* The template's unique is zero-filled to the key size. */
		.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } },
	},
};

static const TPM2B_PUBLIC srk_rsa = {
	.publicArea = {
		.type = TPM2_ALG_RSA,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = SRK_ATTRS,
		.parameters.rsaDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				       .mode.aes = TPM2_ALG_CFB },
			.scheme = { .scheme = TPM2_ALG_NULL },
			.keyBits = 2048,
			.exponent = 0,
		},
		.unique.rsa = { .size = 256 },
	},
};

enum srk_kind { SRK_PERSISTENT, SRK_ECC, SRK_RSA };

static int name_eq(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && a->size <= sizeof(a->name) && !memcmp(a->name, b->name, a->size);
}

/* Adopts the persistent SRK; -ENOENT when absent or not a storage key we
 * can salt sessions with (someone else's key at the well-known handle). */
static int load_persistent(tp_ctx *ctx, ESYS_TR *tr, TPMI_ALG_PUBLIC *type)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPMI_YES_NO more;
	TPMA_OBJECT want = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	TSS2_RC rc;
	int ret;

	*tr = ESYS_TR_NONE;
	/* Ask first: TR_FromTPMPublic on a missing handle is an error path. */
	rc = Esys_GetCapability(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, TP_SRK_HANDLE, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	if (cap->data.handles.count < 1 || cap->data.handles.handle[0] != TP_SRK_HANDLE) {
		ret = -ENOENT;
		goto out;
	}
	rc = Esys_TR_FromTPMPublic(ctx->esys, TP_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, tr);
	if (rc != TSS2_RC_SUCCESS) {
		*tr = ESYS_TR_NONE;
		ret = tp_fail(ctx, rc);
		goto out;
	}
	rc = Esys_ReadPublic(ctx->esys, *tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL,
			     NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	if ((pub->publicArea.objectAttributes & want) != want ||
	    (pub->publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    (pub->publicArea.type != TPM2_ALG_ECC && pub->publicArea.type != TPM2_ALG_RSA)) {
		ret = -ENOENT;
		goto out;
	}
	*type = pub->publicArea.type;
	ret = 0;
out:
	if (ret < 0 && *tr != ESYS_TR_NONE)
		Esys_TR_Close(ctx->esys, tr); /* persistent: never flush */
	Esys_Free(pub);
	Esys_Free(cap);
	return ret;
}

static int create_primary(tp_ctx *ctx, const TPM2B_PUBLIC *tmpl, ESYS_TR *tr)
{
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION nopcr = { 0 };
	uint32_t perm;
	TSS2_RC rc;
	int ret;

	*tr = ESYS_TR_NONE;
	/* ownerAuth is DA-protected: guessing "empty" against a set owner
	 * password would count toward lockout on every call, and surface as
	 * -EACCES, i.e. "wrong PIN".  Ask instead of trying. */
	ret = tp_get_prop(ctx, TPM2_PT_PERMANENT, &perm);
	if (ret < 0)
		goto out;
	if (perm & TPMA_PERMANENT_OWNERAUTHSET) {
		ret = tp_fail_msg(ctx, -ENOKEY,
				  "owner hierarchy has a password and no SRK is persisted at "
				  "0x81000001: provision one (tpm2_createprimary + tpm2_evictcontrol)");
		goto out;
	}
	/* Password session with the (empty) owner auth: no secret crosses. */
	rc = Esys_CreatePrimary(ctx->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, tmpl, &outside, &nopcr, tr, NULL, NULL, NULL,
				NULL);
	if (rc != TSS2_RC_SUCCESS) {
		*tr = ESYS_TR_NONE;
		ret = tp_fail(ctx, rc);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/* Loads candidate kind as ctx->srk and records its Name. */
static int load_kind(tp_ctx *ctx, enum srk_kind kind)
{
	TPM2B_NAME *name = NULL;
	const TPM2B_PUBLIC *tmpl = kind == SRK_ECC ? &srk_ecc : &srk_rsa;
	TPMI_ALG_PUBLIC type = tmpl->publicArea.type;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret;

	if (kind == SRK_PERSISTENT)
		ret = load_persistent(ctx, &tr, &type);
	else
		ret = create_primary(ctx, tmpl, &tr);
	if (ret < 0)
		goto out;
	rc = Esys_TR_GetName(ctx->esys, tr, &name);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	ctx->srk = tr;
	ctx->srk_flush = kind != SRK_PERSISTENT;
	ctx->srk_name = *name;
	ctx->srk_type = type;
	tr = ESYS_TR_NONE;
	ret = 0;
out:
	if (tr != ESYS_TR_NONE) {
		if (kind == SRK_PERSISTENT)
			Esys_TR_Close(ctx->esys, &tr);
		else
			tp_flush(ctx, &tr);
	}
	Esys_Free(name);
	return ret;
}

/* A TPM error on ECC creation (unsupported curve, ...) is reason to try
 * RSA; auth trouble or a dead transport is not. */
static int worth_rsa(tp_ctx *ctx)
{
	uint32_t base = tp_rc_base(ctx->last_rc);

	return base && base != TPM2_RC_LOCKOUT && base != TPM2_RC_BAD_AUTH &&
	       base != TPM2_RC_AUTH_FAIL && base != TPM2_RC_HIERARCHY;
}

void tp_srk_release(tp_ctx *ctx)
{
	if (ctx->srk == ESYS_TR_NONE)
		return;
	if (ctx->srk_flush)
		tp_flush(ctx, &ctx->srk);
	else
		Esys_TR_Close(ctx->esys, &ctx->srk);
	ctx->srk = ESYS_TR_NONE;
	memset(&ctx->srk_name, 0, sizeof(ctx->srk_name));
}

int tp_srk_default(tp_ctx *ctx)
{
	int ret = 0;

	if (ctx->srk != ESYS_TR_NONE)
		goto out; /* one SRK per ctx: creating a primary is the slow part */
	ret = load_kind(ctx, SRK_PERSISTENT);
	if (ret != -ENOENT)
		goto out;
	ret = load_kind(ctx, SRK_ECC);
	if (ret < 0 && worth_rsa(ctx))
		ret = load_kind(ctx, SRK_RSA);
out:
	return ret;
}

int tp_srk_match(tp_ctx *ctx, const TPM2B_NAME *want, TPMI_ALG_PUBLIC type)
{
	int ret = 0;

	if (ctx->srk != ESYS_TR_NONE && name_eq(&ctx->srk_name, want))
		goto out;
	tp_srk_release(ctx);
	ret = load_kind(ctx, SRK_PERSISTENT);
	if (ret == 0 && name_eq(&ctx->srk_name, want))
		goto out;
	tp_srk_release(ctx);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	/* The blob says which template its parent came from: creating an RSA
	 * primary can take seconds on real hardware, do not guess. */
	if (type != TPM2_ALG_ECC && type != TPM2_ALG_RSA) {
		ret = tp_fail_msg(ctx, -EINVAL, "blob names an unknown parent key type");
		goto out;
	}
	ret = load_kind(ctx, type == TPM2_ALG_ECC ? SRK_ECC : SRK_RSA);
	if (ret < 0)
		goto out;
	if (!name_eq(&ctx->srk_name, want)) {
		tp_srk_release(ctx);
		ret = tp_fail_msg(ctx, -EINVAL,
				  "blob was sealed under an SRK this TPM does not have "
				  "(another TPM, or the owner hierarchy was cleared)");
		goto out;
	}
	ret = 0;
out:
	return ret;
}
