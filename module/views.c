/* views.c - the function lists and interfaces the module hands out.
 *
 * Every caller view i has its own set of entry points (generated from
 * include/pkcs11f.h into entry_gen.h) bound to kt_app_at(i), and its own
 * CK_FUNCTION_LIST (2.40) and CK_FUNCTION_LIST_3_0.  Today every call of
 * C_GetFunctionList / C_GetInterface returns view 0; the other views exist
 * for independent callers in one process (see docs/ARCHITECTURE.md).
 */
#include <string.h>
#include "kt.h"
#include "entry_gen.h"

#define VIEW(I) KT_ENTRIES(I, kt_app_at(I))
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

static int view_for_caller(void)
{
	return 0;
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
