/*
 * kc_md.c - streaming digest, HMAC and (through kc_mac.c) AES-CMAC.
 *
 * The engine is chosen per message at its first non-empty chunk (see
 * kc__pick).  So that either engine can still be picked, an object that may
 * go to the kernel keeps a copy of its MAC key until it is freed; an
 * OpenSSL-only object hands the key to libcrypto at once and keeps none.
 *
 * Kernel side: one op socket per object, reused across messages (a hash op
 * socket restarts after the digest is read), and kc_md_dup clones it with
 * accept(), which exports/imports the partial hash state in the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

struct kc_md {
	int kind;           /* KC_K_HASH / HMAC / CMAC */
	int alg;            /* kc_hash_alg (unused for CMAC) */
	size_t dlen;        /* output length */
	int kern_ok;        /* the kernel may run this object's messages */
	int eng;            /* this message's engine; NONE before its first chunk */
	int err;            /* sticky failure of this message, reported by final */
	int ossl_ready;     /* mdx/macx initialised and still empty */
	EVP_MD_CTX *mdx;
	EVP_MAC_CTX *macx;
	int op;             /* AF_ALG op socket or -1 */
	uint8_t *key;       /* MAC key copy, only while kern_ok */
	size_t klen;
};

static const size_t hash_len[KC_NHASH] = { 20, 28, 32, 48, 64, 28, 32, 48, 64 };
static const size_t hash_blk[KC_NHASH] = { 64, 64, 64, 128, 128, 144, 136, 104, 72 };

size_t kc_hash_len(kc_hash_alg alg)
{
	return (unsigned)alg < KC_NHASH ? hash_len[alg] : 0;
}

size_t kc_hash_block(kc_hash_alg alg)
{
	return (unsigned)alg < KC_NHASH ? hash_blk[alg] : 0;
}

/* Start (or restart) the OpenSSL context for a new message.  key is the
 * caller's key for an OpenSSL-only object (it keeps no copy) and NULL
 * otherwise; a restart reuses the key libcrypto already holds. */
static int ossl_setup(kc_md *md, const uint8_t *key)
{
	static const uint8_t nokey;   /* EVP_MAC_init wants a pointer for "" */

	if (md->ossl_ready)
		return 0;
	if (md->kind == KC_K_HASH) {
		if (!md->mdx && !(md->mdx = EVP_MD_CTX_new()))
			return -ENOMEM;
		if (!EVP_DigestInit_ex2(md->mdx, kc__md(md->alg), NULL))
			return -EIO;
	} else {
		if (!md->macx) {
			md->macx = md->kind == KC_K_HMAC ? kc__hmac_ctx(md->alg) : kc__cmac_ctx(md->klen);
			if (!md->macx)
				return -ENOTSUP;
			if (!key)
				key = md->key ? md->key : &nokey;
		} else {
			key = NULL;
		}
		if (!EVP_MAC_init(md->macx, key, key ? md->klen : 0, NULL))
			return -EIO;
	}
	md->ossl_ready = 1;
	return 0;
}

static int kern_setup(kc_md *md)
{
	const struct kc_caps *caps = kc__caps();
	char name[64];
	int tfm, rc;

	if (md->op >= 0)            /* previous message ended with a read */
		return 0;
	if (md->kind == KC_K_HASH) {
		rc = kc__af_accept(caps->hash_tfm[md->alg]);
		goto out;
	}
	if (md->kind == KC_K_HMAC)
		snprintf(name, sizeof(name), "hmac(%s)", kc__hash_kname[md->alg]);
	else
		snprintf(name, sizeof(name), "cmac(aes)");
	tfm = kc__af_tfm("hash", name);
	if (tfm < 0)
		return tfm;
	rc = kc__af_setkey(tfm, md->key, md->klen);
	if (!rc)
		rc = kc__af_accept(tfm);
	close(tfm);                 /* the op socket holds the tfm */
out:
	if (rc >= 0) {
		md->op = rc;
		rc = 0;
	}
	return rc;
}

/* Pick this message's engine from its first chunk size. */
static int start(kc_md *md, size_t n)
{
	int rc;

	if (md->eng != KC_ENG_NONE)
		return 0;
	md->eng = md->kern_ok ? kc__pick(1, n) : KC_ENG_OSSL;
	if (md->eng == KC_ENG_KERN) {
		rc = kern_setup(md);
		if (!rc)
			return 0;
		/* forced kernel mode reports the failure; auto quietly falls back */
		if (kc__mode() == KC_MODE_KERNEL) {
			md->eng = KC_ENG_NONE;
			return rc;
		}
		md->eng = KC_ENG_OSSL;
	}
	return ossl_setup(md, NULL);
}

int kc__md_new(kc_md **out, int kind, int alg, const uint8_t *key, size_t klen)
{
	const struct kc_caps *caps = kc__caps();
	kc_md *md = NULL;
	int rc = -EINVAL;

	if (!out)
		goto out;
	*out = NULL;
	if (kind == KC_K_CMAC ? !kc__aes_klen_ok(klen) || !key
			      : (unsigned)alg >= KC_NHASH || (kind == KC_K_HMAC && !key))
		goto out;
	rc = -ENOMEM;
	md = calloc(1, sizeof(*md));
	if (!md)
		goto out;
	md->kind = kind;
	md->alg = alg;
	md->klen = klen;
	md->op = -1;
	md->dlen = kind == KC_K_CMAC ? 16 : hash_len[alg];
	if (kc__mode() != KC_MODE_OPENSSL)
		md->kern_ok = kind == KC_K_HASH ? caps->hash[alg] :
			      kind == KC_K_HMAC ? caps->hmac[alg] && klen : caps->cmac;
	if (md->kern_ok && klen) {
		md->key = malloc(klen);
		if (!md->key)
			goto out;
		memcpy(md->key, key, klen);
	}
	/* OpenSSL-only: set up now so the key need not be kept */
	rc = md->kern_ok ? 0 : ossl_setup(md, key);
out:
	if (rc && md) {
		kc_md_free(md);
		md = NULL;
	}
	if (out)
		*out = md;
	return rc;
}

int kc_md_new(kc_md **md, kc_hash_alg alg, const uint8_t *hmac_key, size_t klen)
{
	if (!hmac_key && klen)
		return -EINVAL;
	return kc__md_new(md, hmac_key ? KC_K_HMAC : KC_K_HASH, (int)alg, hmac_key, klen);
}

int kc_md_update(kc_md *md, const uint8_t *in, size_t n)
{
	struct iovec iov = { (void *)in, n };
	int rc;

	if (!md || (!in && n))
		return -EINVAL;
	if (md->err)
		return md->err;
	if (!n)
		return 0;
	rc = start(md, n);
	if (rc)
		goto out;
	if (md->eng == KC_ENG_KERN)
		rc = kc__af_send(md->op, &iov, 1, -1, NULL, 0, -1, 1);
	else if (md->kind == KC_K_HASH)
		rc = EVP_DigestUpdate(md->mdx, in, n) ? 0 : -EIO;
	else
		rc = EVP_MAC_update(md->macx, in, n) ? 0 : -EIO;
	md->ossl_ready = 0;
out:
	if (rc)
		md->err = rc;
	return rc;
}

int kc_md_final(kc_md *md, uint8_t *out, size_t *outlen)
{
	struct iovec iov;
	size_t l = 0;
	unsigned int ul = 0;
	int rc;

	if (!md)
		return -EINVAL;
	if (!kc__outcheck(out, outlen, md->dlen, &rc))
		return rc;
	rc = md->err;
	if (!rc)
		rc = start(md, 0);
	if (rc)
		goto out;
	if (md->eng == KC_ENG_KERN) {
		iov = (struct iovec){ out, md->dlen };
		rc = kc__af_read(md->op, &iov, 1);
		if (!rc)
			kc__count_kernel();
	} else if (md->kind == KC_K_HASH) {
		rc = EVP_DigestFinal_ex(md->mdx, out, &ul) ? 0 : -EIO;
	} else {
		rc = EVP_MAC_final(md->macx, out, &l, md->dlen) ? 0 : -EIO;
	}
out:
	/* a failed kernel message leaves the op socket mid-hash: drop it */
	if (rc)
		kc__af_close(&md->op);
	md->eng = KC_ENG_NONE;
	md->err = 0;
	md->ossl_ready = 0;
	*outlen = rc ? 0 : md->dlen;
	return rc;
}

int kc_md_dup(const kc_md *md, kc_md **copy)
{
	kc_md *c = NULL;
	int rc = -EINVAL, live;

	if (!md || !copy)
		goto out;
	*copy = NULL;
	rc = md->err;
	if (rc)
		goto out;
	rc = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	*c = *md;
	c->op = -1;
	c->mdx = NULL;
	c->macx = NULL;
	c->key = NULL;
	if (md->key) {
		c->key = malloc(md->klen);
		if (!c->key)
			goto out;
		memcpy(c->key, md->key, md->klen);
	}
	/* Copy libcrypto state only when it is live; a finished context is
	 * rebuilt on demand (from the key copy, if it is a MAC, else the MAC
	 * context is the only holder of the key and must be copied). */
	live = md->ossl_ready || md->eng == KC_ENG_OSSL;
	if (md->mdx && live &&
	    (!(c->mdx = EVP_MD_CTX_new()) || !EVP_MD_CTX_copy_ex(c->mdx, md->mdx)))
		goto out;
	if (md->macx && (live || !md->key) && !(c->macx = EVP_MAC_CTX_dup(md->macx)))
		goto out;
	c->ossl_ready = md->ossl_ready && (c->mdx || c->macx);
	if (md->eng == KC_ENG_KERN) {
		/* accept() on an op socket clones its partial hash state */
		rc = kc__af_accept(md->op);
		if (rc < 0)
			goto out;
		c->op = rc;
	}
	rc = 0;
out:
	if (rc && c) {
		kc_md_free(c);
		c = NULL;
	}
	if (copy)
		*copy = c;
	return rc;
}

void kc_md_free(kc_md *md)
{
	if (!md)
		return;
	kc__af_close(&md->op);
	EVP_MD_CTX_free(md->mdx);    /* both cleanse their state */
	EVP_MAC_CTX_free(md->macx);
	if (md->key) {
		OPENSSL_cleanse(md->key, md->klen);
		free(md->key);
	}
	OPENSSL_cleanse(md, sizeof(*md));
	free(md);
}
