/* gen_corpus.c - writes the seed corpus of every fuzz target into
 * tests/corpus/<target>/ (`make fuzz-corpus`): a handful of valid inputs
 * each, made with the module's own encoders so they stay valid when a
 * format changes (regenerate, review the diff, commit).  Crashers found by
 * fuzzing are committed next to them by hand (named crash-*), so
 * `make fuzz-check` replays them forever. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fz.h"
#include "kt.h"
#include "tp_int.h"

static const char *root;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* ---- byte builder ---- */
typedef struct { uint8_t b[8192]; size_t n; } buf;
static void b1(buf *b, uint8_t v) { b->b[b->n++] = v; }
static void bn(buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void bcat(buf *b, const uint8_t *pfx, size_t pn, const buf *x)
{
	memcpy(b->b, pfx, pn);
	memcpy(b->b + pn, x->b, x->n);
	b->n = pn + x->n;
}

/* ---- fz.h template format ---- */
static uint8_t sel(CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < FZ_NTYPES; i++)
		if (fz_types[i] == t)
			return (uint8_t)i;
	fprintf(stderr, "gen_corpus: type 0x%lx not in fz_types\n", t);
	exit(1);
}
static void t_ul(buf *b, CK_ATTRIBUTE_TYPE t, uint8_t v) { b1(b, sel(t)); b1(b, 2); b1(b, v); }
static void t_bool(buf *b, CK_ATTRIBUTE_TYPE t, uint8_t v) { b1(b, sel(t)); b1(b, 3); b1(b, v); }
static void t_bytes(buf *b, CK_ATTRIBUTE_TYPE t, const void *p, uint8_t n)
{
	b1(b, sel(t)); b1(b, 1); b1(b, n); bn(b, p, n);
}
static void t_str(buf *b, CK_ATTRIBUTE_TYPE t, const char *s) { t_bytes(b, t, s, (uint8_t)strlen(s)); }
static void t_nested(buf *b, CK_ATTRIBUTE_TYPE t, uint8_t cnt) { b1(b, sel(t)); b1(b, 4); b1(b, cnt); }
static void t_null(buf *b, CK_ATTRIBUTE_TYPE t) { b1(b, sel(t)); b1(b, 0); b1(b, 0); }
static void t_sep(buf *b) { b1(b, 0xfe); }

static const uint8_t k32[32] = "0123456789abcdef0123456789abcdef";
/* P-256 OID and an uncompressed point of the right size (not on the curve:
 * the rules may or may not check) */
static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* templates: everything after the target's own prefix byte(s) */
static void templates(void (*emit)(const char *name, const buf *b, int flags, uint8_t cls, uint8_t kt))
{
	buf b;
	uint8_t pt[67];

	/* 1: a data object, then set/copy/read */
	memset(&b, 0, sizeof b);
	t_ul(&b, CKA_CLASS, CKO_DATA); t_bool(&b, CKA_TOKEN, 1); t_str(&b, CKA_LABEL, "data");
	t_str(&b, CKA_APPLICATION, "app"); t_str(&b, CKA_VALUE, "hello world");
	t_sep(&b); t_str(&b, CKA_LABEL, "renamed");
	t_sep(&b); t_bool(&b, CKA_TOKEN, 0);
	t_sep(&b); t_null(&b, CKA_LABEL); t_null(&b, CKA_VALUE); t_null(&b, CKA_CLASS);
	emit("data", &b, 0, 0, 0);

	/* 2: a private, sensitive generic secret with a wrap template */
	memset(&b, 0, sizeof b);
	t_ul(&b, CKA_CLASS, CKO_SECRET_KEY); t_ul(&b, CKA_KEY_TYPE, CKK_GENERIC_SECRET);
	t_bool(&b, CKA_TOKEN, 1); t_bool(&b, CKA_PRIVATE, 1); t_bool(&b, CKA_SENSITIVE, 1);
	t_bytes(&b, CKA_VALUE, k32, 32); t_str(&b, CKA_LABEL, "secret");
	t_nested(&b, CKA_WRAP_TEMPLATE, 2); t_ul(&b, CKA_CLASS, CKO_SECRET_KEY);
	t_ul(&b, CKA_KEY_TYPE, CKK_AES);
	t_sep(&b); t_bool(&b, CKA_EXTRACTABLE, 0); t_str(&b, CKA_ID, "id1");
	t_sep(&b); t_bool(&b, CKA_SENSITIVE, 1);
	t_sep(&b); t_null(&b, CKA_VALUE); t_null(&b, CKA_WRAP_TEMPLATE); t_null(&b, CKA_VALUE_LEN);
	emit("secret", &b, 0, 0, 0);

	/* 3: an AES key with allowed mechanisms and dates */
	memset(&b, 0, sizeof b);
	t_ul(&b, CKA_CLASS, CKO_SECRET_KEY); t_ul(&b, CKA_KEY_TYPE, CKK_AES);
	t_bytes(&b, CKA_VALUE, k32, 16); t_str(&b, CKA_START_DATE, "20240101");
	t_str(&b, CKA_END_DATE, "20351231");
	b1(&b, sel(CKA_ALLOWED_MECHANISMS)); b1(&b, 6); b1(&b, 2); b1(&b, 0xfb); b1(&b, 0xfc);
	t_sep(&b); t_bool(&b, CKA_ENCRYPT, 0);
	t_sep(&b);
	t_sep(&b); t_null(&b, CKA_ALLOWED_MECHANISMS); t_null(&b, CKA_CHECK_VALUE);
	emit("aes", &b, 0, 0, 0);

	/* 4: an X.509 certificate */
	memset(&b, 0, sizeof b);
	t_ul(&b, CKA_CLASS, CKO_CERTIFICATE); t_ul(&b, CKA_CERTIFICATE_TYPE, CKC_X_509);
	t_str(&b, CKA_SUBJECT, "0\x0f" "1\r0\x0b" "\x06\x03U\x04\x03\x0c\x04test");
	t_str(&b, CKA_VALUE, "0\x03\x02\x01\x01"); t_ul(&b, CKA_CERTIFICATE_CATEGORY, 2);
	t_sep(&b); t_str(&b, CKA_LABEL, "cert");
	emit("cert", &b, 0, 0, 0);

	/* 5: an EC public key */
	memset(&b, 0, sizeof b);
	pt[0] = 0x04; pt[1] = 65; pt[2] = 0x04;
	memset(pt + 3, 0x11, 64);
	t_ul(&b, CKA_CLASS, CKO_PUBLIC_KEY); t_ul(&b, CKA_KEY_TYPE, CKK_EC);
	t_bytes(&b, CKA_EC_PARAMS, p256, sizeof p256); t_bytes(&b, CKA_EC_POINT, pt, sizeof pt);
	t_bool(&b, CKA_VERIFY, 1);
	emit("ecpub", &b, 0, 0, 0);

	/* 6: generation-style template, class and key type given by the caller */
	memset(&b, 0, sizeof b);
	t_ul(&b, CKA_VALUE_LEN, 32); t_bool(&b, CKA_TOKEN, 1); t_bool(&b, CKA_EXTRACTABLE, 0);
	t_nested(&b, CKA_DERIVE_TEMPLATE, 1); t_bool(&b, CKA_SENSITIVE, 1);
	emit("generate", &b, KT_MAKE_GENERATE | 0x30, CKO_SECRET_KEY, CKK_AES);

	/* 7: bad values the rules must refuse */
	memset(&b, 0, sizeof b);
	t_ul(&b, CKA_CLASS, CKO_DATA); t_bool(&b, CKA_TOKEN, 2);
	b1(&b, sel(CKA_LABEL)); b1(&b, 0); b1(&b, 9);          /* NULL, length 9 */
	b1(&b, 0xff); bn(&b, "\x34\x12\x00\x80", 4); b1(&b, 1); b1(&b, 1); b1(&b, 'v');
	emit("bad", &b, 0, 0, 0);
}

static void emit_template(const char *name, const buf *b, int flags, uint8_t cls, uint8_t kt)
{
	uint8_t pfx[3] = { (uint8_t)flags, cls, kt };
	buf o;

	bcat(&o, pfx, 3, b);
	put("template", name, o.b, o.n);
}

static int emit_sel;
static void emit_module(const char *name, const buf *b, int flags, uint8_t cls, uint8_t kt)
{
	uint8_t pfx[1] = { (uint8_t)emit_sel };
	char nm[64];
	buf o;

	(void)flags; (void)cls; (void)kt;
	bcat(&o, pfx, 1, b);
	snprintf(nm, sizeof nm, "%s-s%d", name, emit_sel);
	put("module_create", nm, o.b, o.n);
}

/* ---- attrs / objects ---- */
static void attrs_sets(kt_attrs *data, kt_attrs *secret, kt_attrs *priv)
{
	CK_MECHANISM_TYPE mechs[2] = { CKM_AES_CBC_PAD, CKM_SHA256_HMAC };
	kt_attrs wt;
	uint8_t *e;
	size_t n;

	kt_attrs_init(data);
	kt_attrs_put_ulong(data, CKA_CLASS, CKO_DATA);
	kt_attrs_put_bool(data, CKA_TOKEN, CK_TRUE);
	kt_attrs_put_bool(data, CKA_PRIVATE, CK_FALSE);
	kt_attrs_put(data, CKA_LABEL, "label", 5);
	kt_attrs_put(data, CKA_VALUE, "value", 5);

	kt_attrs_init(secret);
	kt_attrs_put_ulong(secret, CKA_CLASS, CKO_SECRET_KEY);
	kt_attrs_put_ulong(secret, CKA_KEY_TYPE, CKK_AES);
	kt_attrs_put_bool(secret, CKA_SENSITIVE, CK_TRUE);
	kt_attrs_put(secret, CKA_VALUE, k32, 32);
	kt_attrs_put(secret, CKA_ALLOWED_MECHANISMS, mechs, sizeof mechs);
	kt_attrs_init(&wt);
	kt_attrs_put_ulong(&wt, CKA_CLASS, CKO_SECRET_KEY);
	kt_attrs_put_bool(&wt, CKA_EXTRACTABLE, CK_TRUE);
	kt_attrs_encode(&wt, NULL, &e, &n);
	kt_attrs_put(secret, CKA_WRAP_TEMPLATE, e, n);
	kt_attrs_put(secret, CKA_UNWRAP_TEMPLATE, NULL, 0);
	free(e);
	kt_attrs_free(&wt);

	kt_attrs_init(priv);
	kt_attrs_put_ulong(priv, CKA_CLASS, CKO_DATA);
	kt_attrs_put_bool(priv, CKA_PRIVATE, CK_TRUE);
	kt_attrs_put(priv, CKA_LABEL, "private", 7);
	kt_attrs_put(priv, CKA_VALUE, "marker", 6);
}

static void gen_attrs(const kt_attrs *v, int nv)
{
	static const char *names[] = { "data", "secret", "private" };
	kt_attrs empty;
	uint8_t *e;
	size_t n;
	int i;

	kt_attrs_init(&empty);
	kt_attrs_encode(&empty, NULL, &e, &n);
	put("attrs_decode", "empty", e, n);
	free(e);
	for (i = 0; i < nv; i++) {
		kt_attrs_encode(&v[i], NULL, &e, &n);
		put("attrs_decode", names[i], e, n);
		free(e);
	}
}

static void gen_objcodec(const kt_attrs *v, int nv)
{
	static const char *names[] = { "data", "secret", "private" };
	uint8_t *p, out[8192];
	size_t n;
	int i;

	for (i = 0; i < nv; i++) {
		char nm[32];
		bool priv = i == 2;
		kt_obj_encode(&v[i], fz_objid, priv, fz_key, fz_uuid, &p, &n);
		out[0] = 0;                           /* raw */
		memcpy(out + 1, p, n);
		snprintf(nm, sizeof nm, "raw-%s", names[i]);
		put("objcodec", nm, out, n + 1);
		free(p);
	}
	/* constructed: clear part = data set minus its value, inner = the value */
	{
		kt_attrs clear, inner;
		uint8_t *c, *in;
		size_t cn, inn;
		uint32_t cls = CKO_DATA;
		kt_attrs_copy(&clear, &v[0]);
		kt_attrs_del(&clear, CKA_VALUE);
		kt_attrs_init(&inner);
		kt_attrs_put(&inner, CKA_VALUE, "sealed value", 12);
		kt_attrs_encode(&clear, NULL, &c, &cn);
		kt_attrs_encode(&inner, NULL, &in, &inn);
		n = 0;
		out[n++] = 1;                         /* constructed */
		out[n++] = 0;                         /* flags */
		memcpy(out + n, &cls, 4); n += 4;
		out[n++] = (uint8_t)cn; out[n++] = (uint8_t)(cn >> 8);
		memcpy(out + n, c, cn); n += cn;
		memcpy(out + n, in, inn); n += inn;
		put("objcodec", "built-data", out, n);
		/* private: everything sealed */
		n = 0;
		out[n++] = 3; out[n++] = 1;
		cls = 0xffffffffu;
		memcpy(out + n, &cls, 4); n += 4;
		out[n++] = 0; out[n++] = 0;
		free(in);
		kt_attrs_encode(&v[2], NULL, &in, &inn);
		memcpy(out + n, in, inn); n += inn;
		put("objcodec", "built-private", out, n);
		free(c); free(in);
		kt_attrs_free(&clear); kt_attrs_free(&inner);
	}
}

static void gen_meta(void)
{
	char dir[] = "/tmp/kt-gen-meta.XXXXXX", path[128];
	uint8_t out[1024], *p;
	size_t n;
	kt_meta m;
	int fd;

	memset(&m, 0, sizeof m);
	memcpy(m.uuid, fz_uuid, 16);
	memset(m.label, ' ', 32);
	memcpy(m.label, "seed token", 10);
	memcpy(m.serial, "0123456789abcdef", 16);
	m.max_tries = 10;
	m.user_fails = 2;
	m.kdf_iter = KT_KDF_ITER;
	m.user_pin_set = true;
	memset(m.salt_so, 1, 16);
	memset(m.salt_user, 2, 16);
	memset(m.wrap_so, 3, sizeof m.wrap_so);
	memset(m.wrap_user, 4, sizeof m.wrap_user);
	memset(m.mac_key, 5, 32);
	if (mkdtemp(dir) == NULL || (fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0 ||
	    kt_meta_save(fd, &m) != 0 || kt_disk_read(fd, "token.meta", &p, &n, 4096) != 0) {
		fprintf(stderr, "gen_corpus: meta\n");
		exit(1);
	}
	out[0] = 0;
	memcpy(out + 1, p, n);
	put("meta", "raw", out, n + 1);
	out[0] = 1;                                   /* MAC recomputed */
	put("meta", "mac-fixed", out, n + 1);
	put("meta", "truncated", out, n / 2);
	/* a version-1 file (before the TPM fields): the same bytes, version 1,
	 * MAC recomputed over the v1 length by the target */
	out[5] = 1; out[6] = out[7] = out[8] = 0;
	put("meta", "v1-mac-fixed", out, 1 + 276 + 32);
	free(p);
	close(fd);
	snprintf(path, sizeof path, "%s/token.meta", dir);
	unlink(path);
	rmdir(dir);
}

static void gen_tpblob(void)
{
	struct tp_blob b;
	uint8_t *p, out[4096];
	size_t n;
	int pcr;

	for (pcr = 0; pcr < 2; pcr++) {
		memset(&b, 0, sizeof b);
		b.parent_type = TPM2_ALG_ECC;
		b.parent.size = 34;
		b.parent.name[0] = 0x00;
		b.parent.name[1] = 0x0b;
		memset(b.parent.name + 2, 0x5a, 32);
		b.pub.publicArea.type = TPM2_ALG_KEYEDHASH;
		b.pub.publicArea.nameAlg = TPM2_ALG_SHA256;
		b.pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		                                    (pcr ? 0 : TPMA_OBJECT_USERWITHAUTH);
		if (pcr) {
			b.pub.publicArea.authPolicy.size = 32;
			memset(b.pub.publicArea.authPolicy.buffer, 0x77, 32);
			b.has_pcrs = 1;
			b.pcr_alg = TPM2_ALG_SHA256;
			b.pcr_mask = 0x80 | 0x1;
			b.pcr_size = 32;
			memset(b.pcr_vals[0], 0xa0, 32);
			memset(b.pcr_vals[7], 0xa7, 32);
		}
		b.pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
		b.pub.publicArea.unique.keyedHash.size = 32;
		memset(b.pub.publicArea.unique.keyedHash.buffer, 0x42, 32);
		b.priv.size = 96;
		memset(b.priv.buffer, 0x33, 96);
		if (tp_blob_build(&b, &p, &n) != 0) {
			fprintf(stderr, "gen_corpus: tp_blob_build\n");
			exit(1);
		}
		out[0] = 0;
		memcpy(out + 1, p, n);
		put("tpblob", pcr ? "pcr" : "plain", out, n + 1);
		out[0] = 1;
		out[n / 2] ^= 1;                      /* damaged, hash fixed by the target */
		put("tpblob", pcr ? "pcr-flip" : "plain-flip", out, n + 1);
		free(p);
	}
}

int main(int argc, char **argv)
{
	kt_attrs sets[3];
	int i;

	root = argc > 1 ? argv[1] : "tests/corpus";
	mkdir(root, 0755);
	attrs_sets(&sets[0], &sets[1], &sets[2]);
	gen_attrs(sets, 3);
	gen_objcodec(sets, 3);
	gen_meta();
	gen_tpblob();
	templates(emit_template);
	for (emit_sel = 0; emit_sel < 4; emit_sel += 3)
		templates(emit_module);
	for (i = 0; i < 3; i++)
		kt_attrs_free(&sets[i]);
	printf("gen_corpus: seeds written under %s\n", root);
	return 0;
}
