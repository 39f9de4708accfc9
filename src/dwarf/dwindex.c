/* dwindex.c: the DWARF type index of the module a handle describes:
 * types by name, their sizes, members by dotted path, enum values, and
 * variables with static storage (see debuginfo.h).  */
#include "config.h"
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include "dwarf/dbg-impl.h"
#include "dwarf/dwcache.h"
#include "dwarf/dwindex.h"
#include <stdio.h>
#include "util/hash.h"


static void index_die(struct hi_dbg *d, Dwarf *dw, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	struct name_entry **table;
	if (tag == DW_TAG_typedef) {
		table = d->typedefs;
	} else if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
		   tag == DW_TAG_enumeration_type) {
		if (dwarf_hasattr(die, DW_AT_declaration))
			return;
		table = d->tags;
	} else {
		return;
	}
	const char *name = dwarf_diename(die);
	if (!name)
		return;
	unsigned b = hi_hash_str(name) % NBUCKETS;
	for (struct name_entry *e = table[b]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return;	/* first complete definition wins */
	size_t len = strlen(name);
	struct name_entry *e = malloc(sizeof *e + len + 1);
	if (!e)
		return;
	memcpy(e->name, name, len + 1);
	e->dw = dw;
	e->off = dwarf_dieoffset(die);
	e->next = table[b];
	table[b] = e;
}

void hi_dwindex_add(struct hi_dbg *d, Dwarf *dw)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;
	Dwarf_Half version;
	while (dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, &subdie) == 0) {
		Dwarf_Die child;
		if (dwarf_child(&cudie, &child) != 0)
			continue;
		do
			index_die(d, dw, &child);
		while (dwarf_siblingof(&child, &child) == 0);
	}
}

static int lookup_type(struct hi_dbg *d, const char *type, Dwarf_Die *out);

/* A type DIE that is only a declaration ("struct _is;" in a unit that
 * never defines it): replace it with its definition, found by name.  */
static int complete(struct hi_dbg *d, Dwarf_Die *die)
{
	if (!dwarf_hasattr(die, DW_AT_declaration) || !dwarf_diename(die))
		return 0;
	char buf[256];
	snprintf(buf, sizeof buf, "struct %s", dwarf_diename(die));
	return lookup_type(d, buf, die);
}

static int lookup_type(struct hi_dbg *d, const char *type, Dwarf_Die *out)
{
	const char *name = type;
	int want_tag = 0;
	if (strncmp(type, "struct ", 7) == 0) {
		name = type + 7;
		want_tag = 1;
	} else if (strncmp(type, "union ", 6) == 0) {
		name = type + 6;
		want_tag = 1;
	} else if (strncmp(type, "enum ", 5) == 0) {
		name = type + 5;
		want_tag = 1;
	}
	unsigned b = hi_hash_str(name) % NBUCKETS;
	if (!want_tag) {
		for (struct name_entry *e = d->typedefs[b]; e; e = e->next)
			if (strcmp(e->name, name) == 0) {
				Dwarf_Die td;
				if (!dwarf_offdie(e->dw, e->off, &td))
					return -1;
				if (dwarf_peel_type(&td, out) != 0)
					return -1;
				return complete(d, out);
			}
	}
	for (struct name_entry *e = d->tags[b]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return dwarf_offdie(e->dw, e->off, out) ? 0 : -1;
	return -1;
}

/* Resolve DIE's DW_AT_type to the underlying type (typedefs and qualifiers
 * peeled).  If that is a declaration, look up its definition by name.  */
static int type_of(struct hi_dbg *d, Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	Dwarf_Die t;
	if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &t))
		return -1;
	if (dwarf_peel_type(&t, out) != 0)
		return -1;
	return complete(d, out);
}

static int64_t dw_sizeof(struct hi_dbg *d, const char *type)
{
	Dwarf_Die die;
	Dwarf_Word size;
	if (lookup_type(d, type, &die) < 0 || dwarf_aggregate_size(&die, &size) != 0)
		return -1;
	return (int64_t)size;
}

static int member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;
	if (!dwarf_attr_integrate(m, DW_AT_data_member_location, &attr)) {
		*off = 0;	/* union members have none */
		return 0;
	}
	if (dwarf_formudata(&attr, &w) != 0)
		return -1;
	*off = w;
	return 0;
}

/* Find member NAME (one path component) in aggregate AGG, descending into
 * anonymous members.  On success *m is the member and *off its offset.  */
static int find_member(struct hi_dbg *d, Dwarf_Die *agg, const char *name, size_t len,
		       Dwarf_Die *m, uint64_t *off, int depth)
{
	Dwarf_Die child;
	if (depth > 8 || dwarf_child(agg, &child) != 0)
		return -1;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&child);
		uint64_t o;
		if (member_offset(&child, &o) < 0)
			continue;
		if (n && strlen(n) == len && strncmp(n, name, len) == 0) {
			*m = child;
			*off = o;
			return 0;
		}
		if (!n) {
			Dwarf_Die sub;
			uint64_t suboff;
			if (type_of(d, &child, &sub) == 0 &&
			    find_member(d, &sub, name, len, m, &suboff, depth + 1) == 0) {
				*off = o + suboff;
				return 0;
			}
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

static int dw_field(struct hi_dbg *d, const char *type, const char *path, struct hi_field *f)
{
	Dwarf_Die agg, m, mt;
	if (lookup_type(d, type, &agg) < 0)
		return -1;
	uint64_t total = 0;
	const char *p = path;
	for (;;) {
		size_t len = strcspn(p, ".");
		uint64_t off;
		if (find_member(d, &agg, p, len, &m, &off, 0) < 0)
			return -1;
		total += off;
		if (type_of(d, &m, &mt) < 0)
			return -1;
		if (p[len] == '\0')
			break;
		agg = mt;
		p += len + 1;
	}
	Dwarf_Word size = 0;
	f->offset = total;
	f->elem_size = 0;
	f->count = 1;
	f->bit_offset = f->bit_size = 0;
	Dwarf_Attribute attr;
	Dwarf_Word w;
	if (dwarf_attr_integrate(&m, DW_AT_bit_size, &attr) && dwarf_formudata(&attr, &w) == 0) {
		f->bit_size = (unsigned)w;
		uint64_t bitpos;
		if (dwarf_attr_integrate(&m, DW_AT_data_bit_offset, &attr) &&
		    dwarf_formudata(&attr, &w) == 0) {
			/* DWARF 4+: bits from the start of the enclosing struct;
			 * member_offset() returned 0 for such a member. */
			bitpos = w;
		} else if (dwarf_attr_integrate(&m, DW_AT_bit_offset, &attr) &&
			   dwarf_formudata(&attr, &w) == 0) {
			/* DWARF 2/3: counted from the most significant bit of a
			 * storage unit of DW_AT_byte_size bytes. */
			Dwarf_Word unit = 4;
			Dwarf_Attribute ba;
			if (dwarf_attr_integrate(&m, DW_AT_byte_size, &ba))
				dwarf_formudata(&ba, &unit);
			bitpos = unit * 8 - w - f->bit_size;
		} else {
			bitpos = 0;
		}
		f->offset += bitpos / 8;
		f->bit_offset = bitpos % 8;
		f->size = (f->bit_offset + f->bit_size + 7) / 8;
		return 0;
	}
	if (dwarf_tag(&mt) == DW_TAG_array_type) {
		Dwarf_Die et;
		Dwarf_Word esize;
		if (type_of(d, &mt, &et) == 0 && dwarf_aggregate_size(&et, &esize) == 0) {
			f->elem_size = esize;
			if (dwarf_aggregate_size(&mt, &size) == 0 && esize)
				f->count = size / esize;
			else
				f->count = 0;	/* flexible array member */
		}
	} else if (dwarf_aggregate_size(&mt, &size) != 0) {
		size = 0;
	}
	f->size = size;
	return 0;
}

static int dw_enum_value(struct hi_dbg *d, const char *type, const char *name, int64_t *out)
{
	Dwarf_Die e, child;
	if (lookup_type(d, type, &e) < 0 || dwarf_tag(&e) != DW_TAG_enumeration_type || dwarf_child(&e, &child) != 0)
		return -1;
	do {
		const char *n = dwarf_diename(&child);
		Dwarf_Attribute attr;
		Dwarf_Sword v;
		if (dwarf_tag(&child) == DW_TAG_enumerator && n && strcmp(n, name) == 0 &&
		    dwarf_attr(&child, DW_AT_const_value, &attr) && dwarf_formsdata(&attr, &v) == 0) {
			*out = v;
			return 0;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

/* ---- variables with static storage ---- */

static int unit_matches(const char *cuname, const char *unit)
{
	size_t n = strlen(cuname), u = strlen(unit);
	if (n < u || strcmp(cuname + n - u, unit) != 0)
		return 0;
	return n == u || cuname[n - u - 1] == '/';
}

/* Size, and element size and count, of the type of DIE.  */
static int var_type(struct hi_dbg *d, Dwarf_Die *die, struct hi_var *v)
{
	Dwarf_Die t, et;
	Dwarf_Word size, esize;
	if (type_of(d, die, &t) < 0 || dwarf_aggregate_size(&t, &size) != 0)
		return -1;
	v->size = size;
	v->elem_size = 0;
	v->count = 1;
	if (dwarf_tag(&t) == DW_TAG_array_type && type_of(d, &t, &et) == 0 &&
	    dwarf_aggregate_size(&et, &esize) == 0 && esize) {
		v->elem_size = esize;
		v->count = size / esize;
	}
	return 0;
}

/* The address of DIE's DW_AT_location when it is one DW_OP_addr.  */
static int var_location(Dwarf_Die *die, uint64_t *addr)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t nops;
	if (!dwarf_attr_integrate(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &nops) != 0 ||
	    nops != 1 || ops[0].atom != DW_OP_addr)
		return -1;
	*addr = ops[0].number;
	return 0;
}

/* The one local object symbol NAME, NAME.lto_priv.N or NAME.N of SIZE
 * bytes.  */
static int local_symbol(struct hi_dbg *d, const char *name, uint64_t size, uint64_t *addr)
{
	size_t len = strlen(name);
	int found = 0;
	int n = dwfl_module_getsymtab(d->mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(d->mod, i, &sym, &a, NULL, NULL, NULL);
		if (!s || sym.st_shndx == SHN_UNDEF || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    strncmp(s, name, len) != 0 || (s[len] != '\0' && s[len] != '.') || sym.st_size != size)
			continue;
		if (found && *addr != a)
			return -1;	/* two candidates: refuse to guess */
		*addr = a;
		found = 1;
	}
	return found ? 0 : -1;
}

static int dw_static(struct hi_dbg *d, const char *unit, const char *name, struct hi_var *v)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;
	Dwarf_Half version;
	while (dwarf_get_units(d->dw, cu, &cu, &version, &unit_type, &cudie, &subdie) == 0) {
		const char *cuname = dwarf_diename(&cudie);
		Dwarf_Die child;
		if (!cuname || !unit_matches(cuname, unit) || dwarf_child(&cudie, &child) != 0)
			continue;
		do {
			const char *n = dwarf_diename(&child);
			if (dwarf_tag(&child) != DW_TAG_variable || !n || strcmp(n, name) != 0 ||
			    dwarf_hasattr(&child, DW_AT_declaration))
				continue;
			if (var_type(d, &child, v) < 0)
				return -1;
			uint64_t a;
			if (var_location(&child, &a) == 0) {
				v->addr = a + d->bias;
				return 0;
			}
			return local_symbol(d, name, v->size, &v->addr);
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return -1;
}

/* ---- the questions, through the cache of answers (dwcache.h) ---- */

/* Is the DWARF there to ask?  Loaded now if the cached answers stood in
 * for it so far; when there is none, Q is remembered as the question
 * nothing could answer (hi_dbg_missed).  */
static int have_dwarf(struct hi_dbg *d, const char *q)
{
	if (d->dw)
		return 1;
	if (d->load_dwarf && d->load_dwarf(d) == 0)
		return 1;
	/* A pack of another build leaves out the saved build's addresses of
	 * statics by design: absent, and said by the caller, not a gap in
	 * the pack.  */
	if (d->statics_withheld && !strncmp(q, "static\x1f", 7))
		return 0;
	if (!d->missed[0])
		snprintf(d->missed, sizeof d->missed, "%s", q);
	return 0;
}

int64_t hi_dbg_sizeof(struct hi_dbg *d, const char *type)
{
	char q[300];
	snprintf(q, sizeof q, "sizeof\x1f%s", type);
	const char *a = hi_dwcache_get(d->cache, q);
	if (a)
		return strtoll(a, NULL, 10);
	if (!have_dwarf(d, q))
		return -1;
	int64_t v = dw_sizeof(d, type);
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	hi_dwcache_put(d->cache, q, buf);
	return v;
}

int hi_dbg_field(struct hi_dbg *d, const char *type, const char *path, struct hi_field *f)
{
	char q[400];
	snprintf(q, sizeof q, "field\x1f%s\x1f%s", type, path);
	const char *a = hi_dwcache_get(d->cache, q);
	unsigned long long off, size, elem, count;
	unsigned bo, bs;
	if (a && !strcmp(a, "absent"))
		return -1;
	if (a && sscanf(a, "%llu %llu %llu %llu %u %u", &off, &size, &elem, &count, &bo, &bs) == 6) {
		*f = (struct hi_field){ off, size, elem, count, bo, bs };
		return 0;
	}
	if (!have_dwarf(d, q))
		return -1;
	int r = dw_field(d, type, path, f);
	char buf[160] = "absent";
	if (r == 0)
		snprintf(buf, sizeof buf, "%llu %llu %llu %llu %u %u", (unsigned long long)f->offset,
			 (unsigned long long)f->size, (unsigned long long)f->elem_size, (unsigned long long)f->count,
			 f->bit_offset, f->bit_size);
	hi_dwcache_put(d->cache, q, buf);
	return r;
}

int hi_dbg_enum_value(struct hi_dbg *d, const char *type, const char *name, int64_t *out)
{
	char q[400];
	snprintf(q, sizeof q, "enum\x1f%s\x1f%s", type, name);
	const char *a = hi_dwcache_get(d->cache, q);
	if (a && !strcmp(a, "absent"))
		return -1;
	if (a) {
		*out = strtoll(a, NULL, 10);
		return 0;
	}
	if (!have_dwarf(d, q))
		return -1;
	int r = dw_enum_value(d, type, name, out);
	char buf[32] = "absent";
	if (r == 0)
		snprintf(buf, sizeof buf, "%lld", (long long)*out);
	hi_dwcache_put(d->cache, q, buf);
	return r;
}

int hi_dbg_static(struct hi_dbg *d, const char *unit, const char *name, struct hi_var *v)
{
	char q[400];
	snprintf(q, sizeof q, "static\x1f%s\x1f%s", unit, name);
	const char *a = hi_dwcache_get(d->cache, q);
	unsigned long long rel, size, elem, count;
	if (a && !strcmp(a, "absent"))
		return -1;
	/* Kept relative to where the module is loaded.  */
	if (a && sscanf(a, "%llu %llu %llu %llu", &rel, &size, &elem, &count) == 4) {
		*v = (struct hi_var){ d->start + rel, size, elem, count };
		return 0;
	}
	if (!have_dwarf(d, q))
		return -1;
	int r = dw_static(d, unit, name, v);
	char buf[160] = "absent";
	if (r == 0)
		snprintf(buf, sizeof buf, "%llu %llu %llu %llu", (unsigned long long)(v->addr - d->start),
			 (unsigned long long)v->size, (unsigned long long)v->elem_size, (unsigned long long)v->count);
	hi_dwcache_put(d->cache, q, buf);
	return r;
}

const char *hi_dbg_missed(const struct hi_dbg *d)
{
	return d->missed[0] ? d->missed : NULL;
}

void hi_dwindex_free(struct hi_dbg *d)
{
	for (int i = 0; i < NBUCKETS; i++) {
		for (struct name_entry *e = d->tags[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
		for (struct name_entry *e = d->typedefs[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	}
}
