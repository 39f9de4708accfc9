/* view.h: how a described result (emit.h) is laid out as a table.
 *
 * A command describes its result once; JSON, CSV and Tcl are written from
 * that description by emit.c, and the table is drawn from it here, by the
 * command's view: a heading, the columns of a list of records, how long
 * tables fold, and the prose above and below the rows.  Every number and
 * word in a table comes from the description, so a table cannot show
 * what `-format json` lacks, and `more` and `all` redraw the last table
 * from its kept value.  The description is read as the Tcl value the
 * emitter builds (dicts and lists).  */
#ifndef HI_VIEW_H
#define HI_VIEW_H
#include <stdint.h>
#include <stdio.h>
#include <tcl.h>

enum {
	HI_COL_SIGNED = 1,	/* a sign always, as printf's %+d */
	HI_COL_WRAP = 2,	/* the last column, wrapped at 100 columns as
				 * heapy wraps its rows (Python's textwrap) */
};

struct hi_column {
	const char *key;	/* a field of each record */
	int width;		/* printf's: negative left-aligns; 0: as wide as
				 * the value */
	unsigned flags;
	/* For a boolean field: the text when true and when false; for any
	 * other, FALSE is the text when the record lacks the field.  */
	const char *when_true, *when_false;
};

struct hi_view {
	const char *list;	/* the records: a list in the top-level object */
	const char *const *csv;	/* CSV's columns, NULL-terminated: fields of
				 * each record of LIST (emit.h) */
	const struct hi_column *columns;	/* the table's, ended by {NULL};
						 * NULL: BEFORE draws the records */
	const char *heading;	/* the line above the rows, printed only when
				 * there are rows */
	const char *more;	/* NULL: every row.  Otherwise, unless all rows
				 * are asked for, 12 or more rows fold to 10 and
				 * heapy's line "<2 more rows. Type e.g. 'MORE'
				 * to view.>" */
	/* Lines above the heading and below the rows, from the description
	 * V (NULL: none); ALL as given to hi_view_render.  */
	void (*before)(FILE *out, Tcl_Obj *v, int all);
	void (*after)(FILE *out, Tcl_Obj *v, int all);
	/* A result that is not one list of records writes its CSV from V
	 * itself (NULL: CSV of LIST in the columns CSV, by emit.c).  */
	void (*csv_draw)(FILE *out, Tcl_Obj *v, int all);
};

/* Draw V by VIEW: BEFORE, the heading and rows (folded unless ALL; ALL
 * may also ask BEFORE and AFTER for more), AFTER.  Returns the number of
 * rows drawn.  */
size_t hi_view_render(FILE *out, Tcl_Obj *v, const struct hi_view *view, int all);

/* heapy's `.more`: the heading and the rows from START on, folded;
 * nothing when none are left.  Returns the index after the last row. */
size_t hi_view_more(FILE *out, Tcl_Obj *v, const struct hi_view *view, size_t start);

/* The value at PATH ("size", "a.objects") in the dicts of V, or NULL.  */
Tcl_Obj *hi_view_get(Tcl_Obj *v, const char *path);
/* It as a number (0 when absent or not one), as text ("" when absent),
 * or as a list's length (0).  */
int64_t hi_view_int(Tcl_Obj *v, const char *path);
const char *hi_view_str(Tcl_Obj *v, const char *path);
size_t hi_view_len(Tcl_Obj *v, const char *path);
/* The items of the list at PATH into *ITEMS, and how many (0 when
 * absent or not a list).  */
int hi_view_list(Tcl_Obj *v, const char *path, Tcl_Obj ***items);

/* heapy's row: PREFIX and TEXT wrapped as Python's textwrap.wrap(row,
 * width=100, subsequent_indent=' ' * len(PREFIX)) does, one line each. */
void hi_view_wrapped(FILE *out, const char *prefix, const char *text);

#endif
