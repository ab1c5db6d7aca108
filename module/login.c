/* login.c - token initialization, PINs and the login state.
 *
 * PINs are never stored.  A PIN derives (PBKDF2-HMAC-SHA256, per-token salt,
 * >= 200,000 iterations) the key that opens the token's storage key, sealed
 * once for the SO and once for the user in token.meta.  Wrong PINs are
 * counted in token.meta under the token directory's flock, so the counter is
 * shared by every process and survives restarts.  Login state is per app
 * (per caller); the storage key is held once per process while any app is
 * logged in to the token.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kt.h"

static const char aad_so[] = "kerntok so pin", aad_user[] = "kerntok user pin";

static CK_RV pin_check_len(const CK_UTF8CHAR *pin, CK_ULONG n)
{
	if (pin == NULL)
		return CKR_ARGUMENTS_BAD;
	if (n < KT_PIN_MIN || n > KT_PIN_MAX)
		return CKR_PIN_LEN_RANGE;
	return CKR_OK;
}

static void wrap_aad(uint8_t aad[48], bool so, const uint8_t uuid[16])
{
	memset(aad, 0, 48);
	memcpy(aad, so ? aad_so : aad_user, so ? sizeof aad_so : sizeof aad_user);
	memcpy(aad + 32, uuid, 16);
}

/* Seal `sk` under a fresh salt and the key derived from `pin`. */
static int wrap_sk(kt_meta *m, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, const uint8_t *sk)
{
	uint8_t kek[KT_SK_LEN], aad[48], *salt = so ? m->salt_so : m->salt_user;
	int r;

	r = kt_random(salt, 16);
	if (r == 0)
		r = kt_pin_kek(pin, n, salt, m->kdf_iter, kek);
	wrap_aad(aad, so, m->uuid);
	if (r == 0)
		r = kt_seal(kek, aad, sizeof aad, sk, KT_SK_LEN, so ? m->wrap_so : m->wrap_user);
	kt_wipe(kek, sizeof kek);
	return r;
}

/* Check a PIN against the token; on success *sk_out holds the storage key
 * (secret memory, caller frees).  Counts failures across processes. */
static CK_RV verify_pin(kt_token *t, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, uint8_t **sk_out)
{
	uint8_t kek[KT_SK_LEN], aad[48], *sk = NULL;
	kt_meta m;
	CK_RV rv;
	int r;

	*sk_out = NULL;
	rv = kt_token_refresh_meta(t);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&t->meta_lock);
	m = t->meta;
	pthread_mutex_unlock(&t->meta_lock);
	if ((so ? m.so_fails : m.user_fails) >= m.max_tries) {
		rv = CKR_PIN_LOCKED;
		goto out;
	}
	if (pin == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	sk = kt_secret_alloc(KT_SK_LEN);
	if (sk == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	wrap_aad(aad, so, m.uuid);
	r = kt_pin_kek(pin, n, so ? m.salt_so : m.salt_user, m.kdf_iter, kek);
	if (r == 0)
		r = kt_unseal(kek, aad, sizeof aad, so ? m.wrap_so : m.wrap_user,
		              sizeof m.wrap_so, sk);
	kt_wipe(kek, sizeof kek);
	if (r == -EBADMSG) {
		rv = CKR_PIN_INCORRECT;
	} else if (r < 0) {
		rv = kt_rv_from_errno(r, "PIN check");
		goto out;
	}
	/* record the outcome; re-read under the lock so no count is lost */
	if (kt_disk_lock(t->dirfd) < 0) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	if (kt_token_refresh_meta(t) == CKR_OK) {
		uint32_t *f;
		pthread_mutex_lock(&t->meta_lock);
		f = so ? &t->meta.so_fails : &t->meta.user_fails;
		if (rv == CKR_PIN_INCORRECT || *f != 0) {
			*f = rv == CKR_PIN_INCORRECT ? *f + 1 : 0;
			if (kt_token_save_meta(t) != CKR_OK && rv == CKR_OK)
				rv = CKR_DEVICE_ERROR;
		}
		pthread_mutex_unlock(&t->meta_lock);
	}
	kt_disk_unlock(t->dirfd);
	if (rv == CKR_OK) {
		*sk_out = sk;
		sk = NULL;
	}
out:
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	return rv;
}

/* The storage key is kept once per process while some app is logged in. */
static void sk_hold(kt_token *t, uint8_t *sk)
{
	pthread_mutex_lock(&t->meta_lock);
	if (t->sk == NULL) {
		t->sk = sk;
		sk = NULL;
	}
	t->sk_users++;
	pthread_mutex_unlock(&t->meta_lock);
	kt_secret_free(sk, KT_SK_LEN);
}

static void sk_release(kt_token *t)
{
	pthread_mutex_lock(&t->meta_lock);
	if (t->sk_users > 0 && --t->sk_users == 0) {
		kt_secret_free(t->sk, KT_SK_LEN);
		t->sk = NULL;
	}
	pthread_mutex_unlock(&t->meta_lock);
}

const uint8_t *kt_token_key(kt_token *t)
{
	return t->sk;
}

static uint32_t max_tries_env(void)
{
	const char *v = getenv("KERNTOK_PIN_TRIES");
	long n = v != NULL ? strtol(v, NULL, 10) : 0;

	return n >= 1 && n <= 1000 ? (uint32_t)n : KT_DEFAULT_TRIES;
}

CK_RV kt_init_token(kt_app *a, CK_SLOT_ID slot, const CK_UTF8CHAR *pin, CK_ULONG n,
                    const CK_UTF8CHAR *label)
{
	uint8_t *sk = NULL;
	kt_token *t = NULL, *nt = NULL;
	kt_meta m;
	CK_RV rv;
	int dfd, locked = 0;

	memset(&m, 0, sizeof m);
	if (label == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = pin_check_len(pin, n);
	if (rv != CKR_OK)
		return rv;
	kt_tokens_scan();
	if (!kt_slot_exists(slot))
		return CKR_SLOT_ID_INVALID;
	kt_mutex_lock(a->lock);
	rv = a->nsessions[slot] != 0 ? CKR_SESSION_EXISTS : CKR_OK;
	kt_mutex_unlock(a->lock);
	if (rv != CKR_OK)
		return rv;
	dfd = kt_tokens_dirfd();
	if (dfd < 0 || kt_disk_lock(dfd) < 0)
		return CKR_DEVICE_ERROR;
	locked = 1;
	rv = kt_token_get(slot, &t);
	if (rv == CKR_OK) {
		/* re-initialization: the SO must prove it, then everything goes */
		rv = verify_pin(t, true, pin, n, &sk);
		if (rv != CKR_OK)
			goto out;
		kt_secret_free(sk, KT_SK_LEN);
		sk = NULL;
		rv = kt_store_wipe_token(t);
		if (rv != CKR_OK)
			goto out;
	} else if (rv != CKR_TOKEN_NOT_RECOGNIZED) {
		goto out;
	}
	sk = kt_secret_alloc(KT_SK_LEN);
	if (sk == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	memcpy(m.label, label, 32);
	m.max_tries = max_tries_env();
	m.kdf_iter = KT_KDF_ITER;
	if (kt_random(m.uuid, 16) < 0 || kt_random(m.mac_key, 32) < 0 ||
	    kt_random(sk, KT_SK_LEN) < 0 || wrap_sk(&m, true, pin, n, sk) < 0) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	{
		char ser[17];                   /* CK_TOKEN_INFO.serialNumber: 16 chars, no NUL */
		snprintf(ser, sizeof ser, "%02x%02x%02x%02x%02x%02x%02x%02x", m.uuid[0], m.uuid[1],
		         m.uuid[2], m.uuid[3], m.uuid[4], m.uuid[5], m.uuid[6], m.uuid[7]);
		memcpy(m.serial, ser, 16);
	}
	rv = kt_token_create(slot, &m, &nt);
out:
	if (locked)
		kt_disk_unlock(dfd);
	kt_token_put(t);
	kt_token_put(nt);
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	return rv;
}

CK_RV kt_login(kt_session *s, CK_USER_TYPE who, const CK_UTF8CHAR *pin, CK_ULONG n)
{
	kt_app *a = s->app;
	CK_SLOT_ID slot = s->tok->slot;
	uint8_t *sk = NULL;
	CK_RV rv = CKR_OK;
	int want;

	if (who != CKU_SO && who != CKU_USER && who != CKU_CONTEXT_SPECIFIC)
		return CKR_USER_TYPE_INVALID;
	if (who == CKU_CONTEXT_SPECIFIC) {
		if (!s->ctx_pending)
			return CKR_OPERATION_NOT_INITIALIZED;
		if (a->login[slot] != KT_LOGGED_USER)
			return CKR_USER_NOT_LOGGED_IN;
		rv = verify_pin(s->tok, false, pin, n, &sk);
		kt_secret_free(sk, KT_SK_LEN);
		if (rv == CKR_OK) {
			s->ctx_login = true;
			s->ctx_pending = false;
		}
		return rv;
	}
	want = who == CKU_SO ? KT_LOGGED_SO : KT_LOGGED_USER;
	kt_mutex_lock(a->lock);
	if (a->login[slot] == want)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else if (a->login[slot] != KT_LOGGED_OUT)
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	else if (want == KT_LOGGED_SO && a->nro[slot] != 0)
		rv = CKR_SESSION_READ_ONLY_EXISTS;
	kt_mutex_unlock(a->lock);
	if (rv != CKR_OK)
		return rv;
	if (want == KT_LOGGED_USER) {
		rv = kt_token_refresh_meta(s->tok);
		if (rv == CKR_OK && !s->tok->meta.user_pin_set)
			rv = CKR_USER_PIN_NOT_INITIALIZED;
		if (rv != CKR_OK)
			return rv;
	}
	rv = verify_pin(s->tok, want == KT_LOGGED_SO, pin, n, &sk);
	if (rv != CKR_OK)
		return rv;
	kt_mutex_lock(a->lock);
	if (a->login[slot] != KT_LOGGED_OUT) {
		/* another thread of this app logged in meanwhile */
		rv = a->login[slot] == want ? CKR_USER_ALREADY_LOGGED_IN
		                            : CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	} else {
		a->login[slot] = (uint8_t)want;
		sk_hold(s->tok, sk);
		sk = NULL;
	}
	kt_mutex_unlock(a->lock);
	kt_secret_free(sk, KT_SK_LEN);
	return rv;
}

/* a->lock held */
void kt_logout_app_slot(kt_app *a, CK_SLOT_ID slot)
{
	kt_token *t;

	if (a->login[slot] == KT_LOGGED_OUT)
		return;
	a->login[slot] = KT_LOGGED_OUT;
	if (kt_token_get(slot, &t) == CKR_OK) {
		sk_release(t);
		kt_token_put(t);
	}
}

CK_RV kt_logout(kt_session *s)
{
	kt_app *a = s->app;
	CK_SLOT_ID slot = s->tok->slot;
	CK_RV rv = CKR_OK;

	kt_mutex_lock(a->lock);
	if (a->login[slot] == KT_LOGGED_OUT) {
		rv = CKR_USER_NOT_LOGGED_IN;
	} else {
		a->login[slot] = KT_LOGGED_OUT;
		sk_release(s->tok);
	}
	kt_mutex_unlock(a->lock);
	return rv;
}

/* Write a new wrap of the storage key; the token directory is locked. */
static CK_RV rewrap(kt_token *t, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, const uint8_t *sk)
{
	CK_RV rv;

	if (kt_disk_lock(t->dirfd) < 0)
		return CKR_DEVICE_ERROR;
	rv = kt_token_refresh_meta(t);
	if (rv == CKR_OK) {
		pthread_mutex_lock(&t->meta_lock);
		if (wrap_sk(&t->meta, so, pin, n, sk) < 0) {
			rv = CKR_DEVICE_ERROR;
		} else {
			if (so) {
				t->meta.so_fails = 0;
			} else {
				t->meta.user_fails = 0;
				t->meta.user_pin_set = true;
			}
			rv = kt_token_save_meta(t);
		}
		pthread_mutex_unlock(&t->meta_lock);
	}
	kt_disk_unlock(t->dirfd);
	return rv;
}

CK_RV kt_init_pin(kt_session *s, const CK_UTF8CHAR *pin, CK_ULONG n)
{
	CK_RV rv;

	if (s->app->login[s->tok->slot] != KT_LOGGED_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	rv = pin_check_len(pin, n);
	if (rv != CKR_OK)
		return rv;
	return rewrap(s->tok, false, pin, n, s->tok->sk);
}

CK_RV kt_set_pin(kt_session *s, const CK_UTF8CHAR *old, CK_ULONG on,
                 const CK_UTF8CHAR *new_, CK_ULONG nn)
{
	bool so = s->app->login[s->tok->slot] == KT_LOGGED_SO;
	uint8_t *sk = NULL;
	CK_RV rv;

	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (old == NULL || new_ == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = pin_check_len(new_, nn);
	if (rv != CKR_OK)
		return rv;
	if (!so && !s->tok->meta.user_pin_set)
		return CKR_USER_PIN_NOT_INITIALIZED;
	rv = verify_pin(s->tok, so, old, on, &sk);
	if (rv == CKR_OK)
		rv = rewrap(s->tok, so, new_, nn, sk);
	kt_secret_free(sk, KT_SK_LEN);
	return rv;
}
