/* mech.c - C_GetMechanismList / C_GetMechanismInfo over the mechanism table. */
#include "mech.h"

CK_RV kt_mech_list(CK_MECHANISM_TYPE *list, CK_ULONG *n)
{
	(void)list;
	*n = 0;                             /* no mechanisms yet */
	return CKR_OK;
}

CK_RV kt_mech_info(CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	(void)type; (void)info;
	return CKR_MECHANISM_INVALID;
}
