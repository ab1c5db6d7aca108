/* kr.c — one-syscall wrappers over libkeyutils; errno becomes -errno. */
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#include "kr_internal.h"

/* kr.h copies these numbers so its users need not include keyutils.h;
 * make the compiler check the copies. */
_Static_assert(KR_PROCESS == KEY_SPEC_PROCESS_KEYRING, "KR_PROCESS");
_Static_assert(KR_SESSION == KEY_SPEC_SESSION_KEYRING, "KR_SESSION");
_Static_assert(KR_USER == KEY_SPEC_USER_KEYRING, "KR_USER");
_Static_assert(KR__THREAD == KEY_SPEC_THREAD_KEYRING, "KR__THREAD");
_Static_assert(KR_POS_ALL == KEY_POS_ALL && KR_USR_ALL == KEY_USR_ALL, "perm");
_Static_assert(KR_POS_LINK == KEY_POS_LINK && KR_USR_READ == KEY_USR_READ, "perm");
_Static_assert(KR_USR_VIEW == KEY_USR_VIEW && KR_USR_SEARCH == KEY_USR_SEARCH, "perm");
_Static_assert(sizeof(kr_serial) == sizeof(key_serial_t), "kr_serial");

int kr_resolve(kr_serial spec, int create, kr_serial *out)
{
	key_serial_t id = keyctl_get_keyring_ID(spec, create);

	if (id < 0)
		return kr__errno();
	*out = id;
	return 0;
}

int kr_update(kr_serial key, const void *data, size_t len)
{
	return keyctl_update(key, data, len) < 0 ? kr__errno() : 0;
}

int kr_read_into(kr_serial key, void *buf, size_t cap, size_t *len)
{
	/* Hot path: exactly one syscall, no allocation. */
	long n = keyctl_read(key, buf, cap);

	if (n < 0)
		return kr__errno();
	*len = (size_t)n;
	return 0;
}

void kr_free_secret(void *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

int kr_link(kr_serial key, kr_serial ring)
{
	return keyctl_link(key, ring) < 0 ? kr__errno() : 0;
}

int kr_unlink(kr_serial key, kr_serial ring)
{
	return keyctl_unlink(key, ring) < 0 ? kr__errno() : 0;
}

int kr_invalidate(kr_serial key)
{
	return keyctl_invalidate(key) < 0 ? kr__errno() : 0;
}

int kr_clear(kr_serial ring)
{
	return keyctl_clear(ring) < 0 ? kr__errno() : 0;
}

int kr_setperm(kr_serial key, uint32_t perm)
{
	return keyctl_setperm(key, perm) < 0 ? kr__errno() : 0;
}

int kr_set_timeout(kr_serial key, unsigned seconds)
{
	return keyctl_set_timeout(key, seconds) < 0 ? kr__errno() : 0;
}

int kr_get_persistent(uid_t uid, kr_serial dest, kr_serial *out)
{
	long id = keyctl_get_persistent(uid, dest);

	if (id < 0)
		return kr__errno();
	*out = (kr_serial)id;
	return 0;
}

int kr_search(kr_serial ring, const char *type, const char *desc, kr_serial *out)
{
	long r = keyctl_search(ring, type, desc, 0);

	if (r < 0)
		return -errno;
	*out = (kr_serial)r;
	return 0;
}
