/* labels.h: how one object refers to another, as Python would write it.
 *
 * The census keeps references as bare numbers (heapgraph.h); a label is
 * worked out only for what is printed, by decoding the referrer again:
 * ".attr" (an instance's slot, or a value in its inline values), "['key']"
 * (a dict's value, its key as ascii() writes it), "[3]" (a list's or
 * tuple's item), ".__dict__", ".__mro__", ".__closure__", ".cell_contents",
 * ".base" (a numpy view's base), "(member)" of a set, "(key)" of a dict.
 * A reference only the type's own tp_traverse reports is "(referent)".
 * Struct members are named from their DWARF names (func_closure is
 * ".__closure__", co_consts ".co_consts").  */
#ifndef HI_LABELS_H
#define HI_LABELS_H
#include <stddef.h>
#include <stdint.h>
#include "python/pyobj.h"

#define HI_LABEL_MAX 96

/* Call FN with each reference of OBJ (of type T) and its label, in the
 * order the walk follows them, until FN returns nonzero.  Returns 0, or
 * -1 when OBJ's memory did not add up.  */
typedef int (*hi_label_fn)(const char *label, uint64_t ref, void *arg);
int hi_labelled_referents(struct hi_py *py, uint64_t obj, struct hi_type *t, hi_label_fn fn, void *arg);

/* What a label says of a reference FROM no longer holds (the target ran
 * since the census).  */
#define HI_LABEL_GONE "(changed since the census)"

/* The label of FROM's reference to TO into BUF (HI_LABEL_MAX bytes).
 * Returns 1, or 0 when FROM holds no reference to TO (any more: the
 * target ran since the census) and BUF says HI_LABEL_GONE.  */
int hi_ref_label(struct hi_py *py, uint64_t from, uint64_t to, char *buf);

/* Labels for many references at once (a path through a dict of 100,000
 * entries, then another): each referrer with many references is decoded
 * once, its labels kept for the next question.  */
struct hi_labeller;
struct hi_labeller *hi_labeller_new(struct hi_py *py);
void hi_labeller_free(struct hi_labeller *lb);

/* hi_ref_label's answer, through LB's memory of recent referrers.  */
int hi_labeller_label(struct hi_labeller *lb, uint64_t from, uint64_t to, char *buf);

/* The label's shape, every subscript as [*] (what path and referrers
 * group by): for a plain list, tuple, or dict whose keys are all str,
 * "[*]" without looking for TO among a million items; else the label,
 * shaped.  Returns as hi_labeller_label does (1 for the cheap cases).  */
int hi_labeller_shape(struct hi_labeller *lb, uint64_t from, uint64_t to, char *buf);

/* TEXT with every subscript turned into [*] (quoted keys' escapes
 * skipped), into SHAPE (LEN bytes).  */
void hi_label_shape(const char *text, char *shape, size_t len);

/* The object attribute NAME of OBJ refers to, as its slots, __dict__
 * or inline values hold it (no descriptor is run), or 0.  */
uint64_t hi_getattr(struct hi_py *py, uint64_t obj, const char *name);

/* A short repr of OBJ for a label or a table: a str or bytes as ascii()
 * and repr() write them (cut at 40 characters), an int's value, else
 * "<TYPE object at 0xADDR>".  Into BUF (HI_LABEL_MAX bytes).  */
void hi_short_repr(struct hi_py *py, uint64_t obj, char *buf);

#endif
