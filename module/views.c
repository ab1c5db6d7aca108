/* views.c - the function lists and interfaces the module hands out.
 *
 * Every caller view i has its own set of entry points (generated from
 * include/pkcs11f.h into entry_gen.h) bound to kt_app_at(i), and its own
 * CK_FUNCTION_LIST (2.40) and CK_FUNCTION_LIST_3_0.
 *
 * Each C_GetFunctionList / C_GetInterface call hands out a view of its own,
 * as a loader calls it once per load: two libraries in one process that each
 * load kerntok (GnuTLS via p11-kit, NSS, an OpenSSL engine) get independent
 * initialization counts, sessions, C_CloseAllSessions and logins.
 *
 * A view binds at its first call.  If that call is C_Initialize, the view is
 * a caller of its own.  If it is anything else while another view is
 * initialized, the caller evidently initialized the library through a list it
 * got earlier (the common "C_GetFunctionList, C_Initialize, then
 * C_GetInterface for the 3.0 list" pattern), so the view becomes an alias of
 * that initialized view and one caller sees one library, as the spec says
 * (only while exactly one view is initialized; otherwise it stands alone).
 * Limits: a caller that fetches a second list and calls C_Initialize on it
 * gets a second, independent view (CKR_OK, not ALREADY_INITIALIZED); the
 * plain exported C_* symbols are view 0, also the first view handed out;
 * views come back when their caller C_Finalizes; past 16 callers at once the
 * last view is shared (they behave like callers of a classic module towards
 * each other) and the log says so.
  */
#include <string.h>
#include "kt.h"
#include "entry_gen.h"

#define VIEW(I) KT_ENTRIES(I, kt_view(I))
VIEW(0) VIEW(1) VIEW(2) VIEW(3) VIEW(4) VIEW(5) VIEW(6) VIEW(7)
VIEW(8) VIEW(9) VIEW(10) VIEW(11) VIEW(12) VIEW(13) VIEW(14) VIEW(15)

KT_EXPORTS

#define L240(I) { .version = { 2, 40 }, KT_LIST_2_40(I) }
#define L30(I)  { .version = { 3, 0 }, KT_LIST_3_0(I) }
static CK_FUNCTION_LIST list240[KT_MAX_APPS] = {
	L240(0), L240(1), L240(2), L240(3), L240(4), L240(5), L240(6), L240(7),
	L240(8), L240(9), L240(10), L240(11), L240(12), L240(13), L240(14), L240(15)
};
static CK_FUNCTION_LIST_3_0 list30[KT_MAX_APPS] = {
	L30(0), L30(1), L30(2), L30(3), L30(4), L30(5), L30(6), L30(7),
	L30(8), L30(9), L30(10), L30(11), L30(12), L30(13), L30(14), L30(15)
};

static CK_INTERFACE ifaces[2] = {
	{ (CK_CHAR *)"PKCS 11", &list30[0], 0 },
	{ (CK_CHAR *)"PKCS 11", &list240[0], 0 },
};

static struct {
	pthread_mutex_t lock;
	bool handed[KT_MAX_APPS];
	_Atomic(kt_app *) bound[KT_MAX_APPS];   /* NULL until the view's first call */
} vw = { PTHREAD_MUTEX_INITIALIZER };

static kt_app *bind(int i, bool initialize)
{
	kt_app *a;
	int j;

	pthread_mutex_lock(&vw.lock);
	a = atomic_load(&vw.bound[i]);
	if (a == NULL) {
		kt_app *only = NULL;
		int live = 0;
		/* join only when the caller's library state is unambiguous: exactly
		 * one initialized view.  With two or more, joining could act on
		 * another library's state (its C_Finalize would end theirs). */
		for (j = 0; !initialize && j < KT_MAX_APPS; j++) {
			if (j != i && atomic_load(&vw.bound[j]) == kt_app_at(j) &&
			    atomic_load(&kt_app_at(j)->initialized)) {
				only = kt_app_at(j);
				live++;
			}
		}
		a = live == 1 ? only : kt_app_at(i);
		atomic_store(&vw.bound[i], a);
	}
	pthread_mutex_unlock(&vw.lock);
	return a;
}

/* The app a view's calls act on (the generated entry points call these). */
kt_app *kt_view(int i)
{
	kt_app *a = atomic_load_explicit(&vw.bound[i], memory_order_acquire);

	return a != NULL ? a : bind(i, false);
}

kt_app *kt_view_init(int i)
{
	kt_app *a = atomic_load_explicit(&vw.bound[i], memory_order_acquire);

	return a != NULL ? a : bind(i, true);
}

/* Hand out a free view: one never handed out, else one whose caller
 * finalized it.  Never-handed views go first: a caller that finalized may
 * still hold its list and initialize it again, and would then share it with
 * the newcomer. */
static int view_for_caller(void)
{
	int i, j, v = KT_MAX_APPS - 1;

	pthread_mutex_lock(&vw.lock);
	for (i = 0; i < KT_MAX_APPS && vw.handed[i]; i++)
		;
	if (i == KT_MAX_APPS)
		for (i = 0; i < KT_MAX_APPS; i++)
			if (kt_app_at(i)->finalized && !atomic_load(&kt_app_at(i)->initialized))
				break;
	if (i < KT_MAX_APPS)
		v = i;
	if (i == KT_MAX_APPS) {
		kt_log_line("kerntok: more than %d callers in this process: view %d is shared",
		            KT_MAX_APPS, v);
	} else if (vw.handed[v]) {
		/* recycled: unbind it, and let views that aliased it stand alone */
		atomic_store(&vw.bound[v], NULL);
		for (j = 0; j < KT_MAX_APPS; j++)
			if (j != v && atomic_load(&vw.bound[j]) == kt_app_at(v))
				atomic_store(&vw.bound[j], kt_app_at(j));
	}
	vw.handed[v] = true;
	kt_app_at(v)->finalized = false;
	pthread_mutex_unlock(&vw.lock);
	return v;
}

/* After fork: the child's callers keep the views they hold. */
void kt_views_reset(void)
{
	pthread_mutex_init(&vw.lock, NULL);
}

__attribute__((visibility("default")))
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	if (pp == NULL)
		return CKR_ARGUMENTS_BAD;
	*pp = &list240[view_for_caller()];
	return CKR_OK;
}

static void fill_ifaces(CK_INTERFACE *out, int v)
{
	out[0] = ifaces[0];
	out[0].pFunctionList = &list30[v];
	out[1] = ifaces[1];
	out[1].pFunctionList = &list240[v];
}

__attribute__((visibility("default")))
CK_RV C_GetInterfaceList(CK_INTERFACE_PTR list, CK_ULONG_PTR count)
{
	CK_ULONG n = 2;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	if (list == NULL) {
		*count = n;
		return CKR_OK;
	}
	if (*count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	fill_ifaces(list, view_for_caller());
	*count = n;
	return CKR_OK;
}

/* The interface structs handed out by C_GetInterface must outlive the call. */
static CK_INTERFACE handed[KT_MAX_APPS][2];

__attribute__((visibility("default")))
CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR ver, CK_INTERFACE_PTR_PTR out,
                     CK_FLAGS flags)
{
	int v, i;

	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (name != NULL && strcmp((const char *)name, "PKCS 11") != 0)
		return CKR_ARGUMENTS_BAD;
	v = view_for_caller();
	fill_ifaces(handed[v], v);
	for (i = 0; i < 2; i++) {
		const CK_VERSION *lv = &((CK_FUNCTION_LIST *)handed[v][i].pFunctionList)->version;
		if (ver != NULL && (ver->major != lv->major || ver->minor != lv->minor))
			continue;
		if ((handed[v][i].flags & flags) != flags)
			continue;
		*out = &handed[v][i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}
