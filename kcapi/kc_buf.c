/*
 * kc_buf.c - growable byte buffer for data held across calls (GCM
 * messages).  It may hold plaintext, so old memory is wiped before it is
 * released, on growth as well as on free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "kc_priv.h"

int kc__buf_add(struct kc_buf *b, const uint8_t *in, size_t n)
{
	size_t cap, len = b->len;
	uint8_t *p;

	if (!n)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return -EOVERFLOW;
	if (b->len + n > b->cap) {
		/* not realloc: it could leave a copy behind unwiped */
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		p = malloc(cap);
		if (!p)
			return -ENOMEM;
		if (len)
			memcpy(p, b->p, len);
		kc__buf_free(b);
		b->p = p;
		b->cap = cap;
		b->len = len;
	}
	memcpy(b->p + b->len, in, n);
	b->len += n;
	return 0;
}

void kc__buf_clear(struct kc_buf *b)
{
	if (b->len)
		OPENSSL_cleanse(b->p, b->len);
	b->len = 0;
}

void kc__buf_free(struct kc_buf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->cap = 0;
	b->len = 0;
}
