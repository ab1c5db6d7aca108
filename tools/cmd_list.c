/* cmd_list.c - kerntok list: tokens and their objects, as the keyring holds
 * them (key serial = CK_OBJECT_HANDLE) with their PKCS#11 meaning. */
#include <getopt.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
	"Usage: kerntok list [--json] [--token L] [--pin U | --pin-file F]\n"
	"List every token and its objects: key serial (= object handle), keyctl\n"
	"description, class, label, id and attributes.\n"
	"  --json        one JSON document\n"
	"  --token L     only the token labelled L\n"
	"  --pin U       log in as user to list private objects too (needs --token\n"
	"                when the store holds several tokens)\n"
	"  --pin-file F  read the user PIN from the first line of F\n";

typedef struct {
	kr_serial serial;
	const char *desc;                   /* keyctl description; NULL: not in the ring */
	bool p11;                           /* visible through PKCS#11 */
	CK_ULONG cls, ktype;
	bool has_cls, has_ktype;
	char *label, *id;                   /* label as is, id in hex */
	long label_len;
	int token, priv, sensitive, extractable;
} obj;

typedef struct {
	p11_token t;
	kr_serial ring;
	char ring_desc[96];
	ring_entry *ents;
	obj *objs;
	size_t nents, nobjs, hidden;
	bool logged_in;
} tok_view;

static void obj_fill(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, obj *o)
{
	_cleanup_(freep) uint8_t *id = NULL;
	long n;

	o->serial = (kr_serial)h;
	o->p11 = true;
	o->has_cls = p11_ulong(s, h, CKA_CLASS, &o->cls);
	o->label_len = p11_attr(s, h, CKA_LABEL, (void **)&o->label);
	n = p11_attr(s, h, CKA_ID, (void **)&id);
	if (n >= 0 && (o->id = malloc(2 * (size_t)n + 1)) != NULL)
		cli_hex(o->id, id, (size_t)n);
	o->token = p11_bool(s, h, CKA_TOKEN);
	o->priv = p11_bool(s, h, CKA_PRIVATE);
	o->has_ktype = p11_ulong(s, h, CKA_KEY_TYPE, &o->ktype);
	o->sensitive = p11_bool(s, h, CKA_SENSITIVE);
	o->extractable = p11_bool(s, h, CKA_EXTRACTABLE);
}

/* Keyring entries in the kernel's order, each with what PKCS#11 says about
 * it; then objects PKCS#11 shows that are not in the ring (session objects). */
static int merge(CK_SESSION_HANDLE s, tok_view *v, const CK_OBJECT_HANDLE *h, size_t nh)
{
	_cleanup_(freep) bool *used = calloc(nh + 1, sizeof *used);
	size_t i, k;

	v->objs = calloc(v->nents + nh + 1, sizeof *v->objs);
	if (v->objs == NULL || used == NULL)
		return cli_rv(CKR_HOST_MEMORY, "list");
	for (i = 0; i < v->nents; i++) {
		for (k = 0; k < nh && (kr_serial)h[k] != v->ents[i].serial; k++)
			;
		if (k == nh && strncmp(v->ents[i].desc, "kt:private:", 11) == 0) {
			v->hidden++;                /* sealed: only a login shows it */
			continue;
		}
		obj *o = &v->objs[v->nobjs++];
		o->serial = v->ents[i].serial;
		if (k < nh) {
			obj_fill(s, h[k], o);
			used[k] = true;
		}
		o->desc = v->ents[i].desc;
	}
	for (k = 0; k < nh; k++)
		if (!used[k])
			obj_fill(s, h[k], &v->objs[v->nobjs++]);
	return 0;
}

/* PKCS#11 first: the search makes the module load the token ring from disk
 * when no process has since boot, so the keyring is there to look at. */
static int view_token(tok_view *v, const char *pin)
{
	_cleanup_(freep) CK_OBJECT_HANDLE *h = NULL;
	char dir[4096], sdesc[32];
	CK_SESSION_HANDLE s;
	kr_serial store;
	size_t nh = 0;
	int r;

	r = p11_session(v->t.slot, false, &s);
	if (r != 0)
		return r;
	if (pin != NULL) {
		r = p11_login(s, CKU_USER, pin);
		v->logged_in = r == 0;
	}
	if (r == 0)
		r = p11_objects(s, &h, &nh);
	if (r == 0)
		r = ring_store(dir, sizeof dir, &store, sdesc, sizeof sdesc);
	if (r == 0)
		r = ring_token(store, &v->t, &v->ring, v->ring_desc, sizeof v->ring_desc);
	if (r == 0 && v->ring != 0)
		r = ring_objects(v->ring, &v->ents, &v->nents);
	if (r == 0)
		r = merge(s, v, h, nh);
	if (v->logged_in)
		(void)C_Logout(s);
	(void)C_CloseSession(s);
	return r;
}

static void view_free(tok_view *v, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < v[i].nobjs; k++) {
			free(v[i].objs[k].label);
			free(v[i].objs[k].id);
		}
		free(v[i].objs);
		free(v[i].ents);
	}
	free(v);
}

static const struct { CK_FLAGS f; const char *name; } token_flags[] = {
	{ CKF_TOKEN_INITIALIZED, "initialized" },
	{ CKF_USER_PIN_INITIALIZED, "user_pin_initialized" },
	{ CKF_LOGIN_REQUIRED, "login_required" },
	{ CKF_USER_PIN_COUNT_LOW, "user_pin_count_low" },
	{ CKF_USER_PIN_FINAL_TRY, "user_pin_final_try" },
	{ CKF_USER_PIN_LOCKED, "user_pin_locked" },
	{ CKF_SO_PIN_COUNT_LOW, "so_pin_count_low" },
	{ CKF_SO_PIN_FINAL_TRY, "so_pin_final_try" },
	{ CKF_SO_PIN_LOCKED, "so_pin_locked" },
};
#define NFLAGS (sizeof token_flags / sizeof token_flags[0])

static bool locked(const CK_TOKEN_INFO *ti)
{
	return (ti->flags & (CKF_USER_PIN_LOCKED | CKF_SO_PIN_LOCKED)) != 0;
}

static void print_tristate(const char *name, int v)
{
	if (v >= 0)
		printf(" %s=%s", name, v ? "yes" : "no");
}

static void print_text(const tok_view *v, size_t n, CK_SLOT_ID free_slot)
{
	size_t i, k, f;

	for (i = 0; i < n; i++) {
		const tok_view *t = &v[i];
		printf("slot %lu: token \"", t->t.slot);
		cli_put_safe(stdout, t->t.label, strlen(t->t.label));
		printf("\" serial %s\n  flags:", t->t.serial);
		for (f = 0; f < NFLAGS; f++)
			if (t->t.info.flags & token_flags[f].f)
				printf(" %s", token_flags[f].name);
		printf("%s\n", locked(&t->t.info) ? " LOCKED" : "");
		if (t->ring != 0)
			printf("  keyring: %d %s\n", t->ring, t->ring_desc);
		else
			printf("  keyring: not loaded (%s)\n", t->ring_desc);
		for (k = 0; k < t->nobjs; k++) {
			const obj *o = &t->objs[k];
			printf("  %-10d %s", o->serial, o->desc ? o->desc : "(session object)");
			if (!o->p11) {
				printf("  (not readable through PKCS#11)\n");
				continue;
			}
			printf("  class=%s", o->has_cls ? cli_class_name(o->cls) : "?");
			fputs(" label=\"", stdout);
			if (o->label != NULL)
				cli_put_safe(stdout, o->label, (size_t)o->label_len);
			printf("\" id=%s", o->id && o->id[0] ? o->id : "-");
			print_tristate("token", o->token);
			print_tristate("private", o->priv);
			if (o->has_ktype)
				printf(" key_type=%s", cli_keytype_name(o->ktype));
			print_tristate("sensitive", o->sensitive);
			print_tristate("extractable", o->extractable);
			putchar('\n');
		}
		if (t->nobjs == 0 && t->hidden == 0)
			printf("  no objects\n");
		if (t->hidden > 0)
			printf("  %zu private object%s (log in to list)\n", t->hidden,
			       t->hidden == 1 ? "" : "s");
	}
	if (n == 0)
		printf("no tokens\n");
	if (free_slot != CK_UNAVAILABLE_INFORMATION)
		printf("free slot: %lu\n", free_slot);
}

static void json_tristate(json_w *j, const char *key, int v)
{
	if (v < 0)
		json_null(j, key);
	else
		json_bool(j, key, v != 0);
}

static void json_object(json_w *j, const obj *o)
{
	json_obj(j, NULL);
	json_num(j, "serial", (unsigned long long)o->serial);
	json_str(j, "description", o->desc);
	json_bool(j, "pkcs11", o->p11);
	json_str(j, "class", o->has_cls ? cli_class_name(o->cls) : NULL);
	if (o->label != NULL)
		json_strn(j, "label", o->label, (size_t)o->label_len);
	else
		json_null(j, "label");
	json_str(j, "id", o->id);
	json_tristate(j, "token", o->token);
	json_tristate(j, "private", o->priv);
	json_str(j, "key_type", o->has_ktype ? cli_keytype_name(o->ktype) : NULL);
	json_tristate(j, "sensitive", o->sensitive);
	json_tristate(j, "extractable", o->extractable);
	json_end_obj(j);
}

static void print_json(const tok_view *v, size_t n, CK_SLOT_ID free_slot)
{
	json_w j;
	size_t i, k, f;

	json_begin(&j, stdout);
	json_obj(&j, NULL);
	if (free_slot != CK_UNAVAILABLE_INFORMATION)
		json_num(&j, "free_slot", free_slot);
	else
		json_null(&j, "free_slot");
	json_arr(&j, "tokens");
	for (i = 0; i < n; i++) {
		const tok_view *t = &v[i];
		json_obj(&j, NULL);
		json_num(&j, "slot", t->t.slot);
		json_str(&j, "label", t->t.label);
		json_str(&j, "serial", t->t.serial);
		if (t->ring != 0)
			json_num(&j, "keyring", (unsigned long long)t->ring);
		else
			json_null(&j, "keyring");
		json_str(&j, "keyring_description", t->ring_desc);
		json_obj(&j, "flags");
		for (f = 0; f < NFLAGS; f++)
			json_bool(&j, token_flags[f].name, (t->t.info.flags & token_flags[f].f) != 0);
		json_bool(&j, "locked", locked(&t->t.info));
		json_end_obj(&j);
		json_bool(&j, "logged_in", t->logged_in);
		json_arr(&j, "objects");
		for (k = 0; k < t->nobjs; k++)
			json_object(&j, &t->objs[k]);
		json_end_arr(&j);
		json_num(&j, "private_hidden", t->hidden);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_finish(&j);
}

struct list_opts {
	bool json;
	const char *token;
	pin_src pin;
};

static int parse(int argc, char **argv, struct list_opts *o)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "token", required_argument, NULL, 't' },
		{ "pin", required_argument, NULL, 'P' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 't': o->token = optarg; break;
		case 'P': pin_free(o->pin.value); o->pin.value = pin_take_arg(optarg); break;
		case 'p': o->pin.file = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return cli_usage("list", NULL);
		}
	}
	if (optind < argc)
		return cli_usage("list", "unexpected argument");
	return 0;
}

/* The tokens to show: all, or the one --token names. */
static int select_tokens(const struct list_opts *o, tok_view **out, size_t *n, CK_SLOT_ID *fs)
{
	_cleanup_(freep) p11_token *t = NULL;
	size_t nt, i;
	int r;

	r = p11_tokens(&t, &nt, fs);
	if (r != 0)
		return r;
	*out = calloc(nt + 1, sizeof **out);
	if (*out == NULL)
		return 1;
	for (*n = 0, i = 0; i < nt; i++)
		if (o->token == NULL || strcmp(t[i].label, o->token) == 0)
			(*out)[(*n)++].t = t[i];
	if (o->token != NULL && *n != 1) {
		cli_err(*n ? "several tokens are labelled \"%s\"" : "no token labelled \"%s\"", o->token);
		return 1;
	}
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct list_opts o = { 0 };
	_cleanup_(pin_freep) char *pin = NULL;
	tok_view *v = NULL;
	CK_SLOT_ID fs;
	size_t n = 0, i;
	int r;

	r = parse(argc, argv, &o);
	if (r == 0 && (o.pin.value != NULL || o.pin.file != NULL))
		r = pin_get(&o.pin, "User PIN", false, &pin);
	pin_free(o.pin.value);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = p11_start();
	if (r != 0)
		return r;
	r = select_tokens(&o, &v, &n, &fs);
	if (r == 0 && pin != NULL && n > 1) {
		/* one PIN tried on every token would burn their retry counters */
		r = cli_usage("list", "--pin needs --token when the store holds several tokens");
	}
	for (i = 0; r == 0 && i < n; i++)
		r = view_token(&v[i], pin);
	if (r == 0 && o.json)
		print_json(v, n, fs);
	else if (r == 0)
		print_text(v, n, fs);
	view_free(v, n);
	p11_stop();
	return r;
}
