/* rv.c - the one place where a backend's -errno becomes a CK_RV. */
#include <errno.h>
#include <string.h>
#include "kt.h"

static atomic_flag quota_said = ATOMIC_FLAG_INIT;

CK_RV kt_rv_from_errno(int e, const char *what)
{
	if (e > 0)
		e = -e;
	switch (e) {
	case 0:
		return CKR_OK;
	case -ENOMEM:
		return CKR_HOST_MEMORY;
	case -EDQUOT:
		kt_debug("%s: kernel key quota exceeded", what ? what : "keyring");
		/* Said once per process even without KERNTOK_LOG: it is the
		 * one failure an admin cannot guess from CKR_DEVICE_MEMORY. */
		if (kt_log_level > 0 || !atomic_flag_test_and_set(&quota_said))
			kt_log_line("kerntok: kernel key quota exhausted (%s); raise "
			            "kernel.keys.maxkeys/maxbytes (root: root_maxkeys/root_maxbytes) "
			            "or remove objects", what ? what : "keyring");
		return CKR_DEVICE_MEMORY;
	case -ENOSPC:
		kt_log_line("kerntok: no space left in the store (%s)", what ? what : "disk");
		return CKR_DEVICE_MEMORY;
	case -ENOKEY:
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return CKR_OBJECT_HANDLE_INVALID;
	default:
		kt_debug("%s: %s", what ? what : "error", strerror(-e));
		return CKR_GENERAL_ERROR;
	}
}
