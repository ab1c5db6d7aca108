/* seal.c - the little crypto the core needs for itself: sealing object
 * secrets and the storage key (AES-256-GCM, bound to a caller-given identity
 * through the AAD), deriving a key from a PIN, file MACs and randomness. */
#include <errno.h>
#include <sys/random.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "kt.h"

int kt_random(void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t r = getrandom(b, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* out = iv(12) | ciphertext(n) | tag(16) */
int kt_seal(const uint8_t key[KT_SK_LEN], const uint8_t *aad, size_t aadlen,
            const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, r = -EIO;

	if (c == NULL)
		return -ENOMEM;
	if (kt_random(out, 12) < 0)
		goto out;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    (aadlen && EVP_EncryptUpdate(c, NULL, &l, aad, (int)aadlen) != 1) ||
	    (n && EVP_EncryptUpdate(c, out + 12, &l, in, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(c, out + 12 + n, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + n) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* -EBADMSG when the tag does not verify (wrong key, damage, moved blob);
 * nothing is left in `out` then. */
int kt_unseal(const uint8_t key[KT_SK_LEN], const uint8_t *aad, size_t aadlen,
              const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	size_t m;
	int l, r = -EBADMSG;

	if (n < 28)
		return -EBADMSG;
	m = n - 28;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		return -ENOMEM;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) != 1 ||
	    (aadlen && EVP_DecryptUpdate(c, NULL, &l, aad, (int)aadlen) != 1) ||
	    (m && EVP_DecryptUpdate(c, out, &l, in + 12, (int)m) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + 12 + m)) != 1 ||
	    EVP_DecryptFinal_ex(c, out + m, &l) != 1) {
		kt_wipe(out, m);
		goto out;
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int kt_pin_kek(const uint8_t *pin, size_t pinlen, const uint8_t salt[16],
               uint32_t iter, uint8_t kek[KT_SK_LEN])
{
	if (iter < KT_KDF_ITER)
		return -EINVAL;           /* a damaged or forged meta must not weaken the KDF */
	if (PKCS5_PBKDF2_HMAC((const char *)pin, (int)pinlen, salt, 16, (int)iter,
	                      EVP_sha256(), KT_SK_LEN, kek) != 1)
		return -EIO;
	return 0;
}

int kt_mac(const uint8_t key[32], const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int l = 32;

	return HMAC(EVP_sha256(), key, 32, p, n, out, &l) ? 0 : -EIO;
}

bool kt_memeq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
