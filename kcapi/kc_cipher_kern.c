/*
 * kc_cipher_kern.c - the AF_ALG side of kc_cipher.
 *
 * ECB/CBC/CTR stream through one op socket per message, always with
 * MSG_MORE and always in whole blocks, so every read returns exactly what
 * was sent (see kc_afalg.c for why a read must never ask for more):
 *  - ECB/CBC hold a partial block back in c->part until the next update;
 *  - CTR must not hold output back, so a partial tail is sent zero-padded
 *    to a block: the padding encrypts to keystream, which is kept in c->ks
 *    for the next update, while the kernel's counter has moved on by one.
 * GCM is one AEAD request at final() over the buffered AAD and data.
 */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

int kc__ck_tfm(kc_cipher *c)
{
	int rc;

	if (c->tfm >= 0)
		return 0;
	rc = kc__af_tfm(c->mode == KC_AES_GCM ? "aead" : "skcipher", kc__mode_kname[c->mode]);
	if (rc < 0)
		return rc;
	c->tfm = rc;
	rc = c->by_serial ? kc__af_setkey_serial(c->tfm, c->serial)
			  : kc__af_setkey(c->tfm, c->key, c->klen);
	if (rc)
		kc__af_close(&c->tfm);
	return rc;
}

/* Move len bytes from a source iovec cursor into at most max entries. */
static int take(struct iovec **v, int *n, size_t len, struct iovec *out, int max)
{
	int k = 0;

	while (len && *n && k < max) {
		size_t l = len < (*v)->iov_len ? len : (*v)->iov_len;

		out[k++] = (struct iovec){ (*v)->iov_base, l };
		(*v)->iov_base = (uint8_t *)(*v)->iov_base + l;
		(*v)->iov_len -= l;
		len -= l;
		if (!(*v)->iov_len) {
			(*v)++;
			(*n)--;
		}
	}
	return k;
}

/* Encrypt/decrypt len bytes (block multiple) from src into dst, chunked so
 * the socket's transmit queue never fills (a full queue waits for a read). */
static int xfer(kc_cipher *c, struct iovec *src, int ns, struct iovec *dst, int nd, size_t len)
{
	size_t chunk = kc__caps()->chunk;
	struct iovec ts[4], rs[4];
	int rc = 0, nts, nrs;

	if (c->op < 0) {
		rc = kc__af_accept(c->tfm);
		if (rc < 0)
			return rc;
		c->op = rc;
		c->ctl_pending = 1;
		rc = 0;
	}
	while (len && !rc) {
		size_t cl = len < chunk ? len : chunk;

		nts = take(&src, &ns, cl, ts, 4);
		nrs = take(&dst, &nd, cl, rs, 4);
		rc = kc__af_send(c->op, ts, nts, c->ctl_pending ? c->enc : -1,
				 c->ctl_pending && c->mode != KC_AES_ECB ? c->iv : NULL, 16, -1, 1);
		c->ctl_pending = 0;
		if (!rc)
			rc = kc__af_read(c->op, rs, nrs);
		len -= cl;
	}
	return rc;
}

static int ctr_update(kc_cipher *c, const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t blk[16] = { 0 }, ksb[16];
	struct iovec src[2], dst[2];
	size_t i = 0, full, t;
	int ns = 0, rc = 0;

	/* first use up the keystream left over from a previous partial block */
	for (; c->ks_pos < 16 && i < n; i++)
		out[i] = in[i] ^ c->ks[c->ks_pos++];
	full = (n - i) & ~(size_t)15;
	t = n - i - full;
	if (!full && !t)
		goto out;
	src[ns] = (struct iovec){ (void *)(in + i), full };
	dst[ns++] = (struct iovec){ out + i, full };
	if (t) {
		memcpy(blk, in + i + full, t);
		src[ns] = (struct iovec){ blk, 16 };
		dst[ns++] = (struct iovec){ ksb, 16 };
	}
	rc = xfer(c, src, ns, dst, ns, full + (t ? 16 : 0));
	if (rc || !t)
		goto out;
	memcpy(out + i + full, ksb, t);
	memcpy(c->ks, ksb, 16);       /* ks[t..15] = E(counter) ^ 0 */
	c->ks_pos = t;
out:
	OPENSSL_cleanse(blk, sizeof(blk));
	OPENSSL_cleanse(ksb, sizeof(ksb));
	return rc;
}

int kc__ck_update(kc_cipher *c, const uint8_t *in, size_t n, uint8_t *out, size_t *w)
{
	struct iovec src[2], dst[1];
	size_t m, keep;
	int rc;

	*w = 0;
	if (c->mode == KC_AES_CTR) {
		rc = ctr_update(c, in, n, out);
		if (!rc)
			*w = n;
		return rc;
	}
	m = (c->npart + n) & ~(size_t)15;      /* whole blocks available */
	if (!m) {
		memcpy(c->part + c->npart, in, n);
		c->npart += n;
		return 0;
	}
	src[0] = (struct iovec){ c->part, c->npart };
	src[1] = (struct iovec){ (void *)in, m - c->npart };
	dst[0] = (struct iovec){ out, m };
	rc = xfer(c, src, 2, dst, 1, m);
	if (rc)
		return rc;
	keep = c->npart + n - m;
	memcpy(c->part, in + (m - c->npart), keep);
	c->npart = keep;
	*w = m;
	return 0;
}

/* One AEAD request for the whole GCM message; OpenSSL (from the key copy)
 * when the request is beyond what this kernel/socket can take. */
static int gcm_final(kc_cipher *c, uint8_t *out, size_t *w)
{
	const struct kc_caps *caps = kc__caps();
	uint8_t *tag = c->enc ? NULL : c->tag;
	size_t len = c->data.len;
	int rc;

	if (!c->enc && !c->tag_set) {
		if (len < c->taglen)
			return -EINVAL;
		len -= c->taglen;
		tag = c->data.p + len;
	}
	if (c->enc)
		tag = out + len;        /* read straight behind the ciphertext */
	if (!kc__af_gcm_taglen_ok(c->taglen) || c->aad.len + len + c->taglen > caps->aead_max) {
		if (!c->have_key)
			return kc__af_gcm_taglen_ok(c->taglen) ? -EMSGSIZE : -ENOTSUP;
		rc = kc__ossl_gcm(c->enc, c->key, c->klen, c->iv, c->ivlen, c->aad.p, c->aad.len,
				  c->data.p, len, tag, c->taglen, out);
	} else {
		rc = kc__af_gcm(c->tfm, c->enc, c->iv, c->aad.p, c->aad.len, c->data.p, len,
				tag, c->taglen, out);
	}
	if (!rc)
		*w = len + (c->enc ? c->taglen : 0);
	return rc;
}

int kc__ck_final(kc_cipher *c, uint8_t *out, size_t *w)
{
	*w = 0;
	if (c->mode == KC_AES_GCM)
		return gcm_final(c, out, w);
	if (c->op >= 0)
		kc__count_kernel();     /* a message really went through AF_ALG */
	return 0;
}

/* Drop the current kernel message: its op socket and held-back bytes. */
void kc__ck_end(kc_cipher *c)
{
	kc__af_close(&c->op);
	c->ctl_pending = 0;
	OPENSSL_cleanse(c->part, sizeof(c->part));
	OPENSSL_cleanse(c->ks, sizeof(c->ks));
	c->npart = 0;
	c->ks_pos = 16;
	kc__buf_clear(&c->aad);
	kc__buf_clear(&c->data);
}
