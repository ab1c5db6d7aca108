/* objmap.c - serial -> kt_object, linear probing with backward-shift delete
 * (no tombstones, so lookups stay short however many objects come and go). */
#include <errno.h>
#include <stdlib.h>
#include "objmap.h"

struct kt_objmap {
	size_t cap, n;                      /* cap: power of two */
	kt_object **v;
};

static size_t h(kr_serial k, size_t cap)
{
	uint32_t x = (uint32_t)k * 2654435761u;
	return (size_t)x & (cap - 1);
}

kt_objmap *kt_objmap_new(void)
{
	kt_objmap *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->cap = 64;
	m->v = calloc(m->cap, sizeof *m->v);
	if (m->v == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void kt_objmap_free(kt_objmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++)
		if (m->v[i] != NULL)
			kt_obj_put(m->v[i]);
	free(m->v);
	free(m);
}

kt_object *kt_objmap_get(const kt_objmap *m, kr_serial k)
{
	size_t i = h(k, m->cap);

	while (m->v[i] != NULL) {
		if (m->v[i]->handle == k)
			return m->v[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static int grow(kt_objmap *m)
{
	kt_object **old = m->v;
	size_t oc = m->cap, i, j;

	m->v = calloc(oc * 2, sizeof *m->v);
	if (m->v == NULL) {
		m->v = old;
		return -ENOMEM;
	}
	m->cap = oc * 2;
	for (i = 0; i < oc; i++) {
		if (old[i] == NULL)
			continue;
		j = h(old[i]->handle, m->cap);
		while (m->v[j] != NULL)
			j = (j + 1) & (m->cap - 1);
		m->v[j] = old[i];
	}
	free(old);
	return 0;
}

int kt_objmap_set(kt_objmap *m, kt_object *o)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	i = h(o->handle, m->cap);
	while (m->v[i] != NULL && m->v[i]->handle != o->handle)
		i = (i + 1) & (m->cap - 1);
	if (m->v[i] != NULL)
		kt_obj_put(m->v[i]);
	else
		m->n++;
	m->v[i] = o;
	return 0;
}

kt_object *kt_objmap_take(kt_objmap *m, kr_serial k)
{
	size_t i = h(k, m->cap), j, want;
	kt_object *o;

	while (m->v[i] != NULL && m->v[i]->handle != k)
		i = (i + 1) & (m->cap - 1);
	o = m->v[i];
	if (o == NULL)
		return NULL;
	m->v[i] = NULL;
	m->n--;
	/* backward shift: pull later members of the run into the hole */
	for (j = (i + 1) & (m->cap - 1); m->v[j] != NULL; j = (j + 1) & (m->cap - 1)) {
		want = h(m->v[j]->handle, m->cap);
		if (((j - want) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->v[i] = m->v[j];
			m->v[j] = NULL;
			i = j;
		}
	}
	return o;
}

size_t kt_objmap_count(const kt_objmap *m) { return m->n; }
size_t kt_objmap_cap(const kt_objmap *m) { return m->cap; }
kt_object *kt_objmap_slot(const kt_objmap *m, size_t i) { return m->v[i]; }
