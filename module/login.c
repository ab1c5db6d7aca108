/* login.c - token initialization, PINs and the login state.
 *
 * PINs are never stored.  A PIN derives (PBKDF2-HMAC-SHA256, per-token salt,
 * >= 200,000 iterations) the key that opens the token's storage key: either
 * the storage key sealed once for the SO and once for the user in token.meta
 * (protection software), or, with a TPM (tpmkey.c), the authValue of the
 * storage key sealed to the TPM in tpm.so / tpm.user (protection tpm; then
 * token.meta holds no software wrap).  Wrong PINs are counted in token.meta
 * under the token directory's flock, so the counter is shared by every
 * process and survives restarts; the TPM counts them too (dictionary-attack
 * lockout -> CKR_PIN_LOCKED).  A NULL PIN logs the user in with the unlock
 * key `kerntok unlock` put in the uid's persistent keyring (the protected
 * authentication path).  Login state is per app (per caller); the storage
 * key is held once per process while any app is logged in to the token.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kt.h"
#include "tpmkey.h"

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

/* Seal `sk` under a fresh salt and the key derived from `pin` (software). */
int kt_pin_wrap(kt_meta *m, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, const uint8_t *sk)
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

/* Open the storage key with a PIN: its software wrap or its TPM copy.
 * CKR_PIN_INCORRECT is the one failure that counts as a wrong PIN. */
static CK_RV open_with_pin(const kt_token *t, const kt_meta *m, bool so, const CK_UTF8CHAR *pin,
                           CK_ULONG n, uint8_t **sk_out)
{
	uint8_t kek[KT_SK_LEN], aad[48], *sk;
	CK_RV rv = CKR_OK;
	int r;

	if (m->protection == KT_PROT_TPM)
		return kt_tpm_open_copy(t->dirfd, m, so ? KT_COPY_SO : KT_COPY_USER, pin, n, sk_out, NULL);
	*sk_out = NULL;
	sk = kt_secret_alloc(KT_SK_LEN);
	if (sk == NULL)
		return CKR_HOST_MEMORY;
	wrap_aad(aad, so, m->uuid);
	r = kt_pin_kek(pin, n, so ? m->salt_so : m->salt_user, m->kdf_iter, kek);
	if (r == 0)
		r = kt_unseal(kek, aad, sizeof aad, so ? m->wrap_so : m->wrap_user,
		              sizeof m->wrap_so, sk);
	kt_wipe(kek, sizeof kek);
	if (r == -EBADMSG)
		rv = CKR_PIN_INCORRECT;
	else if (r < 0)
		rv = kt_rv_from_errno(r, "PIN check");
	if (rv == CKR_OK)
		*sk_out = sk;
	else
		kt_secret_free(sk, KT_SK_LEN);
	return rv;
}

/* Check a PIN against the token; on success *sk_out holds the storage key
 * (secret memory, caller frees).  Counts failures across processes; with
 * `locked` the caller holds the token directory lock already.  A NULL PIN
 * (user only) takes the storage key from the unlock key and counts nothing. */
static CK_RV verify_pin(kt_token *t, bool so, const CK_UTF8CHAR *pin, CK_ULONG n,
                        uint8_t **sk_out, bool locked)
{
	uint8_t *sk = NULL;
	kt_meta m;
	CK_RV rv;

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
		rv = so || m.protection != KT_PROT_TPM ? CKR_ARGUMENTS_BAD : kt_unlock_read(&m, &sk);
		goto done;
	}
	if (n > KT_PIN_MAX) {
		/* never one of our PINs; and the KDF takes an int length, so
		 * 2^32 + 4 would have read as 4 (and ~0 as strlen) */
		rv = CKR_PIN_INCORRECT;
		goto out;
	}
	rv = open_with_pin(t, &m, so, pin, n, &sk);
	if (rv != CKR_OK && rv != CKR_PIN_INCORRECT)
		goto out;
	/* record the outcome; re-read under the lock so no count is lost */
	if (!locked && kt_disk_lock(t->dirfd) < 0) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	if (kt_token_refresh_meta(t) == CKR_OK) {
		uint32_t *f;
		pthread_mutex_lock(&t->meta_lock);
		f = so ? &t->meta.so_fails : &t->meta.user_fails;
		if (*f >= t->meta.max_tries) {
			/* other processes used up the tries while our KDF ran:
			 * this guess gets no answer (else N guessers started
			 * together would all be answered, whatever the limit) */
			rv = CKR_PIN_LOCKED;
		} else if (rv == CKR_PIN_INCORRECT || *f != 0) {
			*f = rv == CKR_PIN_INCORRECT ? *f + 1 : 0;
			if (kt_token_save_meta(t) != CKR_OK && rv == CKR_OK)
				rv = CKR_DEVICE_ERROR;
		}
		pthread_mutex_unlock(&t->meta_lock);
	}
	if (!locked)
		kt_disk_unlock(t->dirfd);
done:
	if (rv == CKR_OK) {
		*sk_out = sk;
		sk = NULL;
	}
out:
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	return rv;
}

CK_RV kt_pin_open_inlock(kt_token *t, bool so, const CK_UTF8CHAR *pin, CK_ULONG n, uint8_t **sk)
{
	if (pin == NULL) {
		*sk = NULL;
		return CKR_ARGUMENTS_BAD;
	}
	return verify_pin(t, so, pin, n, sk, true);
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
	bool last = false;

	pthread_mutex_lock(&t->meta_lock);
	if (t->sk_users > 0 && --t->sk_users == 0) {
		kt_secret_free(t->sk, KT_SK_LEN);
		t->sk = NULL;
		last = true;
	}
	pthread_mutex_unlock(&t->meta_lock);
	if (last)
		kt_store_forget_opened(t);   /* and the keys opened with it */
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

/* The slot's directory, created if needed (kt_token_create writes its
 * token.meta; the TPM copies go in first). */
static int slot_dir(int tokfd, CK_SLOT_ID slot)
{
	char name[24];

	snprintf(name, sizeof name, "%lu", slot);
	if (mkdirat(tokfd, name, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(tokfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* New token material: identity, storage key, and the SO's copy of it:
 * sealed to the TPM when there is one (tpm.so written into fd), else
 * wrapped in m. */
static CK_RV new_token_meta(kt_meta *m, int fd, const CK_UTF8CHAR *pin, CK_ULONG n,
                            const CK_UTF8CHAR *label, uint8_t *sk)
{
	char ser[17];                       /* CK_TOKEN_INFO.serialNumber: 16 chars, no NUL */
	CK_RV rv;

	memcpy(m->label, label, 32);
	m->max_tries = max_tries_env();
	m->kdf_iter = KT_KDF_ITER;
	if (kt_random(m->uuid, 16) < 0 || kt_random(m->mac_key, 32) < 0 ||
	    kt_random(sk, KT_SK_LEN) < 0)
		return CKR_DEVICE_ERROR;
	snprintf(ser, sizeof ser, "%02x%02x%02x%02x%02x%02x%02x%02x", m->uuid[0], m->uuid[1],
	         m->uuid[2], m->uuid[3], m->uuid[4], m->uuid[5], m->uuid[6], m->uuid[7]);
	memcpy(m->serial, ser, 16);
	if (kt_tpm_tcti_new() == NULL)
		return kt_pin_wrap(m, true, pin, n, sk) < 0 ? CKR_DEVICE_ERROR : CKR_OK;
	m->protection = KT_PROT_TPM;
	m->tpm_copies = KT_COPY_SO;
	if (kt_random(m->salt_so, 16) < 0 || kt_random(m->salt_user, 16) < 0 ||
	    kt_sk_check_make(m, sk) < 0)
		return CKR_DEVICE_ERROR;
	rv = kt_tpm_seal_copy(fd, m, KT_COPY_SO, pin, n, NULL, sk);
	if (rv != CKR_OK)
		kt_log_line("kerntok: C_InitToken: cannot seal the storage key to the TPM; "
		            "KERNTOK_TCTI=none makes a software-protected token");
	return rv;
}

CK_RV kt_init_token(kt_app *a, CK_SLOT_ID slot, const CK_UTF8CHAR *pin, CK_ULONG n,
                    const CK_UTF8CHAR *label)
{
	uint8_t *sk = NULL;
	kt_token *t = NULL, *nt = NULL;
	kt_meta m;
	CK_RV rv;
	int dfd, fd = -1, locked = 0;

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
		rv = verify_pin(t, true, pin, n, &sk, false);
		if (rv != CKR_OK)
			goto out;
		kt_secret_free(sk, KT_SK_LEN);
		sk = NULL;
	} else if (rv != CKR_TOKEN_NOT_RECOGNIZED) {
		goto out;
	}
	sk = kt_secret_alloc(KT_SK_LEN);
	fd = slot_dir(dfd, slot);
	if (sk == NULL || fd < 0) {
		rv = sk == NULL ? CKR_HOST_MEMORY : CKR_DEVICE_ERROR;
		goto out;
	}
	/* sealing first: a TPM failure leaves the old token as it was */
	rv = new_token_meta(&m, fd, pin, n, label, sk);
	if (rv != CKR_OK)
		goto out;
	if (t != NULL) {
		rv = kt_store_wipe_token(t);
		if (rv != CKR_OK)
			goto out;
		pthread_mutex_lock(&t->meta_lock);
		(void)kt_unlock_remove(t->meta.uuid);
		pthread_mutex_unlock(&t->meta_lock);
	}
	kt_tpm_drop_copies(fd, KT_COPY_USER | KT_COPY_BOOT |
	                       (m.protection == KT_PROT_TPM ? 0 : KT_COPY_SO));
	rv = kt_token_create(slot, &m, &nt);
out:
	if (fd >= 0)
		close(fd);
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
		rv = verify_pin(s->tok, false, pin, n, &sk, false);
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
	rv = verify_pin(s->tok, want == KT_LOGGED_SO, pin, n, &sk, false);
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

/* Write a new copy of the storage key for a PIN: a software wrap, or a
 * fresh TPM blob (whose file replaces the old one atomically; the salt
 * stays, so token.meta and the blob always agree).  The caller holds the
 * token directory lock. */
static CK_RV rewrap_inlock(kt_token *t, bool so, const CK_UTF8CHAR *pin, CK_ULONG n,
                           const uint8_t *sk)
{
	kt_meta m;
	CK_RV rv;

	rv = kt_token_refresh_meta(t);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&t->meta_lock);
	m = t->meta;
	pthread_mutex_unlock(&t->meta_lock);
	if (m.protection == KT_PROT_TPM)
		rv = kt_tpm_seal_copy(t->dirfd, &m, so ? KT_COPY_SO : KT_COPY_USER, pin, n, NULL, sk);
	kt_meta_wipe(&m);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&t->meta_lock);
	if (t->meta.protection == KT_PROT_TPM)
		t->meta.tpm_copies |= so ? KT_COPY_SO : KT_COPY_USER;
	else if (kt_pin_wrap(&t->meta, so, pin, n, sk) < 0)
		rv = CKR_DEVICE_ERROR;
	if (rv == CKR_OK) {
		if (so) {
			t->meta.so_fails = 0;
		} else {
			t->meta.user_fails = 0;
			t->meta.user_pin_set = true;
		}
		rv = kt_token_save_meta(t);
	}
	pthread_mutex_unlock(&t->meta_lock);
	return rv;
}

CK_RV kt_init_pin(kt_session *s, const CK_UTF8CHAR *pin, CK_ULONG n)
{
	kt_token *t = s->tok;
	CK_RV rv;

	if (s->app->login[t->slot] != KT_LOGGED_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	rv = pin_check_len(pin, n);
	if (rv != CKR_OK)
		return rv;
	if (kt_disk_lock(t->dirfd) < 0)
		return CKR_DEVICE_ERROR;
	rv = rewrap_inlock(t, false, pin, n, t->sk);
	kt_disk_unlock(t->dirfd);
	return rv;
}

CK_RV kt_set_pin(kt_session *s, const CK_UTF8CHAR *old, CK_ULONG on,
                 const CK_UTF8CHAR *new_, CK_ULONG nn)
{
	kt_token *t = s->tok;
	bool so = s->app->login[t->slot] == KT_LOGGED_SO;
	uint8_t *sk = NULL;
	CK_RV rv;

	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (old == NULL || new_ == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = pin_check_len(new_, nn);
	if (rv != CKR_OK)
		return rv;
	if (!so && !t->meta.user_pin_set)
		return CKR_USER_PIN_NOT_INITIALIZED;
	/* one lock over check and rewrite: no PIN change slips in between */
	if (kt_disk_lock(t->dirfd) < 0)
		return CKR_DEVICE_ERROR;
	rv = verify_pin(t, so, old, on, &sk, true);
	if (rv == CKR_OK)
		rv = rewrap_inlock(t, so, new_, nn, sk);
	kt_disk_unlock(t->dirfd);
	kt_secret_free(sk, KT_SK_LEN);
	return rv;
}
