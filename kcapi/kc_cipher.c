/*
 * kc_cipher.c - streaming AES object: argument checks, the message state
 * machine, the per-message engine choice and the OpenSSL side.  The
 * AF_ALG side is in kc_cipher_kern.c.
 *
 * One EVP_CIPHER_CTX per object, keyed once and re-armed with each IV, so a
 * message costs no allocation and no key schedule.  An object that may send
 * messages to the kernel keeps a copy of its key (wiped on free) because the
 * engine is chosen per message from the first chunk size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include "kc_priv.h"

static int ossl_key(kc_cipher *c, const uint8_t *key)
{
	const EVP_CIPHER *ci = kc__cipher(c->mode, c->klen);

	if (c->x)
		return 0;
	if (!ci || !key)
		return -ENOTSUP;
	c->x = EVP_CIPHER_CTX_new();
	if (!c->x)
		return -ENOMEM;
	if (!EVP_CipherInit_ex2(c->x, ci, key, NULL, c->enc, NULL))
		return -EIO;
	c->ossl_ivlen = (size_t)EVP_CIPHER_CTX_get_iv_length(c->x);
	return 0;
}

/* Arm the EVP context for a new message with the current IV. */
static int ossl_begin(kc_cipher *c)
{
	OSSL_PARAM p[2] = {
		OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &c->ivlen),
		OSSL_PARAM_construct_end(),
	};
	int rc = ossl_key(c, c->have_key ? c->key : NULL);

	if (rc)
		return rc;
	if (c->mode == KC_AES_GCM && c->ivlen != c->ossl_ivlen) {
		if (!EVP_CIPHER_CTX_set_params(c->x, p))
			return -EIO;
		c->ossl_ivlen = c->ivlen;
	}
	/* NULL key keeps the schedule; this also drops any partial block */
	if (!EVP_CipherInit_ex2(c->x, NULL, NULL, c->mode == KC_AES_ECB ? NULL : c->iv, c->enc, NULL))
		return -EIO;
	if (c->mode <= KC_AES_CBC && !EVP_CIPHER_CTX_set_padding(c->x, 0))
		return -EIO;
	return 0;
}

/* Counter values left before the low ctr_bits of the IV wrap. */
static void ctr_budget(kc_cipher *c)
{
	unsigned __int128 v = 0, mask;

	if (c->ctr_bits >= 128)
		return;
	for (int i = 0; i < 16; i++)
		v = v << 8 | c->iv[i];
	mask = ((unsigned __int128)1 << c->ctr_bits) - 1;
	c->ctr_left = mask - (v & mask) + 1;
}

/* Choose and set up this message's engine (first AAD, data or final). */
static int start(kc_cipher *c, size_t n)
{
	int rc;

	if (c->state == KC_S_NEEDIV)
		return -EINVAL;
	if (c->eng != KC_ENG_NONE)
		return 0;
	if (c->by_serial)
		c->eng = KC_ENG_KERN;
	else if (!c->kern_ok)
		c->eng = KC_ENG_OSSL;
	else if (c->mode == KC_AES_GCM)
		/* the kernel needs the whole GCM message at once: only when forced */
		c->eng = kc__mode() == KC_MODE_KERNEL && c->ivlen == 12 ? KC_ENG_KERN : KC_ENG_OSSL;
	else
		c->eng = kc__pick(kc__aes_auto_ok(c->mode), n);
	if (c->mode == KC_AES_CTR)
		ctr_budget(c);
	if (c->eng == KC_ENG_KERN) {
		rc = kc__ck_tfm(c);
		if (!rc || c->by_serial || kc__mode() == KC_MODE_KERNEL) {
			if (rc)
				c->eng = KC_ENG_NONE;
			return rc;
		}
		c->eng = KC_ENG_OSSL;   /* auto: the kernel let us down, use OpenSSL */
	}
	rc = ossl_begin(c);
	if (rc)
		c->eng = KC_ENG_NONE;
	return rc;
}

static void end_message(kc_cipher *c)
{
	kc__ck_end(c);
	c->state = c->mode == KC_AES_ECB ? KC_S_READY : KC_S_NEEDIV;
	c->eng = KC_ENG_NONE;
	c->total = 0;
	c->tag_set = 0;
	OPENSSL_cleanse(c->tag, sizeof(c->tag));
}

static kc_cipher *alloc_cipher(kc_mode mode, int enc, size_t klen)
{
	kc_cipher *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->mode = mode;
	c->enc = !!enc;
	c->klen = klen;
	c->tfm = c->op = -1;
	c->ctr_bits = 128;
	c->taglen = 16;
	end_message(c);
	return c;
}

int kc_cipher_new(kc_cipher **out, kc_mode mode, int encrypt, const uint8_t *key, size_t klen)
{
	kc_cipher *c = NULL;
	int rc = -EINVAL;

	if (!out)
		goto out;
	*out = NULL;
	if ((unsigned)mode > KC_AES_GCM || !key || !kc__aes_klen_ok(klen))
		goto out;
	rc = -ENOMEM;
	c = alloc_cipher(mode, encrypt, klen);
	if (!c)
		goto out;
	/* keep a key copy only if some message may really go to the kernel */
	c->kern_ok = kc__mode() != KC_MODE_OPENSSL && kc__caps()->mode[mode] &&
		     kc__aes_auto_ok(mode);
	if (c->kern_ok) {
		memcpy(c->key, key, klen);
		c->have_key = 1;
		rc = 0;
	} else {
		rc = ossl_key(c, key);    /* OpenSSL only: no copy kept */
	}
out:
	if (rc && c) {
		kc_cipher_free(c);
		c = NULL;
	}
	if (out)
		*out = c;
	return rc;
}

int kc_cipher_new_by_serial(kc_cipher **out, kc_mode mode, int encrypt,
			    int32_t key_serial, size_t klen)
{
	const struct kc_caps *caps = kc__caps();
	kc_cipher *c = NULL;
	int rc = -EINVAL;

	if (!out)
		goto out;
	*out = NULL;
	if ((unsigned)mode > KC_AES_GCM || !kc__aes_klen_ok(klen))
		goto out;
	rc = -ENOTSUP;
	if (kc__mode() == KC_MODE_OPENSSL || !caps->keyserial || !caps->mode[mode])
		goto out;
	rc = -ENOMEM;
	c = alloc_cipher(mode, encrypt, klen);
	if (!c)
		goto out;
	c->by_serial = 1;
	c->serial = key_serial;
	c->kern_ok = 1;
	rc = kc__ck_tfm(c);          /* fail now on a bad or unreadable key */
out:
	if (rc && c) {
		kc_cipher_free(c);
		c = NULL;
	}
	if (out)
		*out = c;
	return rc;
}

int kc_cipher_set_iv(kc_cipher *c, const uint8_t *iv, size_t ivlen)
{
	if (!c)
		return -EINVAL;
	if (c->mode == KC_AES_ECB ? ivlen != 0 :
	    c->mode == KC_AES_GCM ? !iv || !ivlen || ivlen > KC_GCM_IV_MAX : !iv || ivlen != 16)
		return -EINVAL;
	if (c->by_serial && c->mode == KC_AES_GCM && ivlen != 12)
		return -ENOTSUP;         /* kernel gcm(aes) takes 96-bit IVs only */
	end_message(c);
	if (ivlen)
		memcpy(c->iv, iv, ivlen);
	c->ivlen = ivlen;
	c->state = KC_S_READY;
	return 0;
}

int kc_cipher_set_ctr_bits(kc_cipher *c, unsigned bits)
{
	if (!c || c->mode != KC_AES_CTR || !bits || bits > 128 || c->state == KC_S_DATA)
		return -EINVAL;
	c->ctr_bits = bits;
	return 0;
}

int kc_cipher_set_tag_len(kc_cipher *c, size_t taglen)
{
	if (!c || c->mode != KC_AES_GCM || taglen < 4 || taglen > 16 || c->state == KC_S_DATA)
		return -EINVAL;
	if (c->by_serial && !kc__af_gcm_taglen_ok(taglen))
		return -ENOTSUP;
	c->taglen = taglen;
	return 0;
}

int kc_cipher_set_tag(kc_cipher *c, const uint8_t *tag, size_t n)
{
	if (!c || !tag || c->mode != KC_AES_GCM || c->enc || n < 4 || n > 16 ||
	    c->state == KC_S_NEEDIV)
		return -EINVAL;
	if (c->by_serial && !kc__af_gcm_taglen_ok(n))
		return -ENOTSUP;
	memcpy(c->tag, tag, n);
	c->taglen = n;
	c->tag_set = 1;
	return 0;
}

int kc_cipher_set_aad(kc_cipher *c, const uint8_t *aad, size_t n)
{
	int rc;

	if (!c || (!aad && n) || c->mode != KC_AES_GCM || c->state != KC_S_READY)
		return -EINVAL;
	rc = start(c, 0);
	if (rc || !n)
		goto out;
	if (c->eng == KC_ENG_KERN)
		rc = kc__buf_add(&c->aad, aad, n);
	else
		rc = kc__ossl_crypt(c->x, NULL, NULL, aad, n);
out:
	if (rc)
		end_message(c);
	return rc;
}

/* Most bytes update()/final() can write: the -ENOSPC / size-query answer. */
static size_t update_need(const kc_cipher *c, size_t n)
{
	switch (c->mode) {
	case KC_AES_ECB:
	case KC_AES_CBC:
		return ((size_t)(c->total % 16) + n) & ~(size_t)15;
	case KC_AES_CTR:
		return n;
	default:
		return c->enc ? n : 0;
	}
}

static size_t final_need(const kc_cipher *c)
{
	if (c->mode != KC_AES_GCM)
		return 0;
	if (c->enc)
		return c->data.len + c->taglen;
	if (c->tag_set)
		return c->data.len;
	return c->data.len >= c->taglen ? c->data.len - c->taglen : 0;
}

int kc_cipher_update(kc_cipher *c, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	size_t w = 0;
	uint64_t blocks;
	int rc = 0;

	if (!c || (!in && n) || !outlen || c->state == KC_S_NEEDIV)
		return -EINVAL;
	if (!kc__outcheck(out, outlen, update_need(c, n), &rc))
		return rc;
	if (!n)
		goto out;
	rc = start(c, n);
	if (rc)
		goto out;
	if (c->mode == KC_AES_CTR && c->ctr_bits < 128) {
		blocks = (c->total + n + 15) / 16;
		if (blocks > c->ctr_left) {
			rc = -EOVERFLOW;
			goto out;
		}
	}
	if (c->mode == KC_AES_GCM && (c->eng == KC_ENG_KERN || !c->enc))
		rc = kc__buf_add(&c->data, in, n);   /* released at final */
	else if (c->eng == KC_ENG_KERN)
		rc = kc__ck_update(c, in, n, out, &w);
	else
		rc = kc__ossl_crypt(c->x, out, &w, in, n);
	c->total += n;
	c->state = KC_S_DATA;
out:
	if (rc)
		end_message(c);
	*outlen = rc ? 0 : w;
	return rc;
}

/* OpenSSL GCM final: encrypt emits the tag, decrypt releases the held
 * ciphertext's plaintext only once the tag has verified. */
static int ossl_gcm_final(kc_cipher *c, uint8_t *out, size_t *w)
{
	uint8_t fin[32];
	const uint8_t *tag = c->tag;
	size_t ctlen = c->data.len;
	int l, rc = -EIO;

	if (c->enc) {
		if (EVP_CipherFinal_ex(c->x, fin, &l) <= 0 ||
		    !EVP_CIPHER_CTX_ctrl(c->x, EVP_CTRL_AEAD_GET_TAG, (int)c->taglen, out))
			goto out;
		*w = c->taglen;
		rc = 0;
		goto out;
	}
	if (!c->tag_set) {
		rc = -EINVAL;
		if (ctlen < c->taglen)
			goto out;
		ctlen -= c->taglen;
		tag = c->data.p + ctlen;
	}
	rc = -EIO;
	if ((ctlen && kc__ossl_crypt(c->x, out, NULL, c->data.p, ctlen)) ||
	    !EVP_CIPHER_CTX_ctrl(c->x, EVP_CTRL_AEAD_SET_TAG, (int)c->taglen, (void *)tag))
		goto out;
	if (EVP_CipherFinal_ex(c->x, fin, &l) <= 0) {
		rc = -EBADMSG;
		goto out;
	}
	*w = ctlen;
	rc = 0;
out:
	if (rc && !c->enc && ctlen)
		OPENSSL_cleanse(out, ctlen);
	return rc;
}

int kc_cipher_final(kc_cipher *c, uint8_t *out, size_t *outlen)
{
	uint8_t fin[32];
	size_t w = 0;
	int l, rc;

	if (!c || !outlen || c->state == KC_S_NEEDIV)
		return -EINVAL;
	if (!kc__outcheck(out, outlen, final_need(c), &rc))
		return rc;
	rc = start(c, 0);
	if (rc)
		goto out;
	if (c->mode <= KC_AES_CBC && c->total % 16) {
		rc = -EINVAL;            /* no padding: the data must fill blocks */
		goto out;
	}
	if (c->eng == KC_ENG_KERN)
		rc = kc__ck_final(c, out, &w);
	else if (c->mode == KC_AES_GCM)
		rc = ossl_gcm_final(c, out, &w);
	else
		rc = EVP_CipherFinal_ex(c->x, fin, &l) > 0 ? 0 : -EIO;
out:
	end_message(c);
	*outlen = rc ? 0 : w;
	return rc;
}

void kc_cipher_free(kc_cipher *c)
{
	if (!c)
		return;
	end_message(c);
	kc__af_close(&c->tfm);
	EVP_CIPHER_CTX_free(c->x);   /* cleanses the key schedule */
	kc__buf_free(&c->aad);
	kc__buf_free(&c->data);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}
