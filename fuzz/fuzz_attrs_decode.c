/* fuzz_attrs_decode.c - kt_attrs_decode (module/attrs.c), the codec of every
 * keyring payload, object file and stored attribute array.
 *
 * Properties beyond "no crash, no leak, no UB":
 *   - a rejected input leaves the container exactly as it was;
 *   - an accepted input re-encodes to the identical bytes (the codec has one
 *     form per attribute set, so nothing is silently dropped or reordered);
 *   - decoding the same input again into the filled container fails (every
 *     type is a duplicate) unless it is empty, and leaves it unchanged;
 *   - every stored attribute array opens (kt_attrs_get_template), and
 *     C_GetAttributeValue-style reads of each attribute work. */
#include <errno.h>
#include "fz.h"
#include "attrs.h"

#define PRE_TYPE (CKA_VENDOR_DEFINED | 0xabcdUL)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	kt_attrs a, pre, t;
	uint8_t *out = NULL;
	size_t on = 0, i;
	int r;

	kt_attrs_init(&a);
	/* for a third of the lengths decode into a container that already
	 * holds a (vendor) attribute: a duplicate of an existing entry must be
	 * refused too */
	kt_attrs_init(&pre);
	if (n % 3 == 0) {
		(void)kt_attrs_put_ulong(&a, PRE_TYPE, 7);
		(void)kt_attrs_put_ulong(&pre, PRE_TYPE, 7);
	}
	r = kt_attrs_decode(&a, d, n);
	if (r != 0) {
		FZ_ASSERT(r == -EINVAL || r == -ENOMEM, "decode rc %d", r);
		FZ_ASSERT(a.n == pre.n, "a failed decode changed the container (%zu -> %zu)", pre.n, a.n);
		goto out;
	}
	/* the decoded part re-encodes to the same bytes */
	{
		kt_attrs only;
		kt_attrs_init(&only);
		for (i = pre.n; i < a.n; i++)
			FZ_ASSERT(kt_attrs_put(&only, a.v[i].type, a.v[i].val, a.v[i].len) == CKR_OK, "put");
		FZ_ASSERT(kt_attrs_encode(&only, NULL, &out, &on) == 0, "re-encode failed");
		FZ_ASSERT(on == n && memcmp(out, d, n) == 0, "re-encode differs (%zu vs %zu bytes)", on, n);
		kt_attrs_free(&only);
	}
	/* again into the same container: every type is now a duplicate */
	{
		size_t before = a.n;
		r = kt_attrs_decode(&a, d, n);
		FZ_ASSERT(before == pre.n ? r == 0 || r == -EINVAL : r == -EINVAL,
		          "second decode of %zu attributes: rc %d", before - pre.n, r);
		FZ_ASSERT(r == 0 || a.n == before, "failed second decode changed the container");
	}
	for (i = 0; i < a.n; i++) {
		CK_ATTRIBUTE q = { a.v[i].type, NULL, 0 };
		if (kt_attr_is_template(a.v[i].type)) {
			FZ_ASSERT(kt_attrs_get_template(&a, a.v[i].type, &t) == CKR_OK,
			          "stored template 0x%lx does not open", a.v[i].type);
			kt_attrs_free(&t);
		}
		(void)kt_attrs_get(&a, &q, 1);
		if (q.ulValueLen != CK_UNAVAILABLE_INFORMATION && q.ulValueLen < (1u << 20)) {
			/* zeroed: an attribute array's inner entries then ask
			 * for their lengths only */
			q.pValue = calloc(1, q.ulValueLen ? q.ulValueLen : 1);
			if (q.pValue != NULL)
				(void)kt_attrs_get(&a, &q, 1);
			free(q.pValue);
		}
	}
out:
	free(out);
	kt_attrs_free(&a);
	kt_attrs_free(&pre);
	return 0;
}
