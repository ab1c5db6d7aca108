/*
 * kc_digest.c - one-shot digest, HMAC and CMAC.
 *
 * These skip the kc_md object: OpenSSL runs straight on the prefetched
 * EVP_MD / a cloned MAC template, and the kernel path is one accept (plus
 * socket/bind/setkey when keyed), one send and one read.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

/* Kernel one-shot on a hash-type tfm; tfm < 0: build a keyed one. */
static int kern_oneshot(int tfm, const char *name, const uint8_t *key, size_t klen,
			const uint8_t *in, size_t n, uint8_t *out, size_t dlen)
{
	struct iovec ti = { (void *)in, n }, ri = { out, dlen };
	int own = -1, op = -1, rc;

	if (tfm < 0) {
		own = tfm = kc__af_tfm("hash", name);
		if (tfm < 0)
			return tfm;
		rc = kc__af_setkey(tfm, key, klen);
		if (rc)
			goto out;
	}
	op = rc = kc__af_accept(tfm);
	if (op < 0)
		goto out;
	rc = n ? kc__af_send(op, &ti, 1, -1, NULL, 0, -1, 1) : 0;
	if (!rc)
		rc = kc__af_read(op, &ri, 1);
	if (!rc)
		kc__count_kernel();
out:
	kc__af_close(&op);
	kc__af_close(&own);
	return rc;
}

static int ossl_mac(EVP_MAC_CTX *x, const uint8_t *key, size_t klen,
		    const uint8_t *in, size_t n, uint8_t *out, size_t dlen)
{
	static const uint8_t nokey;
	size_t l;
	int rc = -ENOTSUP;

	if (!x)
		goto out;
	rc = -EIO;
	if (!EVP_MAC_init(x, key ? key : &nokey, klen, NULL) ||
	    !EVP_MAC_update(x, in, n) || !EVP_MAC_final(x, out, &l, dlen))
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(x);   /* cleanses the key */
	return rc;
}

int kc_digest(kc_hash_alg alg, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	const struct kc_caps *caps = kc__caps();
	size_t dlen = kc_hash_len(alg);
	unsigned int l;
	int rc;

	if (!dlen || (!in && n))
		return -EINVAL;
	if (!kc__outcheck(out, outlen, dlen, &rc))
		return rc;
	if (kc__pick(caps->hash[alg], n) == KC_ENG_KERN) {
		rc = kern_oneshot(caps->hash_tfm[alg], NULL, NULL, 0, in, n, out, dlen);
		if (!rc || kc__mode() == KC_MODE_KERNEL)
			goto out;
	}
	/* forced kernel mode reports kernel failures; auto falls back */
	rc = !kc__md(alg) ? -ENOTSUP : EVP_Digest(in, n, out, &l, kc__md(alg), NULL) ? 0 : -EIO;
out:
	*outlen = rc ? 0 : dlen;
	return rc;
}

int kc_hmac(kc_hash_alg alg, const uint8_t *key, size_t klen,
	    const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	const struct kc_caps *caps = kc__caps();
	size_t dlen = kc_hash_len(alg);
	char name[64];
	int rc;

	if (!dlen || (!key && klen) || (!in && n))
		return -EINVAL;
	if (!kc__outcheck(out, outlen, dlen, &rc))
		return rc;
	if (kc__pick(caps->hmac[alg] && klen, n) == KC_ENG_KERN) {
		snprintf(name, sizeof(name), "hmac(%s)", kc__hash_kname[alg]);
		rc = kern_oneshot(-1, name, key, klen, in, n, out, dlen);
		if (!rc || kc__mode() == KC_MODE_KERNEL)
			goto out;
	}
	rc = ossl_mac(kc__hmac_ctx(alg), key, klen, in, n, out, dlen);
out:
	*outlen = rc ? 0 : dlen;
	return rc;
}

int kc_cmac(const uint8_t *key, size_t klen, const uint8_t *in, size_t n,
	    uint8_t *out, size_t *outlen)
{
	const struct kc_caps *caps = kc__caps();
	int rc;

	if (!key || !kc__aes_klen_ok(klen) || (!in && n))
		return -EINVAL;
	if (!kc__outcheck(out, outlen, 16, &rc))
		return rc;
	if (kc__pick(caps->cmac, n) == KC_ENG_KERN) {
		rc = kern_oneshot(-1, "cmac(aes)", key, klen, in, n, out, 16);
		if (!rc || kc__mode() == KC_MODE_KERNEL)
			goto out;
	}
	rc = ossl_mac(kc__cmac_ctx(klen), key, klen, in, n, out, 16);
out:
	*outlen = rc ? 0 : 16;
	return rc;
}
