/* cli.h - what the kerntok command-line tool's files share.
 *
 * Every command is `int cmd_x(int argc, char **argv)` with argv[0] the
 * command name; it returns the process exit code (0 ok, 1 failure, 2 usage).
 * Errors go to stderr through cli_err()/cli_rv().  PKCS#11 is used for
 * everything an application could do; keyring/ (kr_*) for the keyctl view.
 */
#ifndef KT_CLI_H
#define KT_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "pkcs11.h"
#include "keyring/kr.h"

#define EXIT_USAGE 2

/* systemd-style scope cleanup: tools/ only (see STYLE.md). */
#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void freep(void *p) { free(*(void **)p); }

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_init(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_delete_token(int argc, char **argv);

/* util.c */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  cli_rv(CK_RV rv, const char *what);             /* prints, returns 1 */
int  cli_usage(const char *cmd, const char *usage);  /* "try --help", returns 2 */
void cli_trim(char *dst, const CK_UTF8CHAR *src, size_t n); /* blank padded -> C string */
void cli_hex(char *dst, const uint8_t *p, size_t n);
const char *cli_class_name(CK_OBJECT_CLASS c);       /* "data", "certificate", ... */
const char *cli_keytype_name(CK_KEY_TYPE k);         /* "rsa", "aes", ... */
void cli_put_safe(FILE *f, const char *s, size_t n);   /* escapes control bytes */
bool cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* json.c: a tiny streaming writer; commas and escaping handled here */
typedef struct {
	FILE *f;
	int depth;
	bool first[16];
} json_w;
void json_begin(json_w *j, FILE *f);
void json_obj(json_w *j, const char *key);           /* key NULL inside arrays */
void json_arr(json_w *j, const char *key);
void json_end_obj(json_w *j);
void json_end_arr(json_w *j);
void json_str(json_w *j, const char *key, const char *v);  /* v NULL: null */
void json_strn(json_w *j, const char *key, const char *v, size_t n);
void json_num(json_w *j, const char *key, unsigned long long v);
void json_bool(json_w *j, const char *key, bool v);
void json_null(json_w *j, const char *key);
void json_finish(json_w *j);                         /* final newline */

/* pin.c: PIN from --pin / --pin-file / the terminal.  The result is a
 * malloc'd NUL-terminated string; free with pin_free (wipes). */
typedef struct {
	char *value;        /* --pin argument (wiped in argv once taken) */
	const char *file;   /* --pin-file argument */
} pin_src;
int  pin_get(pin_src *src, const char *prompt, bool confirm, char **out);
void pin_free(char *pin);
static inline void pin_freep(char **p) { pin_free(*p); *p = NULL; }
char *pin_take_arg(char *arg);  /* for getopt: remember the value, blank argv */

/* p11.c: the PKCS#11 side */
typedef struct {
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;
	char label[33], serial[17];
} p11_token;
int  p11_start(void);                                 /* C_Initialize; 0 or exit code */
void p11_stop(void);                                  /* C_Finalize */
/* Every initialized token (*n of them, malloc'd) and the free slot
 * (CK_UNAVAILABLE_INFORMATION when the store is full). */
int  p11_tokens(p11_token **toks, size_t *n, CK_SLOT_ID *free_slot);
/* The token labelled `label`: 0, or an exit code after printing why. */
int  p11_find(const char *label, p11_token *out);
int  p11_session(CK_SLOT_ID slot, bool rw, CK_SESSION_HANDLE *s);
int  p11_login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin);
/* All objects this session can see (*n handles, malloc'd). */
int  p11_objects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE **h, size_t *n);
/* One attribute into a new buffer; -1 when absent/invalid/sensitive. */
long p11_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, void **out);
int  p11_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t); /* 1/0/-1 */
bool p11_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t, CK_ULONG *v);

/* ring.c: the keyctl view */
int  ring_store(char *dir, size_t dirlen, kr_serial *ring, char *desc, size_t desclen);
int  ring_token(kr_serial store, const p11_token *t, kr_serial *ring, char *desc, size_t dlen);
typedef struct {
	kr_serial serial;
	char desc[256];
} ring_entry;
/* The token ring's object keys (kt:gen left out), *n of them, malloc'd. */
int  ring_objects(kr_serial ring, ring_entry **e, size_t *n);
size_t ring_count_private(const ring_entry *e, size_t n);

#endif
