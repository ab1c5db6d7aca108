/* entry_object.c - object management and random-number entry points. */
#include "entry.h"

CK_RV kt_e_CreateObject(kt_app *a, CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                        CK_OBJECT_HANDLE_PTR out)
{
	KT_WITH_SESSION(a, h, s, kt_create_object(s, t, n, out));
}

CK_RV kt_e_CopyObject(kt_app *a, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
                      CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
	KT_WITH_SESSION(a, h, s, kt_copy_object(s, o, t, n, out));
}

CK_RV kt_e_DestroyObject(kt_app *a, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	KT_WITH_SESSION(a, h, s, kt_destroy_object(s, o));
}

CK_RV kt_e_GetObjectSize(kt_app *a, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR n)
{
	KT_WITH_SESSION(a, h, s, kt_get_object_size(s, o, n));
}

CK_RV kt_e_GetAttributeValue(kt_app *a, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, kt_get_attribute_value(s, o, t, n));
}

CK_RV kt_e_SetAttributeValue(kt_app *a, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, kt_set_attribute_value(s, o, t, n));
}

CK_RV kt_e_FindObjectsInit(kt_app *a, CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, kt_find_init(s, t, n));
}

CK_RV kt_e_FindObjects(kt_app *a, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                       CK_ULONG_PTR n)
{
	KT_WITH_SESSION(a, h, s, kt_find(s, out, max, n));
}

CK_RV kt_e_FindObjectsFinal(kt_app *a, CK_SESSION_HANDLE h)
{
	KT_WITH_SESSION(a, h, s, kt_find_final(s));
}

static CK_RV gen_random(kt_session *s, CK_BYTE_PTR p, CK_ULONG n)
{
	(void)s;
	if (p == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	return kt_random(p, n) == 0 ? CKR_OK : CKR_DEVICE_ERROR;
}

CK_RV kt_e_GenerateRandom(kt_app *a, CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, gen_random(s, p, n));
}

/* The kernel's pool needs no help and takes none from callers. */
static CK_RV seed(kt_session *s, CK_BYTE_PTR p, CK_ULONG n)
{
	(void)s;
	if (p == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	return CKR_RANDOM_SEED_NOT_SUPPORTED;
}

CK_RV kt_e_SeedRandom(kt_app *a, CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, seed(s, p, n));
}
