/* lock.c - mutexes: pthreads, or the application's callbacks.
 *
 * C_Initialize may hand us CreateMutex/DestroyMutex/LockMutex/UnlockMutex.
 * Without CKF_OS_LOCKING_OK the spec says we must use them (or refuse with
 * CKR_CANT_LOCK), so every kt_mutex goes through them in that mode.  The
 * library-internal locks that must survive C_Finalize (the init lock, the
 * token cache rwlocks) stay pthreads: they exist before C_Initialize and the
 * callbacks are only valid between C_Initialize and C_Finalize.
 */
#include <stdlib.h>
#include <string.h>
#include "kt.h"

struct kt_mutex {
	pthread_mutex_t pm;
	void *app;                  /* the application's mutex, in callback mode */
};

static struct {
	CK_CREATEMUTEX create;
	CK_DESTROYMUTEX destroy;
	CK_LOCKMUTEX lock;
	CK_UNLOCKMUTEX unlock;
} cb;

CK_RV kt_lock_setup(const CK_C_INITIALIZE_ARGS *a)
{
	int n;

	memset(&cb, 0, sizeof cb);
	if (a == NULL)
		return CKR_OK;
	n = !!a->CreateMutex + !!a->DestroyMutex + !!a->LockMutex + !!a->UnlockMutex;
	if (n != 0 && n != 4)
		return CKR_ARGUMENTS_BAD;
	/* With CKF_OS_LOCKING_OK we may choose: native locks are faster. */
	if (n == 4 && !(a->flags & CKF_OS_LOCKING_OK)) {
		cb.create = a->CreateMutex;
		cb.destroy = a->DestroyMutex;
		cb.lock = a->LockMutex;
		cb.unlock = a->UnlockMutex;
	}
	return CKR_OK;
}

bool kt_lock_app_callbacks(void)
{
	return cb.create != NULL;
}

kt_mutex *kt_mutex_new(bool app_callbacks)
{
	kt_mutex *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	if (app_callbacks && cb.create != NULL) {
		if (cb.create(&m->app) != CKR_OK) {
			free(m);
			return NULL;
		}
	} else {
		pthread_mutex_init(&m->pm, NULL);
	}
	return m;
}

void kt_mutex_free(kt_mutex *m)
{
	if (m == NULL)
		return;
	if (m->app != NULL && cb.destroy != NULL)
		cb.destroy(m->app);
	else if (m->app == NULL)
		pthread_mutex_destroy(&m->pm);
	free(m);
}

void kt_mutex_lock(kt_mutex *m)
{
	if (m->app != NULL)
		cb.lock(m->app);
	else
		pthread_mutex_lock(&m->pm);
}

void kt_mutex_unlock(kt_mutex *m)
{
	if (m->app != NULL)
		cb.unlock(m->app);
	else
		pthread_mutex_unlock(&m->pm);
}
