/* session.c - session handles, their table, and the spec's session states.
 *
 * A CK_SESSION_HANDLE is the serial of a keyring under the process keyring
 * that holds the session's objects: the kernel frees them if we crash, and
 * other processes cannot reach them.  The table maps handles to sessions;
 * lookups take its read lock only long enough to take a reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kt.h"

#define BUCKETS 256
static struct {
	pthread_rwlock_t lock;
	kt_session *b[BUCKETS];
	atomic_uint seq;
} tab = { PTHREAD_RWLOCK_INITIALIZER };

static kt_session **bucket(CK_SESSION_HANDLE h)
{
	return &tab.b[(h * 2654435761u) % BUCKETS];
}

static void session_free(kt_session *s)
{
	int k;

	for (k = 0; k < KT_OP_KINDS; k++)
		if (s->op[k] != NULL)
			s->op[k]->free(s->op[k]);
	kt_token_put(s->tok);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void session_unref(kt_session *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		session_free(s);
}

void kt_session_set_op(kt_session *s, int kind, kt_op *op)
{
	if (s->op[kind] != NULL && s->op[kind] != op)
		s->op[kind]->free(s->op[kind]);
	s->op[kind] = op;
}

CK_STATE kt_session_state(const kt_session *s)
{
	int who = s->app->login[s->tok->slot];
	bool rw = s->flags & CKF_RW_SESSION;

	if (who == KT_LOGGED_SO)
		return CKS_RW_SO_FUNCTIONS;
	if (who == KT_LOGGED_USER)
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

bool kt_app_logged(const kt_app *a, CK_SLOT_ID slot, int who)
{
	if (slot >= KT_MAX_TOKENS)
		return false;
	return who == -1 ? a->login[slot] != KT_LOGGED_OUT : a->login[slot] == who;
}

CK_RV kt_session_open(kt_app *a, CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *h)
{
	kt_session *s = NULL;
	kt_token *t = NULL;
	char desc[64];
	kr_serial ring;
	CK_RV rv;
	int r;

	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	/* the app lock first: C_InitToken (same lock) must not race a new session */
	kt_mutex_lock(a->lock);
	rv = kt_token_get(slot, &t);
	if (rv != CKR_OK)
		goto out;
	if (!(flags & CKF_RW_SESSION) && a->login[slot] == KT_LOGGED_SO) {
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
		goto out;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	snprintf(desc, sizeof desc, "kt:session:%lu:%u", slot, atomic_fetch_add(&tab.seq, 1));
	r = kr_keyring_new(KR_PROCESS, desc, KR_PERM_PRIVATE, &ring);
	if (r < 0) {
		rv = kt_rv_from_errno(r, "session keyring");
		goto out;
	}
	atomic_init(&s->refs, 1);
	s->handle = (CK_SESSION_HANDLE)ring;
	s->app = a;
	s->tok = t;
	t = NULL;
	s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	pthread_mutex_init(&s->lock, NULL);
	s->next = a->sessions;
	a->sessions = s;
	a->nsessions[slot]++;
	if (flags & CKF_RW_SESSION)
		a->nrw[slot]++;
	else
		a->nro[slot]++;
	pthread_rwlock_wrlock(&tab.lock);
	s->tnext = *bucket(s->handle);
	*bucket(s->handle) = s;
	pthread_rwlock_unlock(&tab.lock);
	*h = s->handle;
	s = NULL;
out:
	kt_mutex_unlock(a->lock);
	free(s);
	kt_token_put(t);
	return rv;
}

/* Unhook from the table and the app; a->lock held.  The session itself is
 * ended by finish() after a->lock is dropped: calls take s->lock before
 * a->lock (C_Login), so close must never take them the other way round. */
static void unhook_inlock(kt_app *a, kt_session *s)
{
	kt_session **pp;
	CK_SLOT_ID slot = s->tok->slot;

	pthread_rwlock_wrlock(&tab.lock);
	for (pp = bucket(s->handle); *pp != NULL; pp = &(*pp)->tnext)
		if (*pp == s) {
			*pp = s->tnext;
			break;
		}
	pthread_rwlock_unlock(&tab.lock);
	for (pp = &a->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	a->nsessions[slot]--;
	if (s->flags & CKF_RW_SESSION)
		a->nrw[slot]--;
	else
		a->nro[slot]--;
	if (a->nsessions[slot] == 0)
		kt_logout_app_slot(a, slot);    /* the spec: last session closed */
}

/* Wait for a call in flight on it, then make it unusable. */
static void finish(kt_session *s)
{
	pthread_mutex_lock(&s->lock);
	s->closed = true;
	kt_store_drop_session(s->tok, s);
	(void)kr_unlink((kr_serial)s->handle, KR_PROCESS);
	(void)kr_invalidate((kr_serial)s->handle);
	pthread_mutex_unlock(&s->lock);
	session_unref(s);
}

CK_RV kt_session_close(kt_app *a, CK_SESSION_HANDLE h)
{
	kt_session *s;

	kt_mutex_lock(a->lock);
	for (s = a->sessions; s != NULL && s->handle != h; s = s->next)
		;
	if (s != NULL)
		unhook_inlock(a, s);
	kt_mutex_unlock(a->lock);
	if (s == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	finish(s);
	return CKR_OK;
}

CK_RV kt_session_close_all(kt_app *a, CK_SLOT_ID slot)
{
	kt_session *s, *next, *gone = NULL;

	kt_mutex_lock(a->lock);
	for (s = a->sessions; s != NULL; s = next) {
		next = s->next;
		if (slot == (CK_SLOT_ID)-1 || s->tok->slot == slot) {
			unhook_inlock(a, s);
			s->next = gone;
			gone = s;
		}
	}
	kt_mutex_unlock(a->lock);
	for (s = gone; s != NULL; s = next) {
		next = s->next;
		finish(s);
	}
	return CKR_OK;
}

void kt_sessions_drop_app(kt_app *a)
{
	(void)kt_session_close_all(a, (CK_SLOT_ID)-1);
}

/* Returns the session locked and referenced: one call at a time per session. */
CK_RV kt_session_get(kt_app *a, CK_SESSION_HANDLE h, kt_session **out)
{
	kt_session *s;

	*out = NULL;
	pthread_rwlock_rdlock(&tab.lock);
	for (s = *bucket(h); s != NULL; s = s->tnext)
		if (s->handle == h && s->app == a)
			break;
	if (s != NULL)
		atomic_fetch_add(&s->refs, 1);
	pthread_rwlock_unlock(&tab.lock);
	if (s == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		session_unref(s);
		return CKR_SESSION_HANDLE_INVALID;
	}
	if (s->tok->dead) {
		pthread_mutex_unlock(&s->lock);
		session_unref(s);
		return CKR_SESSION_CLOSED;
	}
	*out = s;
	return CKR_OK;
}

void kt_session_release(kt_session *s)
{
	pthread_mutex_unlock(&s->lock);
	session_unref(s);
}

CK_ULONG kt_session_count(CK_SLOT_ID slot, bool rw_only)
{
	CK_ULONG n = 0;
	size_t i;
	kt_session *s;

	pthread_rwlock_rdlock(&tab.lock);
	for (i = 0; i < BUCKETS; i++)
		for (s = tab.b[i]; s != NULL; s = s->tnext)
			if (s->tok->slot == slot && (!rw_only || (s->flags & CKF_RW_SESSION)))
				n++;
	pthread_rwlock_unlock(&tab.lock);
	return n;
}

/* the parent's, after fork: reachable (a leak checker sees them as ours), never used */
static kt_session *volatile abandoned[BUCKETS] __attribute__((used));

void kt_sessions_reset(void)
{
	int i;

	pthread_rwlock_init(&tab.lock, NULL);
	for (i = 0; i < BUCKETS; i++)
		abandoned[i] = tab.b[i];
	memset(tab.b, 0, sizeof tab.b);
}
