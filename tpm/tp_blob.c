/* The at-rest format of a sealed secret.  Big-endian, via libtss2-mu:
 *
 *   "KTPS"                      magic
 *   u16  version                1
 *   u16  flags                  bit 0: PCR policy
 *   u16  parent type            TPM2_ALG_ECC / TPM2_ALG_RSA (SRK template)
 *   TPM2B_NAME parent           Name of the SRK sealed under
 *   [flags & 1:] u16 bank (TPM2_ALG_ID), u32 PCR mask,
 *                digest for each PCR in the mask, ascending
 *   TPM2B_PUBLIC, TPM2B_PRIVATE  the sealed object as TPM2_Create made it
 *   sha256 of everything above
 *
 * Nothing in it is secret: the private part is encrypted by the TPM under
 * the parent's seed.  The trailing hash only catches accidental damage
 * (disk, truncation) early and with one clear error; it is not a MAC and
 * the TPM's own integrity check on Load remains the security boundary.
 * Parsing treats the input as hostile: every length is bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "tp_int.h"

#define MAGIC "KTPS"
#define MAGIC_LEN 4
#define VERSION 1
#define FLAG_PCRS 0x0001u
#define HASH_LEN 32

#define MAX_LEN                                                                            \
	(MAGIC_LEN + 3 * 2 + sizeof(TPM2B_NAME) + 2 + 4 +                                  \
	 TP_PCR_COUNT * TPM2_SHA512_DIGEST_SIZE + sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE) + \
	 HASH_LEN)

static int sha256(const uint8_t *p, size_t n, uint8_t out[HASH_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != HASH_LEN)
		return -EIO;
	return 0;
}

int tp_blob_build(const struct tp_blob *b, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *shrunk;
	size_t off = MAGIC_LEN;
	uint32_t i;
	TSS2_RC rc;
	int ret;

	*out = NULL;
	*outlen = 0;
	buf = malloc(MAX_LEN);
	ret = -ENOMEM;
	if (!buf)
		goto out;
	memcpy(buf, MAGIC, MAGIC_LEN);
	rc = Tss2_MU_UINT16_Marshal(VERSION, buf, MAX_LEN, &off);
	if (!rc)
		rc = Tss2_MU_UINT16_Marshal(b->has_pcrs ? FLAG_PCRS : 0, buf, MAX_LEN, &off);
	if (!rc)
		rc = Tss2_MU_UINT16_Marshal(b->parent_type, buf, MAX_LEN, &off);
	if (!rc)
		rc = Tss2_MU_TPM2B_NAME_Marshal(&b->parent, buf, MAX_LEN, &off);
	if (!rc && b->has_pcrs) {
		rc = Tss2_MU_UINT16_Marshal(b->pcr_alg, buf, MAX_LEN, &off);
		if (!rc)
			rc = Tss2_MU_UINT32_Marshal(b->pcr_mask, buf, MAX_LEN, &off);
		for (i = 0; !rc && i < TP_PCR_COUNT; i++) {
			if (!(b->pcr_mask & (1u << i)))
				continue;
			memcpy(buf + off, b->pcr_vals[i], b->pcr_size); /* MAX_LEN has room */
			off += b->pcr_size;
		}
	}
	if (!rc)
		rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&b->pub, buf, MAX_LEN, &off);
	if (!rc)
		rc = Tss2_MU_TPM2B_PRIVATE_Marshal(&b->priv, buf, MAX_LEN, &off);
	ret = -EINVAL;
	if (rc || off + HASH_LEN > MAX_LEN)
		goto out;
	ret = sha256(buf, off, buf + off);
	if (ret < 0)
		goto out;
	off += HASH_LEN;
	shrunk = realloc(buf, off);
	if (shrunk)
		buf = shrunk;
	*out = buf;
	*outlen = off;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	return ret;
}

/* What tp_seal makes: a keyed-hash data object, fixed to TPM and parent. */
static int plausible_object(const TPMT_PUBLIC *p)
{
	TPMA_OBJECT fixed = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;

	return p->type == TPM2_ALG_KEYEDHASH && p->nameAlg == TPM2_ALG_SHA256 &&
	       (p->objectAttributes & fixed) == fixed &&
	       !(p->objectAttributes & (TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT));
}

int tp_blob_parse(const uint8_t *in, size_t len, struct tp_blob *b)
{
	uint8_t hash[HASH_LEN];
	uint16_t version, flags, type, alg;
	size_t off = MAGIC_LEN, end, pub_off;
	uint32_t i;
	TSS2_RC rc;
	int ret = -EINVAL;

	memset(b, 0, sizeof(*b));
	if (!in || len < MAGIC_LEN + HASH_LEN || len > MAX_LEN || memcmp(in, MAGIC, MAGIC_LEN))
		goto out;
	end = len - HASH_LEN;
	ret = sha256(in, end, hash);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	if (memcmp(hash, in + end, HASH_LEN))
		goto out;
	/* All reads below are bounded by end, never by len. */
	rc = Tss2_MU_UINT16_Unmarshal(in, end, &off, &version);
	if (rc || version != VERSION)
		goto out;
	rc = Tss2_MU_UINT16_Unmarshal(in, end, &off, &flags);
	if (!rc)
		rc = Tss2_MU_UINT16_Unmarshal(in, end, &off, &type);
	if (!rc)
		rc = Tss2_MU_TPM2B_NAME_Unmarshal(in, end, &off, &b->parent);
	if (rc || (flags & ~FLAG_PCRS) || (type != TPM2_ALG_ECC && type != TPM2_ALG_RSA) ||
	    b->parent.size > sizeof(b->parent.name))
		goto out;
	b->parent_type = type;
	if (flags & FLAG_PCRS) {
		b->has_pcrs = 1;
		rc = Tss2_MU_UINT16_Unmarshal(in, end, &off, &alg);
		if (!rc)
			rc = Tss2_MU_UINT32_Unmarshal(in, end, &off, &b->pcr_mask);
		if (rc || !b->pcr_mask || (b->pcr_mask & ~TP_PCR_MASK_ALL))
			goto out;
		b->pcr_alg = alg;
		b->pcr_size = tp_pcr_size(alg);
		if (!b->pcr_size)
			goto out;
		for (i = 0; i < TP_PCR_COUNT; i++) {
			if (!(b->pcr_mask & (1u << i)))
				continue;
			if (end - off < b->pcr_size)
				goto out;
			memcpy(b->pcr_vals[i], in + off, b->pcr_size);
			off += b->pcr_size;
		}
	}
	pub_off = off;
	rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(in, end, &off, &b->pub);
	/* libtss2-mu does not check a nested TPM2B's size against what the
	 * inner structure consumed; a lying size would pass unnoticed. */
	if (rc || off - pub_off != sizeof(uint16_t) + b->pub.size)
		goto out;
	rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(in, end, &off, &b->priv);
	if (rc || off != end || !plausible_object(&b->pub.publicArea) || !b->priv.size)
		goto out;
	/* The object's policy must match what the header says it is. */
	if (b->has_pcrs != !(b->pub.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH))
		goto out;
	ret = 0;
out:
	if (ret < 0)
		memset(b, 0, sizeof(*b));
	return ret;
}
