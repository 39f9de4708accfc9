/* refs.c: see refs.h.  */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "census/paths.h"
#include "report/emit.h"
#include "cmd/refs.h"
#include "util/error.h"
#include "util/hash.h"

struct hi_heapgraph *hi_refs_graph(struct hi_app *app, enum hi_walk_mode mode, const char *cmd)
{
	struct hi_heapgraph *g = hi_cmd_kept_graph(app);
	if (g && mode == HI_WALK_AUTO)
		return g;
	struct hi_census c;
	hi_census_init(&c, "kind");
	int rc = hi_cmd_census(app, 0, mode, hi_cmd_baseline(app), NULL, &c);
	hi_census_free(&c);
	if (rc != TCL_OK)
		return NULL;
	g = hi_cmd_kept_graph(app);
	if (!g) {
		hi_error("%s: %s: the census kept no reference graph (out of memory, or HEAPINSPECT_GRAPH=0); free memory or unset HEAPINSPECT_GRAPH",
			 app->session.who, cmd);
		hi_cmd_fail(app->interp);
	}
	return g;
}

int hi_refs_is_addr(const char *spec, uint64_t *addr)
{
	char *end;
	if (strncmp(spec, "0x", 2) && strncmp(spec, "0X", 2))
		return 0;
	errno = 0;
	unsigned long long v = strtoull(spec, &end, 16);
	if (*end || errno)
		return 0;
	*addr = v;
	return 1;
}

int hi_refs_select(struct hi_app *app, struct hi_heapgraph *g, const char *cmd, const char *spec, uint32_t **out,
		   size_t *n)
{
	uint64_t addr;
	*out = NULL;
	*n = 0;
	if (hi_refs_is_addr(spec, &addr)) {
		uint32_t v = hi_heapgraph_find(g, addr);
		if (v == UINT32_MAX) {
			hi_error("%s: %s: no object at 0x%" PRIx64 " in the last census; take a new one (heap) if the target has run since",
				 app->session.who, cmd, addr);
			return hi_cmd_fail(app->interp);
		}
		*out = malloc(sizeof **out);
		if (!*out)
			goto oom;
		**out = v;
		*n = 1;
		return TCL_OK;
	}
	uint32_t kind = UINT32_MAX;
	for (size_t k = 0; k < g->kinds.nrows; k++)
		if (!strcmp(g->kinds.rows[k].kind, spec))
			kind = (uint32_t)k;
	if (kind == UINT32_MAX || !g->kinds.rows[kind].count) {
		hi_error("%s: %s: no object of kind '%s' in the last census; give an address (0x...) or a kind as heap names it",
			 app->session.who, cmd, spec);
		return hi_cmd_fail(app->interp);
	}
	*out = malloc(g->kinds.rows[kind].count * sizeof **out);
	if (!*out)
		goto oom;
	for (uint32_t v = 0; v < g->n; v++)
		if (g->kind[v] == kind && !(g->relative && (g->flags[v] & HI_HG_OLD)))
			(*out)[(*n)++] = v;
	if (!*n) {
		free(*out);
		*out = NULL;
		hi_error("%s: %s: no object of kind '%s' is new since setrel; clearrel to look at all of them",
			 app->session.who, cmd, spec);
		return hi_cmd_fail(app->interp);
	}
	return TCL_OK;
oom:
	hi_error("%s: %s: out of memory; free memory and retry", app->session.who, cmd);
	return hi_cmd_fail(app->interp);
}

int hi_refs_query(struct hi_app *app, const char *cmd, const char *what, enum hi_walk_mode mode, int all,
		  struct hi_refs_query *q)
{
	uint64_t addr;
	memset(q, 0, sizeof *q);
	q->one = hi_refs_is_addr(what, &addr);
	if (!(q->g = hi_refs_graph(app, mode, cmd)))
		return TCL_ERROR;
	if (hi_refs_select(app, q->g, cmd, what, &q->sel, &q->n) != TCL_OK)
		return TCL_ERROR;
	q->step = (!all && q->n > HI_REFS_EXAMINE) ? (q->n + HI_REFS_EXAMINE - 1) / HI_REFS_EXAMINE : 1;
	if (q->one)
		snprintf(q->target, sizeof q->target, "0x%" PRIx64 " (%s, %" PRIu64 " bytes)", addr,
			 q->g->kinds.rows[q->g->kind[q->sel[0]]].kind, q->g->size[q->sel[0]]);
	else
		snprintf(q->target, sizeof q->target, "%zu objects of kind %.200s", q->n, what);
	return TCL_OK;
}

void hi_refs_query_free(struct hi_refs_query *q)
{
	free(q->sel);
	q->sel = NULL;
}

void hi_refs_emit_head(struct hi_emit *e, struct hi_app *app, const struct hi_refs_query *q, size_t examined)
{
	hi_emit_object(e, NULL);
	hi_emit_i64(e, "pid", app->session.pid);
	hi_emit_str(e, "python", app->session.py.version);
	hi_emit_str(e, "target", q->target);
	hi_emit_u64(e, "objects", q->n);
	hi_emit_u64(e, "examined", examined);
	hi_emit_bool(e, "relative", q->g->relative && !q->one);
}

/* "['name']" with NAME an identifier: NAME's start and length.  */
static int identifier_key(const char *label, const char **name, size_t *len)
{
	size_t n = strlen(label);
	if (n < 5 || strncmp(label, "['", 2) || strcmp(label + n - 2, "']"))
		return 0;
	const char *p = label + 2;
	size_t k = n - 4;
	if (!(p[0] == '_' || (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < k; i++)
		if (!(p[i] == '_' || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9')))
			return 0;
	*name = p;
	*len = k;
	return 1;
}

static void append(char *text, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at + n >= len)
		n = *at + 1 < len ? len - *at - 1 : 0;
	memcpy(text + *at, s, n);
	*at += n;
	text[*at] = '\0';
}

size_t hi_refs_path_text(struct hi_py *py, struct hi_labeller *lb, struct hi_heapgraph *g, uint32_t v, int shape,
			 char *text, size_t len)
{
	uint32_t path[256];
	const uint32_t *parent = hi_heapgraph_paths(g);
	size_t n = parent ? hi_path_of(parent, v, path, 256) : 0;
	size_t at = 0;
	text[0] = '\0';
	if (!n)
		return 0;
	uint32_t r = parent[path[0]] - HI_PATH_ROOT;
	if (r < g->nroots) {
		append(text, len, &at, g->roots[r].name, strlen(g->roots[r].name));
	} else {
		/* Held from outside the objects seen: named by what it is.  */
		char root[200];
		int k = snprintf(root, sizeof root, "<%s at 0x%" PRIx64 " held by C>", g->kinds.rows[g->kind[path[0]]].kind,
				 g->addr[path[0]]);
		append(text, len, &at, root, k > 0 && (size_t)k < sizeof root ? (size_t)k : strlen(root));
	}
	char pending[HI_LABEL_MAX] = "";	/* a .__dict__ not yet written */
	for (size_t i = 1; i < n; i++) {
		char label[HI_LABEL_MAX];
		const char *name;
		size_t nlen;
		/* An attribute's name counts even in a shape: only after a
		 * __dict__ is a key an attribute.  */
		if (shape && !pending[0])
			hi_labeller_shape(lb, g->addr[path[i - 1]], g->addr[path[i]], label);
		else
			hi_labeller_label(lb, g->addr[path[i - 1]], g->addr[path[i]], label);
		/* obj.__dict__['attr'] is obj.attr, mod.__dict__['NAME'] is
		 * mod.NAME.  */
		if (pending[0] && identifier_key(label, &name, &nlen)) {
			append(text, len, &at, ".", 1);
			append(text, len, &at, name, nlen);
			pending[0] = '\0';
			continue;
		}
		if (pending[0]) {
			append(text, len, &at, pending, strlen(pending));
			pending[0] = '\0';
		}
		if (!strcmp(label, ".__dict__") && i + 1 < n) {
			snprintf(pending, sizeof pending, "%s", label);
			continue;
		}
		append(text, len, &at, label, strlen(label));
	}
	if (pending[0])
		append(text, len, &at, pending, strlen(pending));
	if (shape) {	/* what was written whole (a key after .__dict__ that is no name) */
		char whole[HI_PATH_TEXT];
		snprintf(whole, sizeof whole, "%s", text);
		hi_label_shape(whole, text, len);
	}
	return n - 1;
}


void hi_tally_init(struct hi_tally *t)
{
	memset(t, 0, sizeof *t);
	u64map_init(&t->at);
}

void hi_tally_free(struct hi_tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	u64map_free(&t->at);
	memset(t, 0, sizeof *t);
}

int hi_tally_add(struct hi_tally *t, uint32_t tag, const char *text, uint32_t v)
{
	uint64_t h = hi_hash_mix(hi_hash_mix(HI_HASH64_INIT, &tag, sizeof tag), text, strlen(text));
	uint64_t *at = u64map_get(&t->at, h);
	/* Rows of one hash follow its first: collisions are rare.  */
	for (size_t i = at ? *at - 1 : t->n; i < t->n; i++)
		if (t->v[i].tag == tag && !strcmp(t->v[i].text, text)) {
			t->v[i].count++;
			return 0;
		}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct hi_tally_row *nv = realloc(t->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		t->v = nv;
		t->cap = cap;
	}
	char *copy = strdup(text);
	if (!copy || (!at && u64map_put(&t->at, h, t->n + 1) < 0)) {
		free(copy);
		return -1;
	}
	t->v[t->n++] = (struct hi_tally_row){ tag, copy, 1, v };
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct hi_tally_row *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	int c = strcmp(x->text, y->text);
	return c ? c : (x->tag > y->tag) - (x->tag < y->tag);
}

void hi_tally_sort(struct hi_tally *t)
{
	qsort(t->v, t->n, sizeof *t->v, by_count);
	u64map_clear(&t->at);	/* the rows moved: no more adding */
}

struct keep {
	struct hi_refs_referents *rs;
	struct u64map listed;	/* referents kept so far */
	int oom;
};

static int keep_referent(const char *label, uint64_t ref, void *arg)
{
	struct keep *k = arg;
	struct hi_refs_referents *rs = k->rs;
	if (!strcmp(label, "(referent)") && u64map_get(&k->listed, ref))
		return 0;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct hi_refs_referent *v = realloc(rs->v, cap * sizeof *v);
		if (!v) {
			k->oom = 1;
			return 1;
		}
		rs->v = v;
		rs->cap = cap;
	}
	if (u64map_put(&k->listed, ref, 1) < 0) {
		k->oom = 1;
		return 1;
	}
	snprintf(rs->v[rs->n].label, HI_LABEL_MAX, "%s", label);
	rs->v[rs->n++].addr = ref;
	return 0;
}

int hi_refs_referents(struct hi_py *py, uint64_t obj, struct hi_refs_referents *out)
{
	struct keep k = { out, .oom = 0 };
	struct hi_type *t = hi_py_type(py, hi_py_type_of(py, obj));
	memset(out, 0, sizeof *out);
	u64map_init(&k.listed);
	if (t)
		hi_labelled_referents(py, obj, t, keep_referent, &k);
	u64map_free(&k.listed);
	return k.oom ? -1 : 0;
}

void hi_refs_referents_free(struct hi_refs_referents *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}

void hi_refs_emit_referents(struct hi_emit *e, struct hi_heapgraph *g, const struct hi_refs_referents *rs)
{
	hi_emit_list(e, "rows");
	for (size_t i = 0; i < rs->n; i++) {
		char a16[32];
		uint32_t w = hi_heapgraph_find(g, rs->v[i].addr);
		snprintf(a16, sizeof a16, "0x%" PRIx64, rs->v[i].addr);
		hi_emit_object(e, NULL);
		hi_emit_u64(e, "index", i);
		hi_emit_str(e, "reference", rs->v[i].label);
		hi_emit_str(e, "address", a16);
		hi_emit_str(e, "kind", w != UINT32_MAX ? g->kinds.rows[g->kind[w]].kind : "(not in the census)");
		hi_emit_u64(e, "size", w != UINT32_MAX ? g->size[w] : 0);
		hi_emit_end(e);
	}
	hi_emit_end(e);
}
