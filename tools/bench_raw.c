/* bench_raw.c - the primitives of `kerntok bench` on OpenSSL 3 directly: the
 * baseline the PKCS#11 numbers are compared with.  Each operation does what
 * a module must do per call at the least: a fresh EVP_PKEY_CTX / MD_CTX per
 * signature (the key parsed once), a cipher / digest / MAC context re-keyed
 * per message.  Module-only operations (find, login, ...) are "n/a". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include "bench.h"

typedef struct rctx {
	const bench_op *op;
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	EVP_CIPHER_CTX *cc;
	const EVP_CIPHER *cipher;
	const EVP_MD *sha256;
	EVP_MAC_CTX *mac;
	unsigned char *in, *out;
	unsigned char sig[1024];
	size_t siglen;
	unsigned char key[32], iv[16];
} rctx;

/* keys made once per process, shared by the threads (EVP_PKEY is) */
static struct {
	pthread_mutex_t lock;
	EVP_PKEY *k[BKEY_COUNT];
} keys = { PTHREAD_MUTEX_INITIALIZER, { NULL } };

static EVP_PKEY *genkey(enum bench_key k)
{
	switch (k) {
	case BKEY_EC256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case BKEY_EC384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case BKEY_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case BKEY_RSA2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case BKEY_RSA3072: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	default: return NULL;
	}
}

static EVP_PKEY *key_of(enum bench_key k)
{
	EVP_PKEY *p;

	pthread_mutex_lock(&keys.lock);
	if (keys.k[k] == NULL)
		keys.k[k] = genkey(k);
	p = keys.k[k];
	pthread_mutex_unlock(&keys.lock);
	return p;
}

static bool is_ec(const bench_op *op) { return op->key == BKEY_EC256 || op->key == BKEY_EC384; }

/* hash-and-sign (RSA, Ed25519) through EVP_DigestSign/Verify */
static int digest_init(rctx *c, bool sign)
{
	EVP_PKEY_CTX *pc = NULL;
	const EVP_MD *md = c->op->key == BKEY_ED25519 ? NULL : c->sha256;
	int ok = sign ? EVP_DigestSignInit(c->md, &pc, md, NULL, c->pk)
	              : EVP_DigestVerifyInit(c->md, &pc, md, NULL, c->pk);

	if (ok > 0 && c->op->mech == CKM_SHA256_RSA_PKCS_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pc, c->sha256) > 0;
	return ok > 0;
}

static CK_RV r_sign(void *p)
{
	rctx *c = p;
	size_t len = sizeof c->sig;

	if (is_ec(c->op)) {              /* CKM_ECDSA: the input is the hash */
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, c->pk, NULL);
		int ok = pc && EVP_PKEY_sign_init(pc) > 0 &&
		         EVP_PKEY_sign(pc, c->sig, &len, c->in, c->op->len) > 0;
		EVP_PKEY_CTX_free(pc);
		c->siglen = len;
		return ok ? CKR_OK : CKR_FUNCTION_FAILED;
	}
	if (!digest_init(c, true) || EVP_DigestSign(c->md, c->sig, &len, c->in, c->op->len) <= 0)
		return CKR_FUNCTION_FAILED;
	c->siglen = len;
	return CKR_OK;
}

static CK_RV r_verify(void *p)
{
	rctx *c = p;

	if (is_ec(c->op)) {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, c->pk, NULL);
		int ok = pc && EVP_PKEY_verify_init(pc) > 0 &&
		         EVP_PKEY_verify(pc, c->sig, c->siglen, c->in, c->op->len) > 0;
		EVP_PKEY_CTX_free(pc);
		return ok ? CKR_OK : CKR_SIGNATURE_INVALID;
	}
	if (!digest_init(c, false) ||
	    EVP_DigestVerify(c->md, c->sig, c->siglen, c->in, c->op->len) <= 0)
		return CKR_SIGNATURE_INVALID;
	return CKR_OK;
}

static CK_RV r_encrypt(void *p)
{
	rctx *c = p;
	int n = 0, m = 0;

	c->iv[15]++;
	if (EVP_EncryptInit_ex2(c->cc, c->cipher, c->key, c->iv, NULL) <= 0)
		return CKR_FUNCTION_FAILED;
	EVP_CIPHER_CTX_set_padding(c->cc, 0);
	if (EVP_EncryptUpdate(c->cc, c->out, &n, c->in, (int)c->op->len) <= 0 ||
	    EVP_EncryptFinal_ex(c->cc, c->out + n, &m) <= 0)
		return CKR_FUNCTION_FAILED;
	if (c->op->mech == CKM_AES_GCM &&
	    EVP_CIPHER_CTX_ctrl(c->cc, EVP_CTRL_AEAD_GET_TAG, 16, c->out + n + m) <= 0)
		return CKR_FUNCTION_FAILED;
	return CKR_OK;
}

static CK_RV r_digest(void *p)
{
	rctx *c = p;
	unsigned int len;

	return EVP_DigestInit_ex2(c->md, c->sha256, NULL) > 0 &&
	       EVP_DigestUpdate(c->md, c->in, c->op->len) > 0 &&
	       EVP_DigestFinal_ex(c->md, c->out, &len) > 0 ? CKR_OK : CKR_FUNCTION_FAILED;
}

static CK_RV r_hmac(void *p)
{
	rctx *c = p;
	size_t len;

	return EVP_MAC_init(c->mac, c->key, sizeof c->key, NULL) > 0 &&
	       EVP_MAC_update(c->mac, c->in, c->op->len) > 0 &&
	       EVP_MAC_final(c->mac, c->out, &len, 64) > 0 ? CKR_OK : CKR_FUNCTION_FAILED;
}

static CK_RV r_random(void *p)
{
	rctx *c = p;

	return RAND_bytes(c->out, (int)c->op->len) > 0 ? CKR_OK : CKR_FUNCTION_FAILED;
}

static CK_RV r_keygen(void *p)
{
	rctx *c = p;
	EVP_PKEY *k;

	if (c->op->key == BKEY_AES256)
		return RAND_priv_bytes(c->key, sizeof c->key) > 0 ? CKR_OK : CKR_FUNCTION_FAILED;
	k = genkey(c->op->key);
	EVP_PKEY_free(k);
	return k ? CKR_OK : CKR_FUNCTION_FAILED;
}

static bench_fn raw_fn(const bench_op *op)
{
	switch (op->kind) {
	case BK_SIGN: return r_sign;
	case BK_VERIFY: return r_verify;
	case BK_ENCRYPT: return r_encrypt;
	case BK_DIGEST: return r_digest;
	case BK_HMAC: return r_hmac;
	case BK_RANDOM: return r_random;
	case BK_KEYGEN: return r_keygen;
	default: return NULL;
	}
}

/* Algorithms fetched once (explicit fetches: no per-call provider lookup,
 * the fastest way to use OpenSSL 3); never freed. */
static struct {
	EVP_MAC *hmac;
	EVP_MD *sha256;
	EVP_CIPHER *gcm, *cbc, *ctr;
} alg;

static void fetch_algs(void)
{
	alg.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	alg.sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	alg.gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	alg.cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	alg.ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
}

static bool rctx_init(rctx *c, const bench_op *op, unsigned char *in)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	memset(c, 0, sizeof *c);
	c->op = op;
	c->in = in;
	c->out = malloc(op->len + 1024);
	c->md = EVP_MD_CTX_new();
	c->cc = EVP_CIPHER_CTX_new();
	memset(c->key, 0x42, sizeof c->key);
	pthread_once(&once, fetch_algs);
	c->sha256 = alg.sha256;
	c->mac = alg.hmac ? EVP_MAC_CTX_new(alg.hmac) : NULL;
	if (c->mac != NULL) {
		OSSL_PARAM par[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA2-256", 0),
			OSSL_PARAM_construct_end() };
		if (EVP_MAC_CTX_set_params(c->mac, par) <= 0)
			return false;
	}
	switch (op->mech) {
	case CKM_AES_GCM: c->cipher = alg.gcm; break;
	case CKM_AES_CBC: c->cipher = alg.cbc; break;
	case CKM_AES_CTR: c->cipher = alg.ctr; break;
	}
	if ((op->kind == BK_SIGN || op->kind == BK_VERIFY) && (c->pk = key_of(op->key)) == NULL)
		return false;
	if (op->kind == BK_VERIFY && r_sign(c) != CKR_OK)
		return false;
	return c->out && c->md && c->cc && c->mac && c->sha256 &&
	       (op->kind != BK_ENCRYPT || c->cipher != NULL);
}

static void rctx_free(rctx *c)
{
	free(c->out);
	EVP_MD_CTX_free(c->md);
	EVP_CIPHER_CTX_free(c->cc);
	EVP_MAC_CTX_free(c->mac);
}

struct rth {
	pthread_t t;
	rctx c;
	double seconds;
	pthread_barrier_t *bar;
	unsigned long n;
	double el;
	CK_RV rv;
};

static void *rth_run(void *p)
{
	struct rth *t = p;

	pthread_barrier_wait(t->bar);
	t->rv = bench_loop(t->seconds, raw_fn(t->c.op), &t->c, &t->n, &t->el);
	return NULL;
}

void bench_raw_run(const bench_op *op, const bench_cfg *cfg, bench_res *r)
{
	int nt = cfg->threads, i, made = 0;
	struct rth *th;
	unsigned char *in;
	pthread_barrier_t bar;

	memset(r, 0, sizeof *r);
	if (raw_fn(op) == NULL) {
		snprintf(r->why, sizeof r->why, "module only");
		return;
	}
	th = calloc(nt, sizeof *th);
	in = malloc(op->len ? op->len : 1);
	if (th == NULL || in == NULL) {
		snprintf(r->why, sizeof r->why, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < op->len; k++)
		in[k] = (unsigned char)(k * 131 + 7);
	for (i = 0; i < nt; i++, made++)
		if (!rctx_init(&th[i].c, op, in)) {
			snprintf(r->why, sizeof r->why, "OpenSSL setup failed");
			made++;
			goto out;
		}
	pthread_barrier_init(&bar, NULL, nt);
	for (i = 0; i < nt; i++) {
		th[i].seconds = cfg->seconds;
		th[i].bar = &bar;
		pthread_create(&th[i].t, NULL, rth_run, &th[i]);
	}
	for (i = 0; i < nt; i++)
		pthread_join(th[i].t, NULL);
	pthread_barrier_destroy(&bar);
	r->ok = true;
	for (i = 0; i < nt; i++) {
		if (th[i].rv != CKR_OK) {
			r->ok = false;
			snprintf(r->why, sizeof r->why, "OpenSSL failed");
		}
		if (th[i].el > 0)
			r->ops_s += th[i].n / th[i].el;
	}
out:
	for (i = 0; th != NULL && i < made; i++)
		rctx_free(&th[i].c);
	free(th);
	free(in);
}
