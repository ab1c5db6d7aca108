/* bench_ops.c - what `kerntok bench` measures, and the timed loops over
 * PKCS#11.  One operation = what an application does per use: *Init + the
 * one-shot call (C_SignInit + C_Sign, C_EncryptInit + C_Encrypt, ...).
 * Threads each get a session of their own; with --shared-session they use
 * one, serialized by the application (as the spec requires of it). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "names.h"

#define KiB 1024
#define MiB (1024 * 1024)

#define SIGN(n, t, m, k, l, h)   { n, t, BK_SIGN, m, k, l, h }
#define VERIFY(n, t, m, k, l, h) { n, t, BK_VERIFY, m, k, l, h }
const bench_op bench_ops[] = {
	SIGN("ecdsa-p256-sign", "ECDSA P-256 sign", CKM_ECDSA, BKEY_EC256, 32, true),
	VERIFY("ecdsa-p256-verify", "ECDSA P-256 verify", CKM_ECDSA, BKEY_EC256, 32, true),
	SIGN("ecdsa-p384-sign", "ECDSA P-384 sign", CKM_ECDSA, BKEY_EC384, 48, false),
	VERIFY("ecdsa-p384-verify", "ECDSA P-384 verify", CKM_ECDSA, BKEY_EC384, 48, false),
	SIGN("ed25519-sign", "Ed25519 sign", CKM_EDDSA, BKEY_ED25519, 64, true),
	VERIFY("ed25519-verify", "Ed25519 verify", CKM_EDDSA, BKEY_ED25519, 64, false),
	SIGN("rsa2048-pkcs1-sign", "RSA-2048 PKCS#1 v1.5 SHA-256 sign", CKM_SHA256_RSA_PKCS,
	     BKEY_RSA2048, 64, true),
	VERIFY("rsa2048-pkcs1-verify", "RSA-2048 PKCS#1 v1.5 SHA-256 verify",
	       CKM_SHA256_RSA_PKCS, BKEY_RSA2048, 64, true),
	SIGN("rsa2048-pss-sign", "RSA-2048 PSS SHA-256 sign", CKM_SHA256_RSA_PKCS_PSS,
	     BKEY_RSA2048, 64, false),
	VERIFY("rsa2048-pss-verify", "RSA-2048 PSS SHA-256 verify", CKM_SHA256_RSA_PKCS_PSS,
	       BKEY_RSA2048, 64, false),
	SIGN("rsa3072-pkcs1-sign", "RSA-3072 PKCS#1 v1.5 SHA-256 sign", CKM_SHA256_RSA_PKCS,
	     BKEY_RSA3072, 64, false),
	VERIFY("rsa3072-pkcs1-verify", "RSA-3072 PKCS#1 v1.5 SHA-256 verify",
	       CKM_SHA256_RSA_PKCS, BKEY_RSA3072, 64, false),
	SIGN("rsa3072-pss-sign", "RSA-3072 PSS SHA-256 sign", CKM_SHA256_RSA_PKCS_PSS,
	     BKEY_RSA3072, 64, false),
	VERIFY("rsa3072-pss-verify", "RSA-3072 PSS SHA-256 verify", CKM_SHA256_RSA_PKCS_PSS,
	       BKEY_RSA3072, 64, false),
	{ "aes256-gcm-64", "AES-256-GCM encrypt 64 B", BK_ENCRYPT, CKM_AES_GCM, BKEY_AES256, 64, true },
	{ "aes256-gcm-4k", "AES-256-GCM encrypt 4 KiB", BK_ENCRYPT, CKM_AES_GCM, BKEY_AES256, 4 * KiB, true },
	{ "aes256-gcm-1m", "AES-256-GCM encrypt 1 MiB", BK_ENCRYPT, CKM_AES_GCM, BKEY_AES256, MiB, true },
	{ "aes256-cbc-64", "AES-256-CBC encrypt 64 B", BK_ENCRYPT, CKM_AES_CBC, BKEY_AES256, 64, false },
	{ "aes256-cbc-4k", "AES-256-CBC encrypt 4 KiB", BK_ENCRYPT, CKM_AES_CBC, BKEY_AES256, 4 * KiB, false },
	{ "aes256-cbc-1m", "AES-256-CBC encrypt 1 MiB", BK_ENCRYPT, CKM_AES_CBC, BKEY_AES256, MiB, false },
	{ "aes256-ctr-64", "AES-256-CTR encrypt 64 B", BK_ENCRYPT, CKM_AES_CTR, BKEY_AES256, 64, false },
	{ "aes256-ctr-4k", "AES-256-CTR encrypt 4 KiB", BK_ENCRYPT, CKM_AES_CTR, BKEY_AES256, 4 * KiB, false },
	{ "aes256-ctr-1m", "AES-256-CTR encrypt 1 MiB", BK_ENCRYPT, CKM_AES_CTR, BKEY_AES256, MiB, false },
	{ "sha256-64", "SHA-256 digest 64 B", BK_DIGEST, CKM_SHA256, BKEY_NONE, 64, true },
	{ "sha256-1m", "SHA-256 digest 1 MiB", BK_DIGEST, CKM_SHA256, BKEY_NONE, MiB, true },
	{ "hmac-sha256-64", "HMAC-SHA256 64 B", BK_HMAC, CKM_SHA256_HMAC, BKEY_HMAC, 64, true },
	{ "hmac-sha256-1m", "HMAC-SHA256 1 MiB", BK_HMAC, CKM_SHA256_HMAC, BKEY_HMAC, MiB, false },
	{ "random-32", "C_GenerateRandom 32 B", BK_RANDOM, 0, BKEY_NONE, 32, true },
	{ "random-4k", "C_GenerateRandom 4 KiB", BK_RANDOM, 0, BKEY_NONE, 4 * KiB, false },
	{ "keygen-ec-p256", "key pair generation EC P-256", BK_KEYGEN, CKM_EC_KEY_PAIR_GEN,
	  BKEY_EC256, 0, true },
	{ "keygen-ed25519", "key pair generation Ed25519", BK_KEYGEN, CKM_EC_EDWARDS_KEY_PAIR_GEN,
	  BKEY_ED25519, 0, false },
	{ "keygen-rsa2048", "key pair generation RSA-2048", BK_KEYGEN, CKM_RSA_PKCS_KEY_PAIR_GEN,
	  BKEY_RSA2048, 0, false },
	{ "keygen-aes256", "key generation AES-256", BK_KEYGEN, CKM_AES_KEY_GEN, BKEY_AES256, 0, true },
	{ "find-label-10k", "C_FindObjects by label, 10,000 objects", BK_FIND, 0, BKEY_NONE, 0, true },
	{ "login-1k", "C_OpenSession + C_Login, 1,000 objects", BK_LOGIN, 0, BKEY_NONE, 0, true },
	{ "xproc-visible", "created -> found by another process", BK_XPROC,
	  0, BKEY_NONE, 0, true },
	/* last: it finalizes and restarts the module */
	{ "init-login", "C_Initialize + C_OpenSession + C_Login", BK_INIT, 0, BKEY_NONE, 0, true },
};
const size_t bench_nops = sizeof bench_ops / sizeof bench_ops[0];

const char *bench_rvname(CK_RV rv)
{
	static __thread char buf[48];
	const char *n = kt_name_rv(rv);

	if (n != NULL)
		return n;
	snprintf(buf, sizeof buf, "CK_RV 0x%lx", rv);
	return buf;
}

CK_RV bench_loop(double seconds, bench_fn one, void *ctx, unsigned long *n, double *elapsed)
{
	double t0 = bench_now(), end = t0 + seconds, now = t0;
	CK_RV rv = CKR_OK;

	*n = 0;
	while (now < end) {
		rv = one(ctx);
		if (rv != CKR_OK)
			break;
		(*n)++;
		now = bench_now();
	}
	*elapsed = now - t0;
	return rv;
}

/* ---- one operation, per kind ---- */

typedef struct octx {
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
	const bench_op *op;
	CK_MECHANISM mech;
	union {
		CK_GCM_PARAMS gcm;
		CK_AES_CTR_PARAMS ctr;
		CK_RSA_PKCS_PSS_PARAMS pss;
	} par;
	CK_BYTE iv[16];
	CK_OBJECT_HANDLE key, pub;
	CK_BYTE *in, *out;
	CK_ULONG outcap;
	CK_BYTE sig[1024];
	CK_ULONG siglen;
	unsigned seed;
	double untimed;                  /* keygen: time spent destroying the keys */
	pthread_mutex_t *serial;         /* --shared-session: the application's lock */
	bench_fn fn;                     /* the operation */
} octx;

static CK_RV one_sign(void *p)
{
	octx *c = p;
	CK_ULONG len = c->outcap;
	CK_RV rv = c->f->C_SignInit(c->s, &c->mech, c->key);

	return rv != CKR_OK ? rv : c->f->C_Sign(c->s, c->in, c->op->len, c->out, &len);
}

static CK_RV one_verify(void *p)
{
	octx *c = p;
	CK_RV rv = c->f->C_VerifyInit(c->s, &c->mech, c->pub);

	return rv != CKR_OK ? rv : c->f->C_Verify(c->s, c->in, c->op->len, c->sig, c->siglen);
}

static CK_RV one_encrypt(void *p)
{
	octx *c = p;
	CK_ULONG len = c->outcap;
	CK_RV rv;

	c->iv[15]++;                     /* a fresh IV / counter block per message */
	if (c->iv[15] == 0)
		c->iv[14]++;
	if (c->mech.mechanism == CKM_AES_CTR)
		memcpy(c->par.ctr.cb, c->iv, 16);
	rv = c->f->C_EncryptInit(c->s, &c->mech, c->key);
	return rv != CKR_OK ? rv : c->f->C_Encrypt(c->s, c->in, c->op->len, c->out, &len);
}

static CK_RV one_digest(void *p)
{
	octx *c = p;
	CK_ULONG len = c->outcap;
	CK_RV rv = c->f->C_DigestInit(c->s, &c->mech);

	return rv != CKR_OK ? rv : c->f->C_Digest(c->s, c->in, c->op->len, c->out, &len);
}

static CK_RV one_random(void *p)
{
	octx *c = p;

	return c->f->C_GenerateRandom(c->s, c->out, c->op->len);
}

static CK_RV one_find(void *p)
{
	octx *c = p;
	char label[32];
	CK_OBJECT_HANDLE h[2];
	CK_ULONG got = 0;
	CK_RV rv;

	snprintf(label, sizeof label, "bench-obj-%u", rand_r(&c->seed) % BENCH_N_FIND);
	CK_ATTRIBUTE t[] = { { CKA_LABEL, label, strlen(label) } };
	rv = c->f->C_FindObjectsInit(c->s, t, 1);
	if (rv != CKR_OK)
		return rv;
	rv = c->f->C_FindObjects(c->s, h, 2, &got);
	CK_RV r2 = c->f->C_FindObjectsFinal(c->s);
	if (rv == CKR_OK && got != 1)
		rv = CKR_GENERAL_ERROR;          /* the population is broken */
	return rv != CKR_OK ? rv : r2;
}

static CK_RV one_keygen(void *p)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE ed[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	static const CK_BBOOL T = CK_TRUE, F = CK_FALSE;
	octx *c = p;
	CK_ULONG bits = 2048, vlen = 32;
	CK_BYTE e[] = { 1, 0, 1 };
	CK_OBJECT_HANDLE a = 0, b = 0;
	CK_ATTRIBUTE pub[4] = { { CKA_TOKEN, (void *)&F, 1 }, { CKA_VERIFY, (void *)&T, 1 } };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, (void *)&F, 1 }, { CKA_PRIVATE, (void *)&T, 1 },
	                        { CKA_SENSITIVE, (void *)&T, 1 }, { CKA_SIGN, (void *)&T, 1 } };
	CK_ATTRIBUTE sec[] = { { CKA_TOKEN, (void *)&F, 1 }, { CKA_ENCRYPT, (void *)&T, 1 },
	                       { CKA_VALUE_LEN, &vlen, sizeof vlen } };
	CK_ULONG np = 2;
	CK_RV rv;

	switch (c->op->key) {
	case BKEY_EC256:
		pub[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)p256, sizeof p256 };
		break;
	case BKEY_ED25519:
		pub[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)ed, sizeof ed };
		break;
	default:
		pub[np++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof bits };
		pub[np++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e, sizeof e };
		break;
	}
	if (c->op->key == BKEY_AES256)
		rv = c->f->C_GenerateKey(c->s, &c->mech, sec, 3, &a);
	else
		rv = c->f->C_GenerateKeyPair(c->s, &c->mech, pub, np, priv, 4, &a, &b);
	double t0 = bench_now();
	if (a)
		c->f->C_DestroyObject(c->s, a);
	if (b)
		c->f->C_DestroyObject(c->s, b);
	c->untimed += bench_now() - t0;
	return rv;
}

/* --shared-session: the application serializes *Init + the call */
static CK_RV one_locked(void *p)
{
	octx *c = p;
	CK_RV rv;

	pthread_mutex_lock(c->serial);
	rv = c->fn(c);
	pthread_mutex_unlock(c->serial);
	return rv;
}

static bench_fn fn_of(enum bench_kind k)
{
	switch (k) {
	case BK_SIGN:
	case BK_HMAC: return one_sign;
	case BK_VERIFY: return one_verify;
	case BK_ENCRYPT: return one_encrypt;
	case BK_DIGEST: return one_digest;
	case BK_RANDOM: return one_random;
	case BK_FIND: return one_find;
	case BK_KEYGEN: return one_keygen;
	default: return NULL;
	}
}

/* the mechanism (with parameters) and the flags it must have */
static CK_FLAGS mech_setup(octx *c)
{
	const bench_op *op = c->op;

	c->mech = (CK_MECHANISM){ op->mech, NULL, 0 };
	switch (op->mech) {
	case CKM_AES_GCM:
		c->par.gcm = (CK_GCM_PARAMS){ c->iv, 12, 96, NULL, 0, 128 };
		c->mech.pParameter = &c->par.gcm;
		c->mech.ulParameterLen = sizeof c->par.gcm;
		break;
	case CKM_AES_CBC:
		c->mech.pParameter = c->iv;
		c->mech.ulParameterLen = 16;
		break;
	case CKM_AES_CTR:
		c->par.ctr.ulCounterBits = 128;
		c->mech.pParameter = &c->par.ctr;
		c->mech.ulParameterLen = sizeof c->par.ctr;
		break;
	case CKM_SHA256_RSA_PKCS_PSS:
		c->par.pss = (CK_RSA_PKCS_PSS_PARAMS){ CKM_SHA256, CKG_MGF1_SHA256, 32 };
		c->mech.pParameter = &c->par.pss;
		c->mech.ulParameterLen = sizeof c->par.pss;
		break;
	}
	switch (op->kind) {
	case BK_SIGN:
	case BK_HMAC: return CKF_SIGN;
	case BK_VERIFY: return CKF_VERIFY;
	case BK_ENCRYPT: return CKF_ENCRYPT;
	case BK_DIGEST: return CKF_DIGEST;
	case BK_KEYGEN: return op->key == BKEY_AES256 ? CKF_GENERATE : CKF_GENERATE_KEY_PAIR;
	default: return 0;
	}
}

struct th {
	pthread_t t;
	octx c;
	double seconds;
	pthread_barrier_t *bar;
	unsigned long n;
	double el;
	CK_RV rv;
};

static void *th_run(void *p)
{
	struct th *t = p;

	pthread_barrier_wait(t->bar);
	t->rv = bench_loop(t->seconds, t->c.serial ? one_locked : t->c.fn, &t->c, &t->n, &t->el);
	t->el -= t->c.untimed;
	return NULL;
}

void bench_p11_run(bench_mod *m, const bench_op *op, const bench_cfg *cfg, bench_res *r)
{
	CK_FUNCTION_LIST_PTR f = bench_mod_fl(m);
	CK_SLOT_ID slot = bench_mod_slot(m);
	CK_OBJECT_HANDLE key = 0, pub = 0;
	int nt = cfg->threads, i, opened = 0;
	struct th *th = NULL;
	CK_BYTE *in = NULL;
	pthread_barrier_t bar;
	pthread_mutex_t serial = PTHREAD_MUTEX_INITIALIZER;
	octx proto;
	CK_FLAGS need;
	CK_RV rv = CKR_OK;

	memset(r, 0, sizeof *r);
	if (op->kind == BK_LOGIN || op->kind == BK_INIT || op->kind == BK_XPROC) {
		bench_mod_latency(m, op, cfg, r);
		return;
	}
	memset(&proto, 0, sizeof proto);
	proto.f = f;
	proto.op = op;
	need = mech_setup(&proto);
	if (op->kind == BK_FIND) {
		rv = bench_mod_objects(m, BENCH_N_FIND, &slot);
		if (rv != CKR_OK) {
			snprintf(r->why, sizeof r->why, "10,000 objects: %s", bench_rvname(rv));
			return;
		}
	} else if (need != 0 && !bench_has_mech(f, slot, op->mech, need)) {
		snprintf(r->why, sizeof r->why, "mechanism not offered");
		return;
	}
	if (op->key != BKEY_NONE && op->kind != BK_KEYGEN) {
		rv = bench_mod_key(m, op->key, &key, &pub);
		if (rv != CKR_OK) {
			snprintf(r->why, sizeof r->why, "key: %s", bench_rvname(rv));
			return;
		}
	}
	th = calloc(nt, sizeof *th);
	in = malloc(op->len ? op->len : 1);
	if (th == NULL || in == NULL) {
		snprintf(r->why, sizeof r->why, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < op->len; k++)
		in[k] = (CK_BYTE)(k * 131 + 7);
	pthread_barrier_init(&bar, NULL, nt);
	for (i = 0; i < nt; i++) {
		struct th *t = &th[i];
		t->c = proto;
		mech_setup(&t->c);               /* parameters point into the copy */
		t->c.key = key;
		t->c.pub = pub;
		t->c.in = in;
		t->c.outcap = op->len + 1024;
		t->c.out = malloc(t->c.outcap);
		t->c.seed = 0x9e3779b9u * (i + 1);
		t->c.fn = fn_of(op->kind);
		t->seconds = cfg->seconds;
		t->bar = &bar;
		if (cfg->shared && i > 0) {
			t->c.s = th[0].c.s;
		} else {
			rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			                      &t->c.s);
			if (rv != CKR_OK)
				break;
			opened = i + 1;
		}
		if (cfg->shared)
			t->c.serial = &serial;
		if (t->c.out == NULL) {
			rv = CKR_HOST_MEMORY;
			break;
		}
	}
	if (rv != CKR_OK) {
		snprintf(r->why, sizeof r->why, "C_OpenSession: %s", bench_rvname(rv));
		goto out_bar;
	}
	if (op->kind == BK_VERIFY) {         /* a signature to verify */
		octx *c = &th[0].c;
		c->siglen = sizeof c->sig;
		rv = f->C_SignInit(c->s, &c->mech, key);
		if (rv == CKR_OK)
			rv = f->C_Sign(c->s, in, op->len, c->sig, &c->siglen);
		for (i = 1; i < nt; i++) {
			memcpy(th[i].c.sig, c->sig, c->siglen);
			th[i].c.siglen = c->siglen;
		}
	} else {                             /* one try: an unsupported case shows here */
		rv = th[0].c.fn(&th[0].c);
		th[0].c.untimed = 0;
	}
	if (rv != CKR_OK) {
		snprintf(r->why, sizeof r->why, "%s", bench_rvname(rv));
		goto out_bar;
	}
	for (i = 0; i < nt; i++)
		pthread_create(&th[i].t, NULL, th_run, &th[i]);
	for (i = 0; i < nt; i++)
		pthread_join(th[i].t, NULL);
	r->ok = true;
	for (i = 0; i < nt; i++) {
		if (th[i].rv != CKR_OK) {
			r->ok = false;
			snprintf(r->why, sizeof r->why, "failed after %lu: %s", th[i].n,
			         bench_rvname(th[i].rv));
		}
		if (th[i].el > 0)
			r->ops_s += th[i].n / th[i].el;
	}
out_bar:
	pthread_barrier_destroy(&bar);
out:
	for (i = 0; th != NULL && i < nt; i++) {
		if (i < opened)
			f->C_CloseSession(th[i].c.s);
		free(th[i].c.out);
	}
	free(th);
	free(in);
}
