/* kr_read.c — allocating reads of payloads and keyring listings. */
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#include "kr_internal.h"

/* A payload that keeps growing between probe and read is not worth more
 * than a few attempts; the caller can retry. */
#define KR_READ_TRIES 8

int kr__read_alloc(kr_serial key, uint8_t **data, size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	long n;
	int ret, tries;

	n = keyctl_read(key, NULL, 0);
	if (n < 0) {
		ret = kr__errno();
		goto out;
	}
	for (tries = 0; ; tries++) {
		if (tries == KR_READ_TRIES) {
			ret = -EAGAIN;
			goto out;
		}
		cap = (size_t)n;
		buf = malloc(cap + 1);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
		n = keyctl_read(key, (char *)buf, cap);
		if (n < 0) {
			ret = kr__errno();
			goto out;
		}
		if ((size_t)n <= cap)
			break;
		/* Payload grew (kr_update raced us).  Older kernels copied a
		 * truncated prefix, so this buffer may hold secret bytes. */
		kr_free_secret(buf, cap + 1);
		buf = NULL;
	}
	buf[n] = '\0';
	*data = buf;
	*len = (size_t)n;
	buf = NULL;
	ret = 0;
out:
	kr_free_secret(buf, cap + 1);
	return ret;
}

int kr_read(kr_serial key, uint8_t **data, size_t *len)
{
	return kr__read_alloc(key, data, len);
}

int kr__list_raw(kr_serial ring, kr_serial **ids, size_t *n)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = kr__read_alloc(ring, &buf, &len);
	if (ret)
		goto out;
	/* A keyring reads as an array of serials; anything else means the
	 * kernel changed the format under us. */
	if (len % sizeof(kr_serial)) {
		ret = -EPROTO;
		goto out;
	}
	/* malloc'd memory is suitably aligned for kr_serial. */
	*ids = (kr_serial *)(void *)buf;
	*n = len / sizeof(kr_serial);
	buf = NULL;
out:
	/* On -EPROTO this may be a plain key's (secret) payload. */
	kr_free_secret(buf, len + 1);
	return ret;
}

int kr_list(kr_serial ring, kr_serial **ids, size_t *n)
{
	char *d = NULL;
	int ret;

	/* KEYCTL_READ of a plain key returns its payload, which would be
	 * misread as serials (and may be secret): insist on a keyring. */
	ret = kr__describe_raw(ring, &d);
	if (ret)
		goto out;
	if (strncmp(d, "keyring;", 8) != 0) {
		ret = -ENOTDIR;
		goto out;
	}
	ret = kr__list_raw(ring, ids, n);
out:
	free(d);
	return ret;
}
