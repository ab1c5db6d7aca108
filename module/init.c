/* init.c - C_Initialize / C_Finalize for one caller view, and fork.
 *
 * The process-wide state (token table, session table, object caches) is
 * created on first use and kept while the library is loaded; C_Finalize of
 * a view closes that view's sessions and forgets its logins.  A forked
 * child starts with every view uninitialized and nothing of the parent's:
 * the atfork handler drops the tables (key pages were already zeroed for the
 * child by MADV_WIPEONFORK) and the child must call C_Initialize.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kt.h"

struct kt_global kt_gl = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };
static kt_app apps[KT_MAX_APPS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

kt_app *kt_app_at(int i)
{
	return &apps[i];
}

/* What the parent's threads left behind at fork: never used again (their
 * locks may be held forever) and never freed (their lists may be mid-change),
 * but kept reachable, so a leak checker in the child sees it as ours. */
static volatile struct {
	kt_session *sessions;
	kt_mutex *lock, *os_lock;
} abandoned[KT_MAX_APPS];

static void child_after_fork(void)
{
	int i;

	pthread_mutex_init(&kt_gl.init_lock, NULL);
	kt_gl.napps_live = 0;
	kt_gl.pid = getpid();
	for (i = 0; i < KT_MAX_APPS; i++) {
		kt_app *a = &apps[i];
		atomic_store(&a->initialized, false);
		abandoned[i].sessions = a->sessions;
		abandoned[i].lock = a->lock;
		abandoned[i].os_lock = a->os_lock;
		a->sessions = NULL;             /* the parent's: abandoned, not freed */
		memset(a->login, 0, sizeof a->login);
		memset(a->nsessions, 0, sizeof a->nsessions);
		memset(a->nrw, 0, sizeof a->nrw);
		memset(a->nro, 0, sizeof a->nro);
		a->os_lock = NULL;              /* may have been held by a parent thread */
		a->lock = NULL;
	}
	kt_disk_reset();
	kt_sessions_reset();
	kt_views_reset();
	kt_tokens_reset();
	kt_store_reset();
}

static void process_init(void)
{
	int i;

	for (i = 0; i < KT_MAX_APPS; i++)
		apps[i].index = i;
	kt_gl.pid = getpid();
	pthread_atfork(NULL, NULL, child_after_fork);
}

CK_RV kt_initialize(kt_app *a, CK_VOID_PTR p)
{
	const CK_C_INITIALIZE_ARGS *args = p;
	CK_RV rv = CKR_OK;

	pthread_once(&once, process_init);
	if (args != NULL && args->pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&kt_gl.init_lock);
	if (atomic_load(&a->initialized)) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	rv = kt_lock_setup(args);
	if (rv != CKR_OK)
		goto out;
	kt_log_init();
	if (a->os_lock == NULL && (a->os_lock = kt_mutex_new(false)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	a->lock = a->os_lock;
	if (kt_lock_app_callbacks()) {
		a->lock = kt_mutex_new(true);
		if (a->lock == NULL) {
			a->lock = a->os_lock;
			rv = CKR_CANT_LOCK;
			goto out;
		}
	}
	kt_gl.napps_live++;
	atomic_store(&a->initialized, true);
out:
	pthread_mutex_unlock(&kt_gl.init_lock);
	return rv;
}

CK_RV kt_finalize(kt_app *a, CK_VOID_PTR reserved)
{
	kt_mutex *cb;

	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&kt_gl.init_lock);
	if (!atomic_load(&a->initialized)) {
		pthread_mutex_unlock(&kt_gl.init_lock);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	/* new calls are refused from here; calls in flight hold references */
	atomic_store(&a->initialized, false);
	kt_sessions_drop_app(a);
	kt_mutex_lock(a->lock);
	{
		CK_SLOT_ID s;
		for (s = 0; s < KT_MAX_TOKENS; s++)
			kt_logout_app_slot(a, s);
	}
	kt_mutex_unlock(a->lock);
	cb = a->lock != a->os_lock ? a->lock : NULL;
	a->lock = a->os_lock;
	kt_mutex_free(cb);                  /* the application's mutex: theirs to destroy */
	kt_gl.napps_live--;
	a->finalized = true;
	pthread_mutex_unlock(&kt_gl.init_lock);
	return CKR_OK;
}
