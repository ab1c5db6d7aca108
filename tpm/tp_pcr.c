/* PCR selections, consistent reads, PolicyPCR digests, mismatch reports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tp_int.h"

#define READ_ATTEMPTS 8

uint16_t tp_pcr_size(TPMI_ALG_HASH alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return TPM2_SHA1_DIGEST_SIZE;
	case TPM2_ALG_SHA256:
		return TPM2_SHA256_DIGEST_SIZE;
	case TPM2_ALG_SHA384:
		return TPM2_SHA384_DIGEST_SIZE;
	case TPM2_ALG_SHA512:
		return TPM2_SHA512_DIGEST_SIZE;
	default:
		return 0;
	}
}

int tp_pcr_alg(const tp_pcrsel *sel, TPMI_ALG_HASH *alg)
{
	if (!sel->mask || (sel->mask & ~TP_PCR_MASK_ALL))
		return -EINVAL;
	switch (sel->hash_alg_bits) {
	case 1:
		*alg = TPM2_ALG_SHA1;
		return 0;
	case 256:
		*alg = TPM2_ALG_SHA256;
		return 0;
	case 384:
		*alg = TPM2_ALG_SHA384;
		return 0;
	case 512:
		*alg = TPM2_ALG_SHA512;
		return 0;
	default:
		return -EINVAL;
	}
}

void tp_pcr_selection(TPMI_ALG_HASH alg, uint32_t mask, TPML_PCR_SELECTION *out)
{
	memset(out, 0, sizeof(*out));
	out->count = 1;
	out->pcrSelections[0].hash = alg;
	out->pcrSelections[0].sizeofSelect = 3; /* PCRs 0..23 */
	out->pcrSelections[0].pcrSelect[0] = mask & 0xff;
	out->pcrSelections[0].pcrSelect[1] = (mask >> 8) & 0xff;
	out->pcrSelections[0].pcrSelect[2] = (mask >> 16) & 0xff;
}

/* Which PCRs of bank alg the TPM actually returned. */
static uint32_t returned_mask(const TPML_PCR_SELECTION *sel, TPMI_ALG_HASH alg)
{
	uint32_t m = 0;
	uint32_t i, j;

	for (i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		if (s->hash != alg)
			continue;
		for (j = 0; j < s->sizeofSelect && j < 3; j++)
			m |= (uint32_t)s->pcrSelect[j] << (8 * j);
	}
	return m;
}

/* One TPM2_PCR_Read: stores what came back in vals, returns in *got which
 * PCRs that was and in *counter the TPM's pcrUpdateCounter. */
static int read_some(tp_ctx *ctx, TPMI_ALG_HASH alg, uint16_t size, uint32_t want,
		     uint8_t vals[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE], uint32_t *got,
		     uint32_t *counter)
{
	TPML_PCR_SELECTION sel, *got_sel = NULL;
	TPML_DIGEST *dig = NULL;
	uint32_t i, k;
	TSS2_RC rc;
	int ret;

	tp_pcr_selection(alg, want, &sel);
	rc = Esys_PCR_Read(ctx->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, counter,
			   &got_sel, &dig);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tp_fail(ctx, rc);
		goto out;
	}
	*got = returned_mask(got_sel, alg) & want;
	/* Nothing back: the bank is not allocated on this TPM. */
	if (!*got) {
		ret = tp_fail_msg(ctx, -EINVAL, "PCR bank not active on this TPM");
		goto out;
	}
	/* Digests come in selection order: ascending PCR index. */
	for (i = 0, k = 0; i < TP_PCR_COUNT; i++) {
		if (!(*got & (1u << i)))
			continue;
		if (k >= dig->count || dig->digests[k].size != size) {
			ret = tp_fail_msg(ctx, -EIO, "malformed TPM2_PCR_Read response");
			goto out;
		}
		memcpy(vals[i], dig->digests[k].buffer, size);
		k++;
	}
	ret = 0;
out:
	Esys_Free(got_sel);
	Esys_Free(dig);
	return ret;
}

/* One TPM2_PCR_Read returns at most 8 digests, so a wide selection takes
 * several.  They are only a snapshot if pcrUpdateCounter did not move in
 * between; otherwise start over. */
int tp_pcr_read(tp_ctx *ctx, TPMI_ALG_HASH alg, uint32_t mask,
		uint8_t vals[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE])
{
	uint32_t left, got = 0, counter = 0, first = 0;
	uint16_t size = tp_pcr_size(alg);
	int attempt, ret = -EAGAIN;

	if (!size) {
		ret = tp_fail_msg(ctx, -EINVAL, "unknown PCR bank");
		goto out;
	}
	for (attempt = 0; attempt < READ_ATTEMPTS && ret == -EAGAIN; attempt++) {
		ret = read_some(ctx, alg, size, mask, vals, &got, &first);
		for (left = mask & ~got; ret == 0 && left; left &= ~got) {
			ret = read_some(ctx, alg, size, left, vals, &got, &counter);
			if (ret == 0 && counter != first)
				ret = -EAGAIN; /* a PCR moved mid-snapshot */
		}
	}
	if (ret == -EAGAIN)
		tp_fail_msg(ctx, ret, "PCRs kept changing while being read");
out:
	return ret;
}

int tp_pcr_digest(uint32_t mask, uint16_t size,
		  const uint8_t vals[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE], TPM2B_DIGEST *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	uint32_t i;
	int ret = -ENOMEM;

	if (!md)
		goto out;
	ret = -EIO;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	/* PolicyPCR: H(concatenation of the selected PCRs, in index order). */
	for (i = 0; i < TP_PCR_COUNT; i++)
		if ((mask & (1u << i)) && EVP_DigestUpdate(md, vals[i], size) != 1)
			goto out;
	if (EVP_DigestFinal_ex(md, out->buffer, &len) != 1)
		goto out;
	out->size = len;
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

int tp_pcr_mismatch(tp_ctx *ctx, const uint8_t *blob, size_t bloblen, uint32_t *mask_out)
{
	struct {
		struct tp_blob b;
		uint8_t now[TP_PCR_COUNT][TPM2_SHA512_DIGEST_SIZE];
	} *w = NULL;
	uint32_t bad = 0, i;
	int ret;

	if (mask_out)
		*mask_out = 0;
	ret = tp_usable(ctx);
	if (ret < 0)
		goto out;
	if (!blob || !mask_out) {
		ret = tp_fail_msg(ctx, -EINVAL, "invalid argument");
		goto out;
	}
	w = calloc(1, sizeof(*w));
	ret = -ENOMEM;
	if (!w)
		goto out;
	ret = tp_blob_parse(blob, bloblen, &w->b);
	if (ret < 0) {
		ret = tp_fail_msg(ctx, ret, "damaged blob");
		goto out;
	}
	ret = 0;
	if (!w->b.has_pcrs)
		goto out;
	ret = tp_pcr_read(ctx, w->b.pcr_alg, w->b.pcr_mask, w->now);
	if (ret < 0)
		goto out;
	for (i = 0; i < TP_PCR_COUNT; i++)
		if ((w->b.pcr_mask & (1u << i)) &&
		    memcmp(w->b.pcr_vals[i], w->now[i], w->b.pcr_size))
			bad |= 1u << i;
	*mask_out = bad;
	tp_clear_err(ctx);
out:
	free(w);
	return ret;
}
