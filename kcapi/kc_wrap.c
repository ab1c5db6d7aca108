/*
 * kc_wrap.c - AES key wrap, RFC 3394 (KW) and RFC 5649 (KWP), default ICVs.
 *
 * Always OpenSSL: wrapped keys are a few dozen bytes, far below where AF_ALG
 * pays, and the kernel only has kw(aes) with its own IV conventions and no
 * KWP at all.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

int kc_aes_wrap(int pad, int enc, const uint8_t *key, size_t klen,
		const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	const EVP_CIPHER *ci = kc__wrap_cipher(pad, klen);
	EVP_CIPHER_CTX *x = NULL;
	uint8_t fin[32];
	size_t need;
	int l = 0, l2, rc = -EINVAL;

	if (!key || !kc__aes_klen_ok(klen) || !in || n > 0x7fffffff)
		return -EINVAL;
	/* RFC 3394 wraps >= 2 semiblocks; RFC 5649 any 1..2^32-1 bytes */
	if (enc ? (pad ? n < 1 : n < 16 || n % 8) : n < (pad ? 16u : 24u) || n % 8)
		return -EINVAL;
	need = enc ? ((n + 7) & ~(size_t)7) + 8 : n - 8;
	if (!kc__outcheck(out, outlen, need, &rc))
		return rc;
	rc = -ENOTSUP;
	if (!ci)
		goto out;
	rc = -ENOMEM;
	x = EVP_CIPHER_CTX_new();
	if (!x)
		goto out;
	/* EVP refuses wrap modes unless asked explicitly */
	EVP_CIPHER_CTX_set_flags(x, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	rc = -EIO;
	if (!EVP_CipherInit_ex2(x, ci, key, NULL, enc, NULL))
		goto out;
	/* the whole (un)wrap happens in one update; failure = integrity */
	if (EVP_CipherUpdate(x, out, &l, in, (int)n) <= 0 || EVP_CipherFinal_ex(x, fin, &l2) <= 0) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	rc = 0;
out:
	if (rc && !enc)
		OPENSSL_cleanse(out, need);
	EVP_CIPHER_CTX_free(x);
	*outlen = rc ? 0 : (size_t)l;
	return rc;
}
