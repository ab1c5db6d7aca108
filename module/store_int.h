/* store_int.h - what store.c, store_ring.c and store_sync.c share (private
 * to them): the kt:gen record and the helpers named in store.c's header. */
#ifndef KT_STORE_INT_H
#define KT_STORE_INT_H
#include "kt.h"
#include "objmap.h"

#define GEN_MODS 32
typedef struct {
	uint8_t magic[4];                   /* "KTG1" */
	uint8_t uuid[16];
	uint64_t gen;
	uint32_t nmods, pad;
	struct { uint64_t gen; int32_t serial; uint32_t pad; } mods[GEN_MODS];
} gen_rec;

#define MAX_OBJ_FILE (64u * 1024)
#define MAX_PAYLOAD 32767u              /* what a "user" key holds */

extern char kt_st_store_desc[64];             /* "kerntok:<16 hex>" */

/* store_ring.c: names, the store ring, loading a token ring from disk */
void kt_st_hex(char *out, const uint8_t *p, size_t n);
void kt_st_obj_desc(char *out, size_t n, const kt_object *o);
void kt_st_obj_file(char *out, size_t n, const uint8_t objid[KT_OBJID_LEN]);
void kt_st_gen_desc(char *out, size_t n, const kt_token *t);
int  kt_st_store_desc_init(void);
int  kt_st_read_obj_file(kt_token *t, const char *name, uint8_t **payload, size_t *plen);
int  kt_st_read_gen(kr_serial gk, gen_rec *g);
int  kt_st_resolve_ring(kt_token *t);                 /* t->lock held for writing */

/* store_sync.c: the per-process cache, crash recovery */
int   kt_st_cache_read(kt_token *t, kr_serial k);
int   kt_st_full_sync(kt_token *t, const gen_rec *g);
int   kt_st_reconcile(kt_token *t);
CK_RV kt_st_store_sync(kt_token *t, bool chain);

/* store.c */
int   kt_st_bump_gen(kt_token *t, kr_serial mod);     /* under the directory lock */
#endif
