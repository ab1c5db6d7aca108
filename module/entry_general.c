/* entry_general.c - general, slot, token, session and login entry points. */
#include <string.h>
#include "entry.h"
#include "mech.h"

CK_RV kt_e_Initialize(kt_app *a, CK_VOID_PTR p) { return kt_initialize(a, p); }
CK_RV kt_e_Finalize(kt_app *a, CK_VOID_PTR p) { return kt_finalize(a, p); }

static void pad(CK_UTF8CHAR *d, size_t n, const char *s)
{
	size_t l = strlen(s);

	memset(d, ' ', n);
	memcpy(d, s, l < n ? l : n);
}

CK_RV kt_e_GetInfo(kt_app *a, CK_INFO_PTR info)
{
	KT_CHECK_INIT(a);
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof *info);
	info->cryptokiVersion.major = 3;
	info->cryptokiVersion.minor = 0;
	pad(info->manufacturerID, sizeof info->manufacturerID, "kerntok");
	pad(info->libraryDescription, sizeof info->libraryDescription,
	    "kerntok: keys in kernel keyrings");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	return CKR_OK;
}

CK_RV kt_e_GetSlotList(kt_app *a, CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;

	(void)present;                      /* every slot has a token (the free one uninitialized) */
	KT_CHECK_INIT(a);
	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = kt_tokens_scan();
	if (rv != CKR_OK)
		return rv;
	return kt_slot_list(list, count);
}

CK_RV kt_e_GetSlotInfo(kt_app *a, CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	KT_CHECK_INIT(a);
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	return kt_get_slot_info(slot, info);
}

CK_RV kt_e_GetTokenInfo(kt_app *a, CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	KT_CHECK_INIT(a);
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	return kt_get_token_info(slot, info);
}

CK_RV kt_e_WaitForSlotEvent(kt_app *a, CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR res)
{
	(void)flags; (void)slot; (void)res;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_GetMechanismList(kt_app *a, CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n)
{
	KT_CHECK_INIT(a);
	if (n == NULL)
		return CKR_ARGUMENTS_BAD;
	kt_tokens_scan();
	if (!kt_slot_exists(slot))
		return CKR_SLOT_ID_INVALID;
	return kt_mech_list(list, n);
}

CK_RV kt_e_GetMechanismInfo(kt_app *a, CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	KT_CHECK_INIT(a);
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	kt_tokens_scan();
	if (!kt_slot_exists(slot))
		return CKR_SLOT_ID_INVALID;
	return kt_mech_info(type, info);
}

CK_RV kt_e_InitToken(kt_app *a, CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG n, CK_UTF8CHAR_PTR label)
{
	KT_CHECK_INIT(a);
	return kt_init_token(a, slot, pin, n, label);
}

CK_RV kt_e_InitPIN(kt_app *a, CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, kt_init_pin(s, pin, n));
}

CK_RV kt_e_SetPIN(kt_app *a, CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old, CK_ULONG on,
                  CK_UTF8CHAR_PTR nw, CK_ULONG nn)
{
	KT_WITH_SESSION(a, h, s, kt_set_pin(s, old, on, nw, nn));
}

CK_RV kt_e_OpenSession(kt_app *a, CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app,
                       CK_NOTIFY notify, CK_SESSION_HANDLE_PTR h)
{
	(void)app; (void)notify;            /* no callbacks: nothing is ever surrendered */
	KT_CHECK_INIT(a);
	if (h == NULL)
		return CKR_ARGUMENTS_BAD;
	if (slot >= KT_MAX_TOKENS)
		return CKR_SLOT_ID_INVALID;
	return kt_session_open(a, slot, flags, h);
}

CK_RV kt_e_CloseSession(kt_app *a, CK_SESSION_HANDLE h)
{
	KT_CHECK_INIT(a);
	return kt_session_close(a, h);
}

CK_RV kt_e_CloseAllSessions(kt_app *a, CK_SLOT_ID slot)
{
	KT_CHECK_INIT(a);
	kt_tokens_scan();
	if (!kt_slot_exists(slot))
		return CKR_SLOT_ID_INVALID;
	return kt_session_close_all(a, slot);
}

static CK_RV session_info(kt_session *s, CK_SESSION_INFO *info)
{
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	info->slotID = s->tok->slot;
	info->state = kt_session_state(s);
	info->flags = s->flags;
	info->ulDeviceError = 0;
	return CKR_OK;
}

CK_RV kt_e_GetSessionInfo(kt_app *a, CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	KT_WITH_SESSION(a, h, s, session_info(s, info));
}

static CK_RV no_state(kt_session *s) { (void)s; return CKR_FUNCTION_NOT_SUPPORTED; }

CK_RV kt_e_GetOperationState(kt_app *a, CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG_PTR n)
{
	(void)p; (void)n;
	KT_WITH_SESSION(a, h, s, no_state(s));
}

CK_RV kt_e_SetOperationState(kt_app *a, CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG n,
                             CK_OBJECT_HANDLE ek, CK_OBJECT_HANDLE ak)
{
	(void)p; (void)n; (void)ek; (void)ak;
	KT_WITH_SESSION(a, h, s, no_state(s));
}

CK_RV kt_e_Login(kt_app *a, CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG n)
{
	KT_WITH_SESSION(a, h, s, kt_login(s, who, pin, n));
}

CK_RV kt_e_LoginUser(kt_app *a, CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin,
                     CK_ULONG n, CK_UTF8CHAR_PTR user, CK_ULONG un)
{
	/* one user per token: a user name, if given, changes nothing */
	(void)user; (void)un;
	KT_WITH_SESSION(a, h, s, kt_login(s, who, pin, n));
}

CK_RV kt_e_Logout(kt_app *a, CK_SESSION_HANDLE h)
{
	KT_WITH_SESSION(a, h, s, kt_logout(s));
}

CK_RV kt_e_GetFunctionStatus(kt_app *a, CK_SESSION_HANDLE h)
{
	(void)h;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_PARALLEL;
}

CK_RV kt_e_CancelFunction(kt_app *a, CK_SESSION_HANDLE h)
{
	(void)h;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_PARALLEL;
}

static CK_RV cancel(kt_session *s, CK_FLAGS flags)
{
	static const struct { CK_FLAGS f; int kind; } map[] = {
		{ CKF_FIND_OBJECTS, KT_OP_FIND }, { CKF_ENCRYPT, KT_OP_ENCRYPT },
		{ CKF_DECRYPT, KT_OP_DECRYPT }, { CKF_DIGEST, KT_OP_DIGEST },
		{ CKF_SIGN, KT_OP_SIGN }, { CKF_VERIFY, KT_OP_VERIFY },
		{ CKF_SIGN_RECOVER, KT_OP_SIGN_RECOVER }, { CKF_VERIFY_RECOVER, KT_OP_VERIFY_RECOVER },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (flags & map[i].f)
			kt_session_set_op(s, map[i].kind, NULL);
	return CKR_OK;
}

CK_RV kt_e_SessionCancel(kt_app *a, CK_SESSION_HANDLE h, CK_FLAGS flags)
{
	KT_WITH_SESSION(a, h, s, cancel(s, flags));
}
