/* labels.c: see labels.h.  */
#include "config.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "python/member.h"
#include "python/preview.h"
#include "python/typetable.h"
#include <stdlib.h>
#include "util/u64map.h"
#include "walk/labels.h"
#include "walk/referents.h"

#define PTR 8
#define MAX_ITEMS (1ll << 31)	/* as referents.c bounds them */

/* Where labels go: as text to FN, or, when RAW is set, as what they are
 * made of (an item's index, a dict value's key, or text), so that a
 * referrer of a million items is remembered without a million labels
 * formatted (the labeller's memory of large referrers).  */
enum raw_kind { RAW_TEXT, RAW_INDEX, RAW_KEY };
typedef int (*raw_fn)(enum raw_kind kind, uint64_t aux, const char *text, uint64_t ref, void *arg);

struct lab {
	hi_label_fn fn;
	void *arg;
	int stop;
	raw_fn raw;
	struct hi_py *py;
};

static void say(struct lab *b, const char *label, uint64_t ref)
{
	if (!b->stop && ref)
		b->stop = b->raw ? b->raw(RAW_TEXT, 0, label, ref, b->arg) : b->fn(label, ref, b->arg);
}

static void format_raw(struct hi_py *py, enum raw_kind kind, uint64_t aux, char *label)
{
	if (kind == RAW_INDEX) {
		snprintf(label, HI_LABEL_MAX, "[%" PRIu64 "]", aux);
	} else {
		char repr[HI_LABEL_MAX];
		hi_short_repr(py, aux, repr);
		snprintf(label, HI_LABEL_MAX, "[%.*s]", HI_LABEL_MAX - 3, repr);
	}
}

/* An item at index I, or a dict's value under KEY: formatted only when
 * text is wanted.  */
static void say_lazily(struct lab *b, enum raw_kind kind, uint64_t aux, uint64_t ref)
{
	if (b->stop || !ref)
		return;
	if (b->raw) {
		b->stop = b->raw(kind, aux, NULL, ref, b->arg);
		return;
	}
	char label[HI_LABEL_MAX];
	format_raw(b->py, kind, aux, label);
	b->stop = b->fn(label, ref, b->arg);
}

static void say_ptr(struct hi_py *py, struct lab *b, const char *label, uint64_t addr)
{
	uint64_t p;
	if (!b->stop && hi_mem_u64(py->mem, addr, &p) == 0 && p)
		say(b, label, p);
}

/* Items [0, N) at ADDR as "[i]", or with NAME(i) when given.  */
static int say_array(struct hi_py *py, struct lab *b, uint64_t addr, int64_t n,
		     void (*name)(struct hi_py *py, int64_t i, void *arg, char *buf), void *name_arg)
{
	uint64_t buf[256];
	if (n < 0 || n > MAX_ITEMS)
		return -1;
	for (int64_t i = 0; i < n && !b->stop;) {
		int64_t k = n - i < 256 ? n - i : 256;
		if (hi_mem_read(py->mem, addr + (uint64_t)i * PTR, buf, (size_t)k * PTR) < 0)
			return -1;
		for (int64_t j = 0; j < k && !b->stop; j++)
			if (buf[j] && !name) {
				say_lazily(b, RAW_INDEX, (uint64_t)(i + j), buf[j]);
			} else if (buf[j]) {
				char label[HI_LABEL_MAX];
				name(py, i + j, name_arg, label);
				say(b, label, buf[j]);
			}
		i += k;
	}
	return 0;
}

/* A struct member's Python name from its DWARF name: tp_dict, ht_name,
 * func_closure, md_dict, im_self are __dict__, __name__, __closure__,
 * __dict__, __self__; co_consts and f_back are Python's names already;
 * a cell's ob_ref is cell_contents.  */
static void member_label(const char *dwarf, char *buf)
{
	const char *name = strrchr(dwarf, '.');
	name = name ? name + 1 : dwarf;
	static const char *const dunder[] = { "tp_", "ht_", "func_", "md_", "im_", "cm_", "sm_", NULL };
	if (!strcmp(name, "ob_ref")) {
		snprintf(buf, HI_LABEL_MAX, ".cell_contents");
		return;
	}
	for (int i = 0; dunder[i]; i++)
		if (!strncmp(name, dunder[i], strlen(dunder[i]))) {
			snprintf(buf, HI_LABEL_MAX, ".__%s__", name + strlen(dunder[i]));
			return;
		}
	if (!strncmp(name, "prop_", 5)) {	/* property: fget, fset, fdel, __doc__ */
		const char *p = name + 5;
		snprintf(buf, HI_LABEL_MAX, strcmp(p, "doc") && strcmp(p, "name") ? ".f%s" : ".__%s__", p);
		return;
	}
	snprintf(buf, HI_LABEL_MAX, ".%s", name);
}

static void say_members(struct hi_py *py, struct lab *b, uint64_t obj, int desc)
{
	for (int k = 0; k < HI_DESC_MEMBERS && hi_typedescs[desc].members[k] && !b->stop; k++)
		if (py->desc_off[desc][k] != HI_ABSENT) {
			char label[HI_LABEL_MAX];
			member_label(hi_typedescs[desc].members[k], label);
			say_ptr(py, b, label, obj + py->desc_off[desc][k]);
		}
}

void hi_short_repr(struct hi_py *py, uint64_t obj, char *buf)
{
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
	const struct hi_layout *l = &py->l;
	if (!t) {
		snprintf(buf, HI_LABEL_MAX, "<? at 0x%" PRIx64 ">", obj);
		return;
	}
	if (t->family == HI_B_STR || t->family == HI_B_BYTES) {
		struct hi_preview p;
		if (hi_preview(py, obj, t, &p) == 0 && p.what != HI_PV_NONE) {
			size_t n = strlen(p.text);
			if (n > 40 || p.length > HI_PREVIEW_CHARS)
				snprintf(buf, HI_LABEL_MAX, "%.36s...%c", p.text, p.text[n - 1]);
			else
				snprintf(buf, HI_LABEL_MAX, "%s", p.text);
			return;
		}
	}
	if (t->family == HI_B_INT && hi_has(l->long_digit)) {
		/* Up to two 30-bit digits: the ints keys and indices are.  */
		uint64_t word, d[2] = { 0, 0 };
		uint64_t at = hi_has(l->long_lv_tag) ? obj + l->long_lv_tag.off : obj + l->ob_size.off;
		if (hi_mem_u64(py->mem, at, &word) == 0 && (l->long_digit.elem ? l->long_digit.elem : 4) == 4) {
			int neg;
			uint64_t nd;
			if (hi_has(l->long_lv_tag)) {
				nd = word >> 3;
				neg = (word & 3) == 2;
			} else {
				neg = (int64_t)word < 0;
				nd = neg ? -word : word;
			}
			uint32_t dig[2] = { 0, 0 };
			if (nd <= 2 && (!nd || hi_mem_read(py->mem, obj + l->long_digit.off, dig, nd * 4) == 0)) {
				d[0] = dig[0];
				d[1] = nd > 1 ? dig[1] : 0;
				uint64_t v = d[0] | d[1] << 30;
				snprintf(buf, HI_LABEL_MAX, "%s%" PRIu64, neg ? "-" : "", v);
				return;
			}
		}
	}
	if (t->family == HI_B_NONETYPE) {
		snprintf(buf, HI_LABEL_MAX, "None");
		return;
	}
	snprintf(buf, HI_LABEL_MAX, "<%.60s object at 0x%" PRIx64 ">", t->tp_name ? t->tp_name : "?", obj);
}

struct dict_say {
	struct hi_py *py;
	struct lab *b;
	int what;	/* what dict_traverse visits (referents.h) */
};

static int dict_entry(uint64_t key, uint64_t value, void *arg)
{
	struct dict_say *d = arg;
	if (d->what & HI_DICT_VALUES)
		say_lazily(d->b, RAW_KEY, key, value);
	if (d->what & HI_DICT_KEYS)
		say(d->b, "(key)", key);
	return d->b->stop;
}

/* The name of the I-th shared key of class T (3.11+ inline values).  */
struct shared {
	struct hi_dictkeys k;
};

static void shared_name(struct hi_py *py, int64_t i, void *arg, char *buf)
{
	struct shared *s = arg;
	uint64_t key;
	char name[64];
	if (i < s->k.nentries &&
	    hi_mem_u64(py->mem, s->k.entries + (uint64_t)i * s->k.entry_size + (s->k.entry_size - 16), &key) == 0 &&
	    hi_py_str(py, key, name, sizeof name) > 0)
		snprintf(buf, HI_LABEL_MAX, ".%s", name);
	else
		snprintf(buf, HI_LABEL_MAX, ".(attribute %" PRId64 ")", i);
}

/* An instance of class T: its slots, its __dict__ and the values it
 * keeps without one.  */
struct slot_say {
	struct hi_py *py;
	struct lab *b;
	uint64_t obj;
};

static int slot_say(uint64_t name, uint64_t off, void *arg)
{
	struct slot_say *m = arg;
	char s[64], label[HI_LABEL_MAX];
	if (hi_mem_read(m->py->mem, name, s, sizeof s - 1) < 0)
		s[0] = '\0';
	s[sizeof s - 1] = '\0';
	snprintf(label, sizeof label, ".%s", s);
	say_ptr(m->py, m->b, label, m->obj + off);
	return m->b->stop;
}

static int say_instance(struct hi_py *py, struct lab *b, uint64_t obj, struct hi_type *t)
{
	const struct hi_layout *l = &py->l;
	struct slot_say m = { py, b, obj };
	hi_object_members(py, t, 0, slot_say, &m);	/* __slots__, as the walk follows them */
	uint64_t dict, values;
	int64_t n;
	if (hi_instance_attrs(py, obj, t, &dict, &values, &n) < 0)
		return -1;
	say(b, ".__dict__", dict);
	if (n) {
		struct shared s;
		uint64_t keys;
		if (hi_member_ptr(py->mem, t->addr, l->ht_cached_keys, &keys) < 0 || !keys ||
		    hi_py_dictkeys(py, keys, &s.k) < 0)
			return -1;
		return say_array(py, b, values, n, shared_name, &s);
	}
	return 0;
}

/* What the walk follows with no name for it: as a whole.  */
struct generic {
	struct lab *b;
	const char *label;
};

static void generic_ref(uint64_t ref, void *arg)
{
	struct generic *g = arg;
	say(g->b, g->label, ref);
}

/* A numpy array's base or dtype: told apart by the referent's type.  */
struct hidden {
	struct hi_py *py;
	struct lab *b;
};

static void hidden_ref(uint64_t ref, void *arg)
{
	struct hidden *h = arg;
	struct hi_type *t = hi_py_type(h->py, hi_py_type_of(h->py, ref));
	say(h->b, t && t->tp_name && strstr(t->tp_name, "dtype") ? ".dtype" : ".base", ref);
}

static int labelled(struct hi_py *py, uint64_t obj, struct hi_type *t, struct lab b);

int hi_labelled_referents(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_label_fn fn, void *arg)
{
	return labelled(py, obj, t, (struct lab){ fn, arg, 0, NULL, py });
}

static int labelled(struct hi_py *py, uint64_t obj, struct hi_type *t, struct lab b)
{
	const struct hi_layout *l = &py->l;
	int64_t n;
	int rc = 0;
	switch (t->family) {
	case HI_B_TUPLE:
		if (hi_member_int(py->mem, obj, l->ob_size, &n) < 0 ||
		    say_array(py, &b, obj + l->tuple_items.off, n, NULL, NULL) < 0)
			return -1;
		break;	/* a subclass's instance has its attributes too */
	case HI_B_LIST: {
		uint64_t items;
		if (hi_member_int(py->mem, obj, l->ob_size, &n) < 0 || hi_member_ptr(py->mem, obj, l->list_items, &items) < 0 ||
		    (n && say_array(py, &b, items, n, NULL, NULL) < 0))
			return -1;
		break;
	}
	case HI_B_DICT:
	case HI_B_ODICT: {
		struct dict_say d = { py, &b, hi_dict_visits(py, obj, t->family == HI_B_ODICT) };
		if (d.what < 0 || (d.what && hi_py_dict_foreach(py, obj, dict_entry, &d) < 0))
			return -1;
		if (t->desc >= 0)
			say_members(py, &b, obj, t->desc);
		break;
	}
	case HI_B_SET:
	case HI_B_FROZENSET: {
		/* The members, as the built-in type's decoder reads them; a
		 * subclass's attributes follow.  */
		struct generic g = { &b, "(member)" };
		struct hi_type *base = hi_py_type(py, py->builtin_addr[t->family]);
		hi_referents(py, obj, base ? base : t, generic_ref, &g);
		break;
	}
	case HI_B_TYPE:
	case HI_B_FUNCTION:
	case HI_B_CELL:
	case HI_B_METHOD:
	case HI_B_MODULE:
	case HI_B_CODE:
		if (t->desc >= 0)
			say_members(py, &b, obj, t->desc);
		/* A module's state holds what only its m_traverse knows.  */
		if (t->desc >= 0 && hi_typedescs[t->desc].partial && !b.stop) {
			struct generic g = { &b, "(referent)" };
			hi_referents(py, obj, t, generic_ref, &g);
		}
		break;
	default: {
		/* Whatever the type's decoder or tp_traverse reports.  */
		struct generic g = { &b, "(referent)" };
		if (t->static_type) {
			if (t->family == HI_B_NONE && t->desc >= 0)
				say_members(py, &b, obj, t->desc);
			hi_referents(py, obj, t, generic_ref, &g);
			break;	/* a numpy array's base and dtype follow */
		}
		break;
	}
	}
	if (!t->static_type && !b.stop) {
		if (say_instance(py, &b, obj, t) < 0)
			rc = -1;
		struct generic g = { &b, "(referent)" };
		if (!b.stop)
			hi_referents(py, obj, t, generic_ref, &g);
	}
	if (!b.stop && hi_type_has_hidden(t)) {
		struct hidden h = { py, &b };
		hi_referents_hidden(py, obj, t, hidden_ref, &h);
	}
	return rc;
}

struct find {
	struct hi_py *py;
	uint64_t to;
	char *buf;
};

/* The referent looked for, labelled only when found: a list of a
 * million items is searched, not a million labels written.  */
static int find_one(enum raw_kind kind, uint64_t aux, const char *text, uint64_t ref, void *arg)
{
	struct find *f = arg;
	if (ref != f->to)
		return 0;
	if (kind == RAW_TEXT)
		snprintf(f->buf, HI_LABEL_MAX, "%s", text);
	else
		format_raw(f->py, kind, aux, f->buf);
	return 1;
}

int hi_ref_label(struct hi_py *py, uint64_t from, uint64_t to, char *buf)
{
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, from));
	struct find f = { py, to, buf };
	buf[0] = '\0';
	if (t)
		labelled(py, from, t, (struct lab){ NULL, &f, 0, find_one, py });
	if (!buf[0]) {
		snprintf(buf, HI_LABEL_MAX, "%s", HI_LABEL_GONE);
		return 0;
	}
	return 1;
}

struct getattr {
	char want[HI_LABEL_MAX];
	char key[HI_LABEL_MAX];
	uint64_t found;
	uint64_t dict;
};

static int getattr_one(const char *label, uint64_t ref, void *arg)
{
	struct getattr *g = arg;
	if (!strcmp(label, ".__dict__"))
		g->dict = ref;
	else if (!strcmp(label, g->want) || !strcmp(label, g->key))
		g->found = ref;
	return g->found != 0;
}

uint64_t hi_getattr(struct hi_py *py, uint64_t obj, const char *name)
{
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
	struct getattr g = { .found = 0 };
	if (!t)
		return 0;
	snprintf(g.want, sizeof g.want, ".%s", name);
	snprintf(g.key, sizeof g.key, "['%s']", name);
	hi_labelled_referents(py, obj, t, getattr_one, &g);
	if (!g.found && g.dict)
		g.found = hi_py_dict_get_str(py, g.dict, name);
	return g.found;
}

/* ---- many labels ---- */

#define CACHED 4	/* referrers remembered */
#define BIG 64		/* references that make a referrer worth remembering */

/* A remembered label: its kind in the top 2 bits, then an index, a key's
 * address, or an offset into TEXT.  */
#define KIND_SHIFT 62
#define AUX_MASK ((1ull << KIND_SHIFT) - 1)

struct cached {
	uint64_t from;		/* 0: empty */
	struct u64map at;	/* referent -> its label, encoded */
	char *text;
	size_t len, cap;
	int oom;
};

struct hi_labeller {
	struct hi_py *py;
	struct cached c[CACHED];
	unsigned next;
	uint64_t asked[CACHED];	/* large referrers asked about once: searched */
	unsigned next_asked;
};

struct hi_labeller *hi_labeller_new(struct hi_py *py)
{
	struct hi_labeller *lb = calloc(1, sizeof *lb);
	if (!lb)
		return NULL;
	lb->py = py;
	for (int i = 0; i < CACHED; i++)
		u64map_init(&lb->c[i].at);
	return lb;
}

void hi_labeller_free(struct hi_labeller *lb)
{
	if (!lb)
		return;
	for (int i = 0; i < CACHED; i++) {
		u64map_free(&lb->c[i].at);
		free(lb->c[i].text);
	}
	free(lb);
}

static int count_one(enum raw_kind kind, uint64_t aux, const char *text, uint64_t ref, void *arg)
{
	(void)kind;
	(void)aux;
	(void)text;
	(void)ref;
	return ++*(uint64_t *)arg >= BIG;
}

static int keep_one(enum raw_kind kind, uint64_t aux, const char *text, uint64_t ref, void *arg)
{
	struct cached *c = arg;
	if (u64map_get(&c->at, ref))
		return 0;	/* the first label of a referent held twice */
	if (kind == RAW_TEXT) {
		size_t n = strlen(text) + 1;
		if (c->len + n > c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			while (cap < c->len + n)
				cap *= 2;
			char *t = realloc(c->text, cap);
			if (!t) {
				c->oom = 1;
				return 1;
			}
			c->text = t;
			c->cap = cap;
		}
		memcpy(c->text + c->len, text, n);
		aux = c->len;
		c->len += n;
	}
	if (u64map_put(&c->at, ref, (uint64_t)kind << KIND_SHIFT | (aux & AUX_MASK)) < 0) {
		c->oom = 1;
		return 1;
	}
	return 0;
}

int hi_labeller_label(struct hi_labeller *lb, uint64_t from, uint64_t to, char *buf)
{
	struct hi_py *py = lb->py;
	for (int i = 0; i < CACHED; i++)
		if (lb->c[i].from == from) {
			uint64_t *at = u64map_get(&lb->c[i].at, to);
			if (!at) {
				snprintf(buf, HI_LABEL_MAX, "%s", HI_LABEL_GONE);
				return 0;
			}
			enum raw_kind kind = (enum raw_kind)(*at >> KIND_SHIFT);
			if (kind == RAW_TEXT)
				snprintf(buf, HI_LABEL_MAX, "%s", lb->c[i].text + (*at & AUX_MASK));
			else
				format_raw(py, kind, *at & AUX_MASK, buf);
			return 1;
		}
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, from));
	uint64_t n = 0;
	if (t)
		labelled(py, from, t, (struct lab){ NULL, &n, 0, count_one, py });
	if (n < BIG)
		return hi_ref_label(py, from, to, buf);
	/* A large referrer asked about once is searched; asked again, its
	 * labels are remembered.  */
	int again = 0;
	for (int i = 0; i < CACHED; i++)
		again |= lb->asked[i] == from;
	if (!again) {
		lb->asked[lb->next_asked++ % CACHED] = from;
		return hi_ref_label(py, from, to, buf);
	}
	struct cached *c = &lb->c[lb->next++ % CACHED];
	u64map_clear(&c->at);
	c->len = 0;
	c->oom = 0;
	c->from = from;
	labelled(py, from, t, (struct lab){ NULL, c, 0, keep_one, py });
	if (c->oom) {	/* not remembered: asked again each time */
		c->from = 0;
		return hi_ref_label(py, from, to, buf);
	}
	return hi_labeller_label(lb, from, to, buf);
}

int hi_labeller_shape(struct hi_labeller *lb, uint64_t from, uint64_t to, char *buf)
{
	struct hi_py *py = lb->py;
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, from));
	if (t && (t->builtin == HI_B_LIST || t->builtin == HI_B_TUPLE ||
		  (t->builtin == HI_B_DICT && hi_dict_visits(py, from, 0) == HI_DICT_VALUES))) {
		snprintf(buf, HI_LABEL_MAX, "[*]");
		return 1;
	}
	char label[HI_LABEL_MAX];
	int found = hi_labeller_label(lb, from, to, label);
	hi_label_shape(label, buf, HI_LABEL_MAX);
	return found;
}

void hi_label_shape(const char *text, char *shape, size_t len)
{
	size_t at = 0;
	if (!len)
		return;
	for (const char *p = text; *p && at + 4 < len;) {
		if (*p != '[') {
			shape[at++] = *p++;
			continue;
		}
		/* Skip to the matching ], past a quoted key's escapes.  */
		const char *q = p + 1;
		if (*q == '\'' || *q == '"') {
			char quote = *q++;
			while (*q && *q != quote)
				q += (*q == '\\' && q[1]) ? 2 : 1;
			if (*q)
				q++;
		}
		while (*q && *q != ']')
			q++;
		memcpy(shape + at, "[*]", 3);
		at += 3;
		p = *q ? q + 1 : q;
	}
	shape[at] = '\0';
}
