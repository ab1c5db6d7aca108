/*
 * kc_ossl.c - libcrypto objects fetched once, plus the EVP loops shared by
 * the cipher code.
 *
 * OpenSSL 3 resolves an algorithm name to a provider implementation on every
 * implicit fetch (EVP_sha256(), EVP_aes_128_cbc() in an init call, a
 * "digest" parameter on a MAC): a locked store lookup that costs more than
 * hashing 64 bytes.  So everything is fetched once in kc_init() and reused;
 * HMAC/CMAC contexts are cloned from keyless templates that already carry
 * their digest/cipher.  The objects live until exit (valgrind: reachable).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "kc_priv.h"

static const char *const md_names[KC_NHASH] = {
	"SHA1", "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512",
	"SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512",
};
static const char *const mode_names[4] = { "ECB", "CBC", "CTR", "GCM" };

static EVP_MD *mds[KC_NHASH];
static EVP_CIPHER *ciphers[4][3];    /* [mode][klen 16/24/32] */
static EVP_CIPHER *wraps[2][3];      /* [pad][klen] */
static EVP_MAC_CTX *hmac_tmpl[KC_NHASH];
static EVP_MAC_CTX *cmac_tmpl[3];

static int kidx(size_t klen)
{
	return klen == 16 ? 0 : klen == 24 ? 1 : klen == 32 ? 2 : -1;
}

/* A keyless HMAC context clones fine, but OpenSSL 3.0 refuses to clone a
 * CMAC context that was never keyed: CMAC templates carry an all-zero key
 * (klen > 0), replaced by EVP_MAC_init on every clone. */
static EVP_MAC_CTX *mac_template(EVP_MAC *mac, const char *param, const char *value,
				 size_t klen)
{
	static const uint8_t zero[32];
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_utf8_string(param, (char *)value, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *x = EVP_MAC_CTX_new(mac);

	if (x && (!EVP_MAC_CTX_set_params(x, p) || (klen && !EVP_MAC_init(x, zero, klen, NULL)))) {
		EVP_MAC_CTX_free(x);
		x = NULL;
	}
	return x;
}

/* Called once from kc_init.  A missing algorithm (e.g. a FIPS provider
 * without SHA-1) only disables that algorithm; -EIO only when the default
 * set is unusable. */
int kc__ossl_init(void)
{
	char name[32];
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC *cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	static const int bits[3] = { 128, 192, 256 };

	for (int i = 0; i < KC_NHASH; i++) {
		mds[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
		if (hmac && mds[i])
			hmac_tmpl[i] = mac_template(hmac, OSSL_MAC_PARAM_DIGEST, md_names[i], 0);
	}
	for (int k = 0; k < 3; k++) {
		for (int m = 0; m < 4; m++) {
			snprintf(name, sizeof(name), "AES-%d-%s", bits[k], mode_names[m]);
			ciphers[m][k] = EVP_CIPHER_fetch(NULL, name, NULL);
		}
		snprintf(name, sizeof(name), "AES-%d-WRAP", bits[k]);
		wraps[0][k] = EVP_CIPHER_fetch(NULL, name, NULL);
		snprintf(name, sizeof(name), "AES-%d-WRAP-PAD", bits[k]);
		wraps[1][k] = EVP_CIPHER_fetch(NULL, name, NULL);
		snprintf(name, sizeof(name), "AES-%d-CBC", bits[k]);
		if (cmac)
			cmac_tmpl[k] = mac_template(cmac, OSSL_MAC_PARAM_CIPHER, name, (size_t)bits[k] / 8);
	}
	/* the templates hold their own references */
	EVP_MAC_free(hmac);
	EVP_MAC_free(cmac);
	return mds[KC_SHA256] && ciphers[KC_AES_CBC][0] && hmac_tmpl[KC_SHA256] ? 0 : -EIO;
}

const EVP_MD *kc__md(kc_hash_alg alg)
{
	kc__caps();
	return (unsigned)alg < KC_NHASH ? mds[alg] : NULL;
}

const EVP_CIPHER *kc__cipher(kc_mode mode, size_t klen)
{
	int k = kidx(klen);

	kc__caps();
	return (unsigned)mode < 4 && k >= 0 ? ciphers[mode][k] : NULL;
}

const EVP_CIPHER *kc__wrap_cipher(int pad, size_t klen)
{
	int k = kidx(klen);

	kc__caps();
	return k >= 0 ? wraps[!!pad][k] : NULL;
}

EVP_MAC_CTX *kc__hmac_ctx(kc_hash_alg alg)
{
	kc__caps();
	return (unsigned)alg < KC_NHASH && hmac_tmpl[alg] ? EVP_MAC_CTX_dup(hmac_tmpl[alg]) : NULL;
}

EVP_MAC_CTX *kc__cmac_ctx(size_t klen)
{
	int k = kidx(klen);

	kc__caps();
	return k >= 0 && cmac_tmpl[k] ? EVP_MAC_CTX_dup(cmac_tmpl[k]) : NULL;
}

/* EVP_CipherUpdate over a size_t length (EVP counts in int). */
int kc__ossl_crypt(EVP_CIPHER_CTX *x, uint8_t *out, size_t *outlen, const uint8_t *in, size_t n)
{
	const size_t step = (size_t)1 << 30;   /* block multiple, fits an int */
	size_t done = 0, w = 0;
	int l;

	while (done < n) {
		size_t len = n - done < step ? n - done : step;

		if (!EVP_CipherUpdate(x, out ? out + w : NULL, &l, in + done, (int)len))
			return -EIO;
		w += (size_t)l;
		done += len;
	}
	if (outlen)
		*outlen = w;
	return 0;
}

/*
 * Whole AES-GCM message on OpenSSL.  Encrypt writes taglen bytes to tag;
 * decrypt checks tag and wipes out on mismatch (-EBADMSG), since EVP has
 * already written the unauthenticated plaintext there.
 */
int kc__ossl_gcm(int enc, const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
		 const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n,
		 uint8_t *tag, size_t taglen, uint8_t *out)
{
	const EVP_CIPHER *ci = kc__cipher(KC_AES_GCM, klen);
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &ivlen),
		OSSL_PARAM_construct_end(),
	};
	EVP_CIPHER_CTX *x = NULL;
	uint8_t fin[16];
	int l, rc = -EIO;

	if (!ci) {
		rc = -ENOTSUP;
		goto out;
	}
	x = EVP_CIPHER_CTX_new();
	if (!x) {
		rc = -ENOMEM;
		goto out;
	}
	/* the IV length must be set before the IV itself is loaded */
	if (!EVP_CipherInit_ex2(x, ci, NULL, NULL, enc, ivlen != 12 ? p : NULL) ||
	    !EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL))
		goto out;
	if (aadlen && kc__ossl_crypt(x, NULL, NULL, aad, aadlen))
		goto out;
	if (n && kc__ossl_crypt(x, out, NULL, in, n))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)taglen, tag))
		goto out;
	if (EVP_CipherFinal_ex(x, fin, &l) <= 0) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)taglen, tag))
		goto out;
	rc = 0;
out:
	if (rc && !enc && n)
		OPENSSL_cleanse(out, n);
	EVP_CIPHER_CTX_free(x);      /* cleanses the key schedule */
	return rc;
}
