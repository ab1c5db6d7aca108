/* objmap.h - serial -> object hash table (open addressing).  Not locked:
 * the token's rwlock protects it. */
#ifndef KT_OBJMAP_H
#define KT_OBJMAP_H
#include "kt.h"

kt_objmap *kt_objmap_new(void);
void       kt_objmap_free(kt_objmap *m);            /* drops every object */
kt_object *kt_objmap_get(const kt_objmap *m, kr_serial k);
int        kt_objmap_set(kt_objmap *m, kt_object *o); /* takes the caller's ref; replaces */
kt_object *kt_objmap_take(kt_objmap *m, kr_serial k); /* removes; returns the map's ref */
size_t     kt_objmap_count(const kt_objmap *m);
/* iterate: i from 0 while < capacity */
size_t     kt_objmap_cap(const kt_objmap *m);
kt_object *kt_objmap_slot(const kt_objmap *m, size_t i);
#endif
