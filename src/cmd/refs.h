/* refs.h: what the reference commands (path, referrers, referents, show)
 * share: the graph they read, the objects a command names, and paths in
 * Python's words.  */
#ifndef HI_REFS_H
#define HI_REFS_H
#include <stddef.h>
#include <stdint.h>
#include "cmd/cmd.h"
#include "census/heapgraph.h"
#include "util/u64map.h"
#include "walk/labels.h"

/* The reference graph of the last census, or of a new one (relative to
 * the baseline when setrel took one) when there is none or MODE names
 * how to take it (-copy, -inplace).  NULL with the Tcl error set.  */
struct hi_heapgraph *hi_refs_graph(struct hi_app *app, enum hi_walk_mode mode, const char *cmd);

/* The objects SPEC names: "0xADDR" (one object), or a kind ("str",
 * "dict of __main__.Cache", "__main__.Session"); after setrel, only the
 * new objects of a kind.  *OUT (malloc'd) and *N.  TCL_OK, or TCL_ERROR
 * with one line saying what was not found.  */
int hi_refs_select(struct hi_app *app, struct hi_heapgraph *g, const char *cmd, const char *spec, uint32_t **out,
		   size_t *n);

/* A reference command's question: the graph, the objects WHAT names,
 * and which of them to examine.  */
#define HI_REFS_EXAMINE 10000	/* objects of a kind examined, unless all */
struct hi_refs_query {
	struct hi_heapgraph *g;
	uint32_t *sel;		/* the objects named */
	size_t n;
	int one;		/* WHAT is an address */
	size_t step;		/* examine every STEP-th of SEL */
	char target[320];	/* "0x7f... (list, 88 bytes)", "300 objects of kind X" */
};

/* Ask it (hi_refs_graph and hi_refs_select).  ALL: examine every
 * object.  TCL_OK, or TCL_ERROR with the error set.  */
int hi_refs_query(struct hi_app *app, const char *cmd, const char *what, enum hi_walk_mode mode, int all,
		  struct hi_refs_query *q);
void hi_refs_query_free(struct hi_refs_query *q);

/* The fields every reference command's result starts with: pid python
 * target objects examined relative.  Opens the result's object.  */
struct hi_emit;
void hi_refs_emit_head(struct hi_emit *e, struct hi_app *app, const struct hi_refs_query *q, size_t examined);

/* Is SPEC an address?  */
int hi_refs_is_addr(const char *spec, uint64_t *addr);

/* The shortest path of object V from a named root, in Python's words
 * ("__main__.SESSIONS['req-00000012'].items[3]"), into TEXT (LEN
 * bytes); "" when no named root reaches V.  SHAPE: with every subscript
 * as [*] (__main__.SESSIONS[*].items[*]), worked out without looking for
 * each item in its container.  The target must be readable (stopped, or
 * an image).  Returns the number of references on it.  */
#define HI_PATH_TEXT 1024
size_t hi_refs_path_text(struct hi_py *py, struct hi_labeller *lb, struct hi_heapgraph *g, uint32_t v, int shape,
			 char *text, size_t len);

/* An object's references, each labelled, each referent once (what only
 * its type's traverse reports after what has a name).  */
struct hi_refs_referents {
	struct hi_refs_referent {
		char label[HI_LABEL_MAX];
		uint64_t addr;
	} *v;
	size_t n, cap;
};

/* Read OBJ's (the target readable).  0, or -1 when out of memory.  */
int hi_refs_referents(struct hi_py *py, uint64_t obj, struct hi_refs_referents *out);
void hi_refs_referents_free(struct hi_refs_referents *rs);

/* RS as the list "rows" of dicts: index reference address kind size
 * (kind and size from G's census).  */
void hi_refs_emit_referents(struct hi_emit *e, struct hi_heapgraph *g, const struct hi_refs_referents *rs);

/* Rows counted by a key (a path's shape; a referrer's kind and its
 * reference's label), the first item of each remembered.  */
struct hi_tally_row {
	uint32_t tag;		/* the key's number part (a kind), 0 if none */
	char *text;		/* its text part */
	uint64_t count;
	uint32_t first;		/* the first item's object number */
};

struct hi_tally {
	struct hi_tally_row *v;
	size_t n, cap;
	struct u64map at;	/* hash of the key -> first row + 1 with it */
};

void hi_tally_init(struct hi_tally *t);
void hi_tally_free(struct hi_tally *t);

/* Count one item, object V, under (TAG, TEXT).  0, or -1 when out of
 * memory.  */
int hi_tally_add(struct hi_tally *t, uint32_t tag, const char *text, uint32_t v);

/* The rows by count, most first, then by text.  */
void hi_tally_sort(struct hi_tally *t);

#endif
