/* kr_add.c — creating keys and keyrings with their final permissions.
 *
 * Why not add_key(ring) + setperm: setperm needs SETATTR, and a fresh key
 * only grants that to possessors.  A key added to a ring the caller does
 * not possess (a ring under the user keyring, reached from a fresh
 * session keyring) is not possessed when named by serial afterwards, so
 * setperm fails with -EACCES and the key is stuck in the ring with the
 * kernel's default mask.  So the key is born in the calling thread's
 * thread keyring (always possessed, private to this thread, so staging
 * cannot collide with other threads or with anything the caller keeps
 * in its process/session rings), gets its mask there, and only then is
 * linked into the target ring.  Bonus: other processes never see it
 * with the wrong mask.
 */
#include <keyutils.h>

#include "kr_internal.h"

/* Move staged key k from the thread keyring into ring with mask perm.
 * On failure k is left with no link at all, so the kernel destroys it. */
static int publish(kr_serial k, kr_serial ring, uint32_t perm)
{
	int ret, linked = 0;

	if ((perm & (KR_POS_LINK | KR_POS_SEARCH)) == (KR_POS_LINK | KR_POS_SEARCH)) {
		/* Mask first, so the key appears in ring already final.  Needs
		 * POS_SEARCH too: possession means "found by searching our
		 * keyrings", so without it we lose possession (and LINK). */
		if (keyctl_setperm(k, perm) < 0 || keyctl_link(k, ring) < 0) {
			ret = kr__errno();
			goto out;
		}
		linked = 1;
	} else {
		/* perm would forbid our own link: link with the kernel's
		 * default mask (possessor may search and link), then restrict. */
		if (keyctl_link(k, ring) < 0) {
			ret = kr__errno();
			goto out;
		}
		linked = 1;
		if (keyctl_setperm(k, perm) < 0) {
			ret = kr__errno();
			goto out;
		}
	}
	ret = 0;
out:
	/* Drop the staging link.  After a failure (and undoing our link in
	 * ring) it is the key's last link, so the kernel destroys the key. */
	if (ret && linked)
		keyctl_unlink(k, ring);
	if (keyctl_unlink(k, KR__THREAD) < 0 && !ret) {
		/* Cannot happen short of a kernel change (we hold WRITE on our
		 * own thread keyring); fail cleanly rather than half-done. */
		ret = kr__errno();
		keyctl_unlink(k, ring);
	}
	return ret;
}

int kr_add(kr_serial ring, const char *type, const char *desc, const void *data,
	   size_t len, uint32_t perm, kr_serial *out)
{
	key_serial_t k;
	int ret;

	/* Staging in the thread keyring would unlink the result again. */
	if (ring == KR__THREAD) {
		ret = -EINVAL;
		goto out;
	}
	k = add_key(type, desc, data, len, KR__THREAD);
	if (k < 0) {
		ret = kr__errno();
		goto out;
	}
	ret = publish(k, ring, perm);
	if (ret)
		goto out;
	*out = k;
out:
	return ret;
}

int kr_keyring_new(kr_serial parent, const char *desc, uint32_t perm, kr_serial *out)
{
	return kr_add(parent, "keyring", desc, NULL, 0, perm, out);
}
