/* tpmkey.c - storage keys sealed to a TPM, the boot-time unlock key, and
 * the kerntok tool's protection changes.  See tpmkey.h for the model. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kt.h"
#include "tpmkey.h"

#define TPM_DEVICE "device:/dev/tpmrm0"
#define BLOB_MAX   4096

static const char check_aad[32] = "kerntok storage key check";
static const uint8_t check_plain[16] = "kerntok sk check";

/* One tp_ctx at a time per process (see tpmkey.h). */
static pthread_mutex_t tpm_lock = PTHREAD_MUTEX_INITIALIZER;

static void tpm_child_after_fork(void)
{
	pthread_mutex_init(&tpm_lock, NULL);
}

/* tp_open setenv()s TSS2_LOG when it is unset; do it once here, at load
 * time, rather than under some later call while the application's other
 * threads may be reading the environment. */
__attribute__((constructor)) static void tpm_setup(void)
{
	if (getenv("TSS2_LOG") == NULL)
		setenv("TSS2_LOG", "all+none", 0);
	pthread_atfork(NULL, NULL, tpm_child_after_fork);
}

const char *kt_tpm_tcti(void)
{
	const char *v = getenv("KERNTOK_TCTI");

	if (v == NULL || *v == '\0')
		return TPM_DEVICE;
	return strcmp(v, "none") == 0 ? NULL : v;
}

const char *kt_tpm_tcti_new(void)
{
	const char *v = getenv("KERNTOK_TCTI");

	if (v == NULL || *v == '\0')
		return access("/dev/tpmrm0", R_OK | W_OK) == 0 ? TPM_DEVICE : NULL;
	return kt_tpm_tcti();
}

CK_RV kt_tpm_rv(int r, const tp_ctx *ctx, const char *what)
{
	const char *why = ctx != NULL ? tp_last_error(ctx) : strerror(r < 0 ? -r : r);

	switch (r) {
	case 0:
		return CKR_OK;
	case -EACCES:
		kt_debug("%s: wrong PIN (%s)", what, why);
		return CKR_PIN_INCORRECT;
	case -EBUSY:
		kt_log_line("kerntok: %s: the TPM is in dictionary-attack lockout (%s); it recovers "
		            "by itself after its recovery time, or reset it with the lockout "
		            "authorization (tpm2_dictionarylockout --clear-lockout)", what, why);
		return CKR_PIN_LOCKED;
	case -EPERM:
		kt_debug("%s: PCR values differ from the sealed ones (%s)", what, why);
		return CKR_FUNCTION_REJECTED;
	case -ENOMEM:
		return CKR_HOST_MEMORY;
	case -EAGAIN:
		kt_log_line("kerntok: %s: the TPM is out of object or session slots (%s)", what, why);
		return CKR_DEVICE_MEMORY;
	case -ENODEV:
		kt_log_line("kerntok: %s: no TPM reachable through %s (%s)", what,
		            kt_tpm_tcti() ? kt_tpm_tcti() : "KERNTOK_TCTI=none", why);
		return CKR_DEVICE_ERROR;
	case -EINVAL:
		kt_log_line("kerntok: %s: the sealed blob is damaged or belongs to another TPM (%s)",
		            what, why);
		return CKR_DEVICE_ERROR;
	case -ENOKEY:
		kt_log_line("kerntok: %s: no storage root key (%s)", what, why);
		return CKR_DEVICE_ERROR;
	case -ENOENT:
		kt_log_line("kerntok: %s: the sealed blob file is missing", what);
		return CKR_DEVICE_ERROR;
	default:
		kt_log_line("kerntok: %s: TPM failure (%s)", what, why);
		return CKR_DEVICE_ERROR;
	}
}

static const char *copy_file(int copy)
{
	return copy == KT_COPY_SO ? KT_TPM_SO_FILE : copy == KT_COPY_USER ? KT_TPM_USER_FILE
	                                                                  : KT_TPM_BOOT_FILE;
}

/* auth for a PIN copy: the PIN's KDF output under that role's salt. */
static int copy_auth(const kt_meta *m, int copy, const CK_UTF8CHAR *pin, CK_ULONG n,
                     uint8_t auth[KT_SK_LEN], size_t *authlen)
{
	*authlen = 0;
	if (copy == KT_COPY_BOOT)
		return pin == NULL ? 0 : -EINVAL;
	if (pin == NULL)
		return -EINVAL;
	*authlen = KT_SK_LEN;
	return kt_pin_kek(pin, n, copy == KT_COPY_SO ? m->salt_so : m->salt_user, m->kdf_iter, auth);
}

CK_RV kt_tpm_seal_copy(int dirfd, const kt_meta *m, int copy, const CK_UTF8CHAR *pin,
                       CK_ULONG n, const tp_pcrsel *pcrs, const uint8_t sk[KT_SK_LEN])
{
	const char *tcti = kt_tpm_tcti(), *name = copy_file(copy);
	uint8_t auth[KT_SK_LEN], *blob = NULL;
	size_t authlen, bloblen = 0;
	char what[48];
	tp_ctx *c = NULL;
	CK_RV rv;
	int r;

	snprintf(what, sizeof what, "TPM seal %s", name);
	if (tcti == NULL)
		return kt_tpm_rv(-ENODEV, NULL, what);
	if ((copy == KT_COPY_BOOT) != (pcrs != NULL))
		return CKR_ARGUMENTS_BAD;
	r = copy_auth(m, copy, pin, n, auth, &authlen);
	if (r < 0) {
		rv = kt_rv_from_errno(r, what);
		goto out;
	}
	pthread_mutex_lock(&tpm_lock);
	r = tp_open(&c, tcti);
	if (r == 0)
		r = tp_seal(c, sk, KT_SK_LEN, auth, authlen, pcrs, &blob, &bloblen);
	rv = kt_tpm_rv(r, c, what);
	tp_close(c);
	pthread_mutex_unlock(&tpm_lock);
	if (rv == CKR_OK)
		rv = kt_rv_from_errno(kt_disk_write(dirfd, name, blob, bloblen), name);
out:
	kt_wipe(auth, sizeof auth);
	free(blob);
	return rv;
}

CK_RV kt_tpm_open_copy(int dirfd, const kt_meta *m, int copy, const CK_UTF8CHAR *pin,
                       CK_ULONG n, uint8_t **sk_out, uint32_t *mismatch)
{
	const char *tcti = kt_tpm_tcti(), *name = copy_file(copy);
	uint8_t auth[KT_SK_LEN], *blob = NULL, *s = NULL, *sk = NULL;
	size_t authlen, bloblen = 0, sn = 0;
	char what[48];
	tp_ctx *c = NULL;
	CK_RV rv;
	int r;

	*sk_out = NULL;
	if (mismatch != NULL)
		*mismatch = 0;
	snprintf(what, sizeof what, "TPM unseal %s", name);
	if (tcti == NULL)
		return kt_tpm_rv(-ENODEV, NULL, what);
	r = kt_disk_read(dirfd, name, &blob, &bloblen, BLOB_MAX);
	if (r < 0)
		return kt_tpm_rv(r == -ENOENT ? r : -EINVAL, NULL, what);
	r = copy_auth(m, copy, pin, n, auth, &authlen);
	if (r < 0) {
		rv = kt_rv_from_errno(r, what);
		goto out;
	}
	pthread_mutex_lock(&tpm_lock);
	r = tp_open(&c, tcti);
	if (r == 0)
		r = tp_unseal(c, blob, bloblen, auth, authlen, &s, &sn);
	if (r == -EPERM && mismatch != NULL && tp_pcr_mismatch(c, blob, bloblen, mismatch) < 0)
		*mismatch = 0;
	rv = kt_tpm_rv(r, c, what);
	tp_close(c);
	pthread_mutex_unlock(&tpm_lock);
	if (rv != CKR_OK)
		goto out;
	if (sn != KT_SK_LEN || (sk = kt_secret_alloc(KT_SK_LEN)) == NULL) {
		rv = sn != KT_SK_LEN ? kt_tpm_rv(-EINVAL, NULL, what) : CKR_HOST_MEMORY;
		goto out;
	}
	memcpy(sk, s, KT_SK_LEN);
	if (!kt_sk_check_ok(m, sk)) {
		/* a blob of another token (same TPM) put in this directory */
		kt_log_line("kerntok: %s: the sealed key does not open this token", what);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	*sk_out = sk;
	sk = NULL;
out:
	kt_secret_free(sk, KT_SK_LEN);
	tp_free_secret(s, sn);
	kt_wipe(auth, sizeof auth);
	free(blob);
	return rv;
}

void kt_tpm_drop_copies(int dirfd, unsigned copies)
{
	static const int all[] = { KT_COPY_SO, KT_COPY_USER, KT_COPY_BOOT };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (copies & (unsigned)all[i])
			(void)unlinkat(dirfd, copy_file(all[i]), 0);
}

static void check_aad_make(uint8_t aad[48], const uint8_t uuid[16])
{
	memcpy(aad, check_aad, 32);
	memcpy(aad + 32, uuid, 16);
}

int kt_sk_check_make(kt_meta *m, const uint8_t sk[KT_SK_LEN])
{
	uint8_t aad[48];

	check_aad_make(aad, m->uuid);
	return kt_seal(sk, aad, sizeof aad, check_plain, sizeof check_plain, m->check);
}

bool kt_sk_check_ok(const kt_meta *m, const uint8_t sk[KT_SK_LEN])
{
	uint8_t aad[48], out[sizeof check_plain];
	bool ok;

	check_aad_make(aad, m->uuid);
	ok = kt_unseal(sk, aad, sizeof aad, m->check, sizeof m->check, out) == 0 &&
	     kt_memeq(out, check_plain, sizeof out);
	kt_wipe(out, sizeof out);
	return ok;
}

/* ---------------------------------------------------------------- unlock */

static void unlock_desc(char d[48], const uint8_t uuid[16])
{
	int i;

	memcpy(d, "kt:unlock:", 10);
	for (i = 0; i < 16; i++)
		snprintf(d + 10 + 2 * i, 3, "%02x", uuid[i]);
}

/* The uid's persistent keyring, linked into our process keyring (the link
 * also restarts its expiry timer: it lives while it is used). */
static int unlock_find(const uint8_t uuid[16], kr_serial *ring, kr_serial *key)
{
	char d[48];
	int r;

	unlock_desc(d, uuid);
	r = kr_get_persistent((uid_t)-1, KR_PROCESS, ring);
	if (r == 0)
		r = kr_find(*ring, "user", d, key);
	return r;
}

bool kt_unlocked(const uint8_t uuid[16])
{
	kr_serial ring, key;

	return unlock_find(uuid, &ring, &key) == 0;
}

CK_RV kt_unlock_read(const kt_meta *m, uint8_t **sk_out)
{
	kr_serial ring, key;
	uint8_t *p = NULL, *sk = NULL;
	size_t n = 0;
	CK_RV rv;
	int r;

	*sk_out = NULL;
	r = unlock_find(m->uuid, &ring, &key);
	if (r == 0)
		r = kr_read(key, &p, &n);
	if (r < 0) {
		kt_debug("NULL PIN login: token not unlocked (%s)", strerror(-r));
		return CKR_ARGUMENTS_BAD;
	}
	rv = CKR_PIN_INCORRECT;
	if (n == KT_SK_LEN && (sk = kt_secret_alloc(KT_SK_LEN)) != NULL) {
		memcpy(sk, p, KT_SK_LEN);
		if (kt_sk_check_ok(m, sk)) {
			*sk_out = sk;
			sk = NULL;
			rv = CKR_OK;
		}
	} else if (n == KT_SK_LEN) {
		rv = CKR_HOST_MEMORY;
	}
	if (rv == CKR_PIN_INCORRECT)
		kt_log_line("kerntok: unlock key %d does not open this token", key);
	kt_secret_free(sk, KT_SK_LEN);
	kr_free_secret(p, n);
	return rv;
}

int kt_unlock_remove(const uint8_t uuid[16])
{
	kr_serial ring, key;
	int r = unlock_find(uuid, &ring, &key);

	if (r == 0)
		r = kr_invalidate(key);
	return r;
}

static CK_RV unlock_put(const kt_meta *m, const uint8_t *sk, unsigned timeout, kr_serial *key)
{
	/* possessor and same-uid read; no write: nobody updates it in place */
	const uint32_t perm = (KR_POS_ALL & ~KR_POS_WRITE) | KR_USR_VIEW | KR_USR_READ |
	                      KR_USR_SEARCH | KR_USR_SETATTR;
	kr_serial ring;
	char d[48];
	int r;

	unlock_desc(d, m->uuid);
	r = kr_get_persistent((uid_t)-1, KR_PROCESS, &ring);
	if (r == 0)
		r = kr_add(ring, "user", d, sk, KT_SK_LEN, perm, key);
	if (r == 0 && timeout > 0 && (r = kr_set_timeout(*key, timeout)) < 0)
		(void)kr_invalidate(*key);
	return kt_rv_from_errno(r, "unlock key");
}

/* ------------------------------------------------------------ management */

/* Every management call: the token, its directory locked, meta fresh. */
static CK_RV mgmt_begin(CK_SLOT_ID slot, kt_token **t)
{
	CK_RV rv;

	rv = kt_token_get(slot, t);
	if (rv != CKR_OK)
		return rv;
	if (kt_disk_lock((*t)->dirfd) < 0) {
		kt_token_put(*t);
		*t = NULL;
		return CKR_DEVICE_ERROR;
	}
	rv = kt_token_refresh_meta(*t);
	if (rv != CKR_OK) {
		kt_disk_unlock((*t)->dirfd);
		kt_token_put(*t);
		*t = NULL;
	}
	return rv;
}

static void mgmt_end(kt_token *t)
{
	if (t == NULL)
		return;
	kt_disk_unlock(t->dirfd);
	kt_token_put(t);
}

static kt_meta meta_copy(kt_token *t)
{
	kt_meta m;

	pthread_mutex_lock(&t->meta_lock);
	m = t->meta;
	pthread_mutex_unlock(&t->meta_lock);
	return m;
}

/* Write m as the token's meta; its counters are taken from the current one
 * (kt_pin_open_inlock may have changed them since m was copied). */
static CK_RV meta_commit(kt_token *t, kt_meta *m)
{
	CK_RV rv;

	pthread_mutex_lock(&t->meta_lock);
	m->user_fails = t->meta.user_fails;
	m->so_fails = t->meta.so_fails;
	t->meta = *m;
	rv = kt_token_save_meta(t);
	pthread_mutex_unlock(&t->meta_lock);
	return rv;
}

/* Storage key from the SO PIN and, when given, the user PIN: both must
 * open the same key. */
static CK_RV open_both(kt_token *t, const CK_UTF8CHAR *so, CK_ULONG so_n,
                       const CK_UTF8CHAR *user, CK_ULONG user_n, uint8_t **sk)
{
	uint8_t *sk2 = NULL;
	CK_RV rv;

	*sk = NULL;
	if (so != NULL) {
		rv = kt_pin_open_inlock(t, true, so, so_n, sk);
		if (rv != CKR_OK)
			return rv;
	}
	if (user != NULL) {
		rv = kt_pin_open_inlock(t, false, user, user_n, &sk2);
		if (rv == CKR_OK && *sk != NULL && !kt_memeq(*sk, sk2, KT_SK_LEN))
			rv = CKR_GENERAL_ERROR;     /* damaged token: the copies disagree */
		if (rv != CKR_OK) {
			kt_secret_free(*sk, KT_SK_LEN);
			*sk = NULL;
			kt_secret_free(sk2, KT_SK_LEN);
			return rv;
		}
		if (*sk == NULL)
			*sk = sk2;
		else
			kt_secret_free(sk2, KT_SK_LEN);
	}
	return *sk != NULL ? CKR_OK : CKR_ARGUMENTS_BAD;
}

static CK_RV to_tpm(kt_token *t, kt_meta *m, const CK_UTF8CHAR *so, CK_ULONG so_n,
                    const CK_UTF8CHAR *user, CK_ULONG user_n, const uint8_t *sk)
{
	CK_RV rv;

	if (kt_random(m->salt_so, 16) < 0 || kt_random(m->salt_user, 16) < 0 ||
	    kt_sk_check_make(m, sk) < 0)
		return CKR_DEVICE_ERROR;
	m->tpm_copies = 0;
	rv = kt_tpm_seal_copy(t->dirfd, m, KT_COPY_SO, so, so_n, NULL, sk);
	if (rv == CKR_OK && user != NULL)
		rv = kt_tpm_seal_copy(t->dirfd, m, KT_COPY_USER, user, user_n, NULL, sk);
	if (rv != CKR_OK)
		return rv;                      /* token.meta untouched: still software */
	m->tpm_copies = KT_COPY_SO | (user != NULL ? KT_COPY_USER : 0);
	m->protection = KT_PROT_TPM;
	m->boot_pcr_bank = m->boot_pcr_mask = 0;
	kt_wipe(m->wrap_so, sizeof m->wrap_so);
	kt_wipe(m->wrap_user, sizeof m->wrap_user);
	rv = meta_commit(t, m);
	if (rv == CKR_OK)
		kt_tpm_drop_copies(t->dirfd, KT_COPY_BOOT);   /* a stale one from before */
	return rv;
}

CK_RV kt_tpm_protect(CK_SLOT_ID slot, const CK_UTF8CHAR *so, CK_ULONG so_n,
                     const CK_UTF8CHAR *user, CK_ULONG user_n, unsigned *sealed)
{
	kt_token *t = NULL;
	uint8_t *sk = NULL;
	kt_meta m;
	CK_RV rv;

	*sealed = 0;
	memset(&m, 0, sizeof m);
	if (kt_tpm_tcti() == NULL)
		return kt_tpm_rv(-ENODEV, NULL, "kerntok seal");
	rv = mgmt_begin(slot, &t);
	if (rv != CKR_OK)
		return rv;
	m = meta_copy(t);
	if (!m.user_pin_set)
		user = NULL;
	if (m.protection == KT_PROT_SOFTWARE && (so == NULL || (m.user_pin_set && user == NULL))) {
		rv = CKR_ARGUMENTS_BAD;         /* a copy left out would be lost */
		goto out;
	}
	rv = open_both(t, so, so_n, user, user_n, &sk);
	if (rv != CKR_OK)
		goto out;
	m = meta_copy(t);
	if (m.protection == KT_PROT_SOFTWARE) {
		rv = to_tpm(t, &m, so, so_n, user, user_n, sk);
		if (rv == CKR_OK)
			*sealed = m.tpm_copies;
		goto out;
	}
	/* a TPM token: fresh blobs for what we were given */
	if (so != NULL && (rv = kt_tpm_seal_copy(t->dirfd, &m, KT_COPY_SO, so, so_n, NULL, sk)) == CKR_OK)
		*sealed |= KT_COPY_SO;
	if (rv == CKR_OK && user != NULL &&
	    (rv = kt_tpm_seal_copy(t->dirfd, &m, KT_COPY_USER, user, user_n, NULL, sk)) == CKR_OK)
		*sealed |= KT_COPY_USER;
	if (rv == CKR_OK && (m.tpm_copies & *sealed) != *sealed) {
		m.tpm_copies |= *sealed;
		rv = meta_commit(t, &m);
	}
out:
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	mgmt_end(t);
	return rv;
}

CK_RV kt_tpm_unprotect(CK_SLOT_ID slot, const CK_UTF8CHAR *so, CK_ULONG so_n,
                       const CK_UTF8CHAR *user, CK_ULONG user_n)
{
	kt_token *t = NULL;
	uint8_t *sk = NULL;
	kt_meta m;
	CK_RV rv;

	memset(&m, 0, sizeof m);
	rv = mgmt_begin(slot, &t);
	if (rv != CKR_OK)
		return rv;
	m = meta_copy(t);
	if (m.protection != KT_PROT_TPM) {
		rv = CKR_OK;                    /* nothing to do */
		goto out;
	}
	if (!m.user_pin_set)
		user = NULL;
	if (so == NULL || (m.user_pin_set && user == NULL)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = open_both(t, so, so_n, user, user_n, &sk);
	if (rv != CKR_OK)
		goto out;
	m = meta_copy(t);
	if (kt_pin_wrap(&m, true, so, so_n, sk) < 0 ||
	    (user != NULL && kt_pin_wrap(&m, false, user, user_n, sk) < 0)) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	m.protection = KT_PROT_SOFTWARE;
	m.tpm_copies = m.boot_pcr_bank = m.boot_pcr_mask = 0;
	kt_wipe(m.check, sizeof m.check);
	rv = meta_commit(t, &m);
	if (rv == CKR_OK) {
		kt_tpm_drop_copies(t->dirfd, KT_COPY_SO | KT_COPY_USER | KT_COPY_BOOT);
		(void)kt_unlock_remove(m.uuid);
	}
out:
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	mgmt_end(t);
	return rv;
}

CK_RV kt_tpm_boot_seal(CK_SLOT_ID slot, bool so, const CK_UTF8CHAR *pin, CK_ULONG n,
                       const tp_pcrsel *pcrs)
{
	kt_token *t = NULL;
	uint8_t *sk = NULL;
	kt_meta m;
	CK_RV rv;

	memset(&m, 0, sizeof m);
	if (pin == NULL || pcrs == NULL || pcrs->mask == 0)
		return CKR_ARGUMENTS_BAD;
	rv = mgmt_begin(slot, &t);
	if (rv != CKR_OK)
		return rv;
	m = meta_copy(t);
	if (m.protection != KT_PROT_TPM) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;   /* `kerntok seal` first */
		goto out;
	}
	rv = kt_pin_open_inlock(t, so, pin, n, &sk);
	if (rv == CKR_OK)
		rv = kt_tpm_seal_copy(t->dirfd, &m, KT_COPY_BOOT, NULL, 0, pcrs, sk);
	if (rv == CKR_OK) {
		m = meta_copy(t);
		m.tpm_copies |= KT_COPY_BOOT;
		m.boot_pcr_bank = pcrs->hash_alg_bits;
		m.boot_pcr_mask = pcrs->mask;
		rv = meta_commit(t, &m);
	}
out:
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	mgmt_end(t);
	return rv;
}

CK_RV kt_tpm_boot_drop(CK_SLOT_ID slot)
{
	kt_token *t = NULL;
	kt_meta m;
	CK_RV rv;

	rv = mgmt_begin(slot, &t);
	if (rv != CKR_OK)
		return rv;
	m = meta_copy(t);
	if (m.tpm_copies & KT_COPY_BOOT) {
		m.tpm_copies &= ~(uint32_t)KT_COPY_BOOT;
		m.boot_pcr_bank = m.boot_pcr_mask = 0;
		rv = meta_commit(t, &m);
	}
	if (rv == CKR_OK) {
		kt_tpm_drop_copies(t->dirfd, KT_COPY_BOOT);
		(void)kt_unlock_remove(m.uuid);
	}
	kt_meta_wipe(&m);
	mgmt_end(t);
	return rv;
}

CK_RV kt_tpm_unlock(CK_SLOT_ID slot, unsigned timeout, kr_serial *key, uint32_t *mismatch)
{
	kt_token *t = NULL;
	uint8_t *sk = NULL;
	kt_meta m;
	CK_RV rv;

	*key = 0;
	*mismatch = 0;
	memset(&m, 0, sizeof m);
	rv = kt_token_get(slot, &t);
	if (rv == CKR_OK)
		rv = kt_token_refresh_meta(t);
	if (rv != CKR_OK)
		goto out;
	m = meta_copy(t);
	if (m.protection != KT_PROT_TPM || !(m.tpm_copies & KT_COPY_BOOT)) {
		rv = CKR_KEY_NEEDED;
		goto out;
	}
	rv = kt_tpm_open_copy(t->dirfd, &m, KT_COPY_BOOT, NULL, 0, &sk, mismatch);
	if (rv == CKR_OK)
		rv = unlock_put(&m, sk, timeout, key);
out:
	kt_secret_free(sk, KT_SK_LEN);
	kt_meta_wipe(&m);
	kt_token_put(t);
	return rv;
}

CK_RV kt_tpm_lock(CK_SLOT_ID slot, bool *was_unlocked)
{
	kt_token *t = NULL;
	uint8_t uuid[16];
	CK_RV rv;
	int r;

	*was_unlocked = false;
	rv = kt_token_get(slot, &t);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&t->meta_lock);
	memcpy(uuid, t->meta.uuid, 16);
	pthread_mutex_unlock(&t->meta_lock);
	kt_token_put(t);
	r = kt_unlock_remove(uuid);
	*was_unlocked = r == 0;
	return r == -ENOKEY ? CKR_OK : kt_rv_from_errno(r, "unlock key");
}

CK_RV kt_tpm_token_status(CK_SLOT_ID slot, kt_tpm_status *st)
{
	static const int all[] = { KT_COPY_SO, KT_COPY_USER, KT_COPY_BOOT };
	kr_serial ring;
	kt_token *t = NULL;
	kt_meta m;
	size_t i;
	CK_RV rv;

	memset(st, 0, sizeof *st);
	rv = kt_token_get(slot, &t);
	if (rv == CKR_OK)
		rv = kt_token_refresh_meta(t);
	if (rv != CKR_OK) {
		kt_token_put(t);
		return rv;
	}
	m = meta_copy(t);
	memcpy(st->uuid, m.uuid, 16);
	st->protection = m.protection;
	st->copies = m.tpm_copies;
	st->boot_pcr_bank = m.boot_pcr_bank;
	st->boot_pcr_mask = m.boot_pcr_mask;
	st->user_fails = m.user_fails;
	st->so_fails = m.so_fails;
	st->max_tries = m.max_tries;
	st->user_pin_set = m.user_pin_set;
	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (faccessat(t->dirfd, copy_file(all[i]), F_OK, 0) == 0)
			st->files |= (uint32_t)all[i];
	st->unlocked = m.protection == KT_PROT_TPM &&
	               unlock_find(m.uuid, &ring, &st->unlock_key) == 0;
	if (!st->unlocked)
		st->unlock_key = 0;
	kt_meta_wipe(&m);
	kt_token_put(t);
	return CKR_OK;
}

CK_RV kt_tpm_da_info(uint32_t *counter, uint32_t *max, int *lockout, char *err, size_t errlen)
{
	const char *tcti = kt_tpm_tcti();
	tp_ctx *c = NULL;
	CK_RV rv;
	int r;

	snprintf(err, errlen, "%s", tcti == NULL ? "KERNTOK_TCTI=none" : "");
	if (tcti == NULL)
		return CKR_DEVICE_ERROR;
	pthread_mutex_lock(&tpm_lock);
	r = tp_open(&c, tcti);
	if (r == 0)
		r = tp_da_lockout_info(c, counter, max, lockout);
	if (r < 0)
		snprintf(err, errlen, "%s", c != NULL ? tp_last_error(c) : strerror(-r));
	rv = kt_tpm_rv(r, c, "TPM dictionary-attack state");
	tp_close(c);
	pthread_mutex_unlock(&tpm_lock);
	return rv;
}
