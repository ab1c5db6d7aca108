/* kr_find.c — describing keys and finding direct children by name. */
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#include "kr_internal.h"

#define KR_DESCRIBE_TRIES 8

int kr__describe_raw(kr_serial key, char **out)
{
	char *buf = NULL;
	size_t cap;
	long n;
	int ret, tries;

	n = keyctl_describe(key, NULL, 0);
	for (tries = 0; ; tries++) {
		if (n < 0) {
			ret = kr__errno();
			goto out;
		}
		if (tries == KR_DESCRIBE_TRIES) {
			ret = -EAGAIN;
			goto out;
		}
		/* n counts the terminating NUL. */
		cap = (size_t)n;
		free(buf);
		buf = malloc(cap + 1);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
		n = keyctl_describe(key, buf, cap);
		/* Only the description can change size (never, in practice);
		 * loop if it did. */
		if (n >= 0 && (size_t)n <= cap)
			break;
	}
	buf[n > 0 ? n - 1 : 0] = '\0';
	*out = buf;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	return ret;
}

/* Split the kernel's "type;uid;gid;perm;desc".  Only the first four ';'
 * are separators: the description itself may contain ';'. */
static int parse_desc(char *s, kr_desc *out)
{
	char *f[5], *end;
	unsigned long v[3];
	int i;

	f[0] = s;
	for (i = 1; i < 5; i++) {
		f[i] = strchr(f[i - 1], ';');
		if (!f[i])
			return -EPROTO;
		*f[i]++ = '\0';
	}
	for (i = 0; i < 3; i++) {
		errno = 0;
		/* uid/gid decimal, perm hex ("%08x") */
		v[i] = strtoul(f[i + 1], &end, i == 2 ? 16 : 10);
		if (errno || end == f[i + 1] || *end)
			return -EPROTO;
	}
	if (strlen(f[0]) >= sizeof(out->type) || strlen(f[4]) >= sizeof(out->desc))
		return -ENAMETOOLONG;
	strcpy(out->type, f[0]);
	strcpy(out->desc, f[4]);
	out->uid = (uint32_t)v[0];
	out->gid = (uint32_t)v[1];
	out->perm = (uint32_t)v[2];
	return 0;
}

int kr_describe(kr_serial key, kr_desc *out)
{
	char *raw = NULL;
	kr_desc d;
	int ret;

	ret = kr__describe_raw(key, &raw);
	if (ret)
		goto out;
	ret = parse_desc(raw, &d);
	if (ret)
		goto out;
	*out = d;
out:
	free(raw);
	return ret;
}

/* Does the raw description name type+desc?  Compared raw rather than via
 * kr_desc so descriptions longer than kr_desc.desc still match. */
static int desc_matches(const char *raw, const char *type, const char *desc)
{
	size_t tl = strlen(type);
	const char *p = raw;
	int i;

	if (strncmp(raw, type, tl) != 0 || raw[tl] != ';')
		return 0;
	for (i = 0; i < 4; i++) {
		p = strchr(p, ';');
		if (!p)
			return 0;
		p++;
	}
	return strcmp(p, desc) == 0;
}

/* Slow path: describe every direct child.  Children that vanish or that
 * we may not view while we scan are simply not candidates. */
static int scan(const kr_serial *ids, size_t n, const char *type,
		const char *desc, kr_serial *out)
{
	char *raw;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kr__describe_raw(ids[i], &raw);
		if (ret == -ENOKEY || ret == -EKEYREVOKED ||
		    ret == -EKEYEXPIRED || ret == -EACCES)
			continue;
		if (ret)
			return ret;
		ret = desc_matches(raw, type, desc);
		free(raw);
		if (ret) {
			*out = ids[i];
			return 0;
		}
	}
	return -ENOKEY;
}

int kr_find(kr_serial ring, const char *type, const char *desc, kr_serial *out)
{
	kr_serial *ids = NULL;
	size_t n = 0, i;
	long hit;
	int ret;

	/* The kernel search looks at the ring's own entries before nested
	 * rings, so a usable direct child is what it returns, and -ENOKEY
	 * proves no direct child matches (a skipped match would have left
	 * -EACCES/-EKEYREVOKED/-EKEYEXPIRED instead).  It can however return
	 * `ring` itself or a key in a nested ring: verify against the list. */
	hit = keyctl_search(ring, type, desc, 0);
	if (hit < 0) {
		ret = kr__errno();
		/* Anything but "skipped a candidate" is final (including
		 * -ENOTDIR: never list a non-keyring, it would read a payload). */
		if (ret != -EACCES && ret != -EKEYREVOKED && ret != -EKEYEXPIRED)
			goto out;
	}
	/* A successful search proved `ring` is a keyring; after a failed one
	 * let kr_list check, so a plain key's payload is never read. */
	ret = hit >= 0 ? kr__list_raw(ring, &ids, &n) : kr_list(ring, &ids, &n);
	if (ret)
		goto out;
	for (i = 0; hit >= 0 && i < n; i++) {
		if (ids[i] == hit) {
			*out = ids[i];
			ret = 0;
			goto out;
		}
	}
	ret = scan(ids, n, type, desc, out);
out:
	free(ids);
	return ret;
}
