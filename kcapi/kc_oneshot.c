/*
 * kc_oneshot.c - kc_aes_oneshot: a whole AES message in one call.
 *
 * No kc_cipher object: OpenSSL gets a throwaway EVP_CIPHER_CTX on the
 * prefetched cipher, the kernel a throwaway tfm and one op socket, and both
 * read the caller's buffers directly (in == out is fine).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

static int ossl_plain(kc_mode mode, int enc, const uint8_t *key, size_t klen,
		      const uint8_t *iv, const uint8_t *in, size_t n, uint8_t *out)
{
	const EVP_CIPHER *ci = kc__cipher(mode, klen);
	EVP_CIPHER_CTX *x = NULL;
	uint8_t fin[32];
	int l, rc = -ENOTSUP;

	if (!ci)
		goto out;
	rc = -ENOMEM;
	x = EVP_CIPHER_CTX_new();
	if (!x)
		goto out;
	rc = -EIO;
	if (!EVP_CipherInit_ex2(x, ci, key, mode == KC_AES_ECB ? NULL : iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(x, 0) || kc__ossl_crypt(x, out, NULL, in, n) ||
	    EVP_CipherFinal_ex(x, fin, &l) <= 0)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(x);     /* cleanses the key schedule */
	return rc;
}

/* The kernel path; returns 1 in *done when it produced the answer. */
static int kern(kc_mode mode, int enc, const uint8_t *key, size_t klen, const uint8_t *iv,
		const uint8_t *aad, size_t aadlen, size_t taglen, const uint8_t *in,
		size_t n, uint8_t *out)
{
	int tfm, rc;

	tfm = kc__af_tfm(mode == KC_AES_GCM ? "aead" : "skcipher", kc__mode_kname[mode]);
	if (tfm < 0)
		return tfm;
	rc = kc__af_setkey(tfm, key, klen);
	if (rc)
		goto out;
	if (mode != KC_AES_GCM)
		rc = kc__af_skcipher(tfm, enc, mode == KC_AES_ECB ? NULL : iv, in, n, out);
	else if (enc)
		rc = kc__af_gcm(tfm, 1, iv, aad, aadlen, in, n, out + n, taglen, out);
	else
		rc = kc__af_gcm(tfm, 0, iv, aad, aadlen, in, n - taglen,
				(uint8_t *)in + n - taglen, taglen, out);
out:
	kc__af_close(&tfm);
	return rc;
}

int kc_aes_oneshot(kc_mode mode, int enc, const uint8_t *key, size_t klen,
		   const uint8_t *iv, size_t ivlen, const uint8_t *aad, size_t aadlen,
		   size_t taglen, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	const struct kc_caps *caps = kc__caps();
	size_t need = n;
	int has, rc = -EINVAL;

	enc = !!enc;
	if ((unsigned)mode > KC_AES_GCM || !key || !kc__aes_klen_ok(klen) || (!in && n) ||
	    (!aad && aadlen))
		return -EINVAL;
	switch (mode) {
	case KC_AES_ECB:
		if (n % 16)
			return -EINVAL;
		break;
	case KC_AES_CBC:
		if (n % 16 || !iv || ivlen != 16)
			return -EINVAL;
		break;
	case KC_AES_CTR:
		if (!iv || ivlen != 16)
			return -EINVAL;
		break;
	default:
		if (!iv || !ivlen || ivlen > KC_GCM_IV_MAX || taglen < 4 || taglen > 16 ||
		    (!enc && n < taglen))
			return -EINVAL;
		need = enc ? n + taglen : n - taglen;
	}
	if (!kc__outcheck(out, outlen, need, &rc))
		return rc;
	has = caps->mode[mode] && kc__aes_auto_ok(mode);
	if (mode == KC_AES_GCM)
		has = has && ivlen == 12 && kc__af_gcm_taglen_ok(taglen) &&
		      aadlen + n + taglen <= caps->aead_max;
	if (kc__pick(has, n) == KC_ENG_KERN) {
		rc = kern(mode, enc, key, klen, iv, aad, aadlen, taglen, in, n, out);
		/* a tag mismatch is an answer; other failures fall back in auto */
		if (!rc || rc == -EBADMSG || kc__mode() == KC_MODE_KERNEL)
			goto out;
	}
	if (mode == KC_AES_GCM)
		rc = enc ? kc__ossl_gcm(1, key, klen, iv, ivlen, aad, aadlen, in, n, out + n, taglen, out)
			 : kc__ossl_gcm(0, key, klen, iv, ivlen, aad, aadlen, in, n - taglen,
					(uint8_t *)in + n - taglen, taglen, out);
	else
		rc = ossl_plain(mode, enc, key, klen, iv, in, n, out);
out:
	*outlen = rc ? 0 : need;
	return rc;
}
