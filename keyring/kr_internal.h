/* Private helpers shared by the keyring/ sources; not part of kr.h. */
#ifndef KR_INTERNAL_H
#define KR_INTERNAL_H

#include <errno.h>

#include "kr.h"

/* The calling thread's thread keyring (keyutils KEY_SPEC_THREAD_KEYRING):
 * kr_add stages new keys there because nothing else uses it. */
#define KR__THREAD (-1)

/* libkeyutils reports failure as -1 + errno.  Never turn a failure into
 * 0 even if errno was somehow left clear. */
static inline int kr__errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Probe-then-read loop over KEYCTL_READ (key payload or keyring list).
 * *data gets *len + 1 bytes, NUL terminated; discarded buffers wiped. */
int kr__read_alloc(kr_serial key, uint8_t **data, size_t *len);

/* Raw "type;uid;gid;perm;desc" of a key, malloc'd. */
int kr__describe_raw(kr_serial key, char **out);

/* kr_list without the "is it a keyring" check, for callers that know. */
int kr__list_raw(kr_serial ring, kr_serial **ids, size_t *n);

#endif /* KR_INTERNAL_H */
