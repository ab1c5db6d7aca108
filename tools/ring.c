/* ring.c - the keyctl view of the store: which kernel keys hold what.
 *
 * Layout (module/store.c): @u -> kerntok:<16hex> -> kt:token:<slot>:<label>
 * -> kt:gen + kt:<class>:<objid> | kt:private:<objid>.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "cli.h"
#include "kt.h"

int ring_store(char *dir, size_t dirlen, kr_serial *ring, char *desc, size_t desclen)
{
	const char *d;
	int r;

	*ring = 0;
	r = kt_disk_root(dir, dirlen);
	if (r < 0) {
		cli_err("store directory: %s", strerror(-r));
		return 1;
	}
	d = kt_store_ring_desc();
	if (d == NULL || strlen(d) >= desclen)
		return 1;
	strcpy(desc, d);
	r = kr_find(KR_USER, "keyring", desc, ring);
	if (r == -ENOKEY) {
		*ring = 0;                      /* no process has loaded a token yet */
		return 0;
	}
	if (r < 0) {
		cli_err("keyring %s: %s", desc, strerror(-r));
		return 1;
	}
	return 0;
}

int ring_token(kr_serial store, const p11_token *t, kr_serial *ring, char *desc, size_t dlen)
{
	int r;

	*ring = 0;
	snprintf(desc, dlen, "kt:token:%lu:%s", t->slot, t->label);
	if (store == 0)
		return 0;
	r = kr_find(store, "keyring", desc, ring);
	if (r == -ENOKEY)
		return 0;
	if (r < 0) {
		cli_err("keyring %s: %s", desc, strerror(-r));
		return 1;
	}
	return 0;
}

int ring_objects(kr_serial ring, ring_entry **out, size_t *n)
{
	_cleanup_(freep) kr_serial *ids = NULL;
	ring_entry *e;
	size_t k, i;
	kr_desc d;
	int r;

	*out = NULL;
	*n = 0;
	r = kr_list(ring, &ids, &k);
	if (r < 0) {
		cli_err("keyring %d: %s", ring, strerror(-r));
		return 1;
	}
	e = calloc(k + 1, sizeof *e);
	if (e == NULL)
		return 1;
	for (i = 0; i < k; i++) {
		if (kr_describe(ids[i], &d) < 0)
			continue;                   /* gone meanwhile */
		if (strcmp(d.type, "user") != 0 || strncmp(d.desc, "kt:", 3) != 0 ||
		    strncmp(d.desc, "kt:gen", 6) == 0)
			continue;
		e[*n].serial = ids[i];
		snprintf(e[*n].desc, sizeof e[*n].desc, "%s", d.desc);
		(*n)++;
	}
	*out = e;
	return 0;
}

size_t ring_count_private(const ring_entry *e, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += strncmp(e[i].desc, "kt:private:", 11) == 0;
	return k;
}
