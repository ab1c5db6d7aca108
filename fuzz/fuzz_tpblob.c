/* fuzz_tpblob.c - tp_blob_parse (tpm/tp_blob.c): the at-rest format of a
 * TPM-sealed secret, parsed before any TPM is asked.  No TPM needed.
 *
 * The blob ends in sha256 of the rest (damage detection, not a MAC).  Mode
 * byte bit 0 set: the target rewrites that hash, so the fuzzer reaches the
 * structure parsing.  Properties: a rejected blob leaves the struct zeroed;
 * an accepted one rebuilds (tp_blob_build) to the identical bytes. */
#include <errno.h>
#include <openssl/evp.h>
#include "fz.h"
#include "tp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct tp_blob b, zero;
	uint8_t *p, *out = NULL;
	size_t pn, on = 0;
	int r;

	if (n == 0)
		return 0;
	pn = n - 1;
	p = malloc(pn ? pn : 1);
	if (p == NULL)
		return 0;
	memcpy(p, d + 1, pn);
	if ((d[0] & 1) && pn >= 36) {
		unsigned int l = 0;
		EVP_Digest(p, pn - 32, p + pn - 32, &l, EVP_sha256(), NULL);
	}
	memset(&zero, 0, sizeof zero);
	r = tp_blob_parse(p, pn, &b);
	if (r < 0) {
		FZ_ASSERT(r == -EINVAL || r == -EIO, "parse rc %d", r);
		FZ_ASSERT(memcmp(&b, &zero, sizeof b) == 0, "a rejected blob left data behind");
		goto out;
	}
	FZ_ASSERT(b.parent.size <= sizeof b.parent.name, "parent name size %u", b.parent.size);
	FZ_ASSERT(!b.has_pcrs || (b.pcr_mask && b.pcr_size), "PCR policy without PCRs");
	r = tp_blob_build(&b, &out, &on);
	FZ_ASSERT(r == 0, "an accepted blob does not rebuild: %d", r);
	FZ_ASSERT(on == pn && memcmp(out, p, pn) == 0,
	          "rebuild differs from the accepted blob (%zu vs %zu bytes)", on, pn);
out:
	free(out);
	free(p);
	return 0;
}
