/* kind.c: see kind.h.  */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/kind.h"
#include "util/text.h"

void hi_kind_compose(char *out, size_t size, int is_static, const char *tp_name,
		     const char *module, const char *name)
{
	if (is_static) {
		/* __module__ is tp_name up to its last dot, else "builtins". */
		if (strchr(tp_name, '.'))
			snprintf(out, size, "%s", tp_name);
		else
			snprintf(out, size, "builtins.%s", tp_name);
	} else {
		snprintf(out, size, "%s.%s", module ? module : "<unknown module>", name);
	}
}

static void add_alias(struct hi_py *py, uint64_t type, const char *name)
{
	char **nn = realloc(py->alias_names, (py->nalias + 1) * sizeof *nn);
	if (!nn)
		return;
	py->alias_names = nn;
	if (!(nn[py->nalias] = strdup(name)))
		return;
	u64map_put(&py->types_alias, type, py->nalias++);
}

struct alias_ctx {
	struct hi_py *py;
	const char *prefix;
};

static int alias_cb(uint64_t key, uint64_t value, void *arg)
{
	struct alias_ctx *c = arg;
	struct hi_py *py = c->py;
	char name[128], full[160];
	if (!hi_py_type(py, value) || hi_py_str(py, key, name, sizeof name) < 0)
		return 0;
	snprintf(full, sizeof full, "%s%s", c->prefix, name);
	uint64_t *slot = u64map_get(&py->types_alias, value);
	if (slot) {
		/* Same table: the alphabetically last name wins.  */
		char *old = py->alias_names[*slot];
		if (strncmp(old, c->prefix, strlen(c->prefix)) == 0 &&
		    (strchr(old, '.') != NULL) == (c->prefix[0] != '\0') && strcmp(old, full) >= 0)
			return 0;
		char *copy = strdup(full);
		if (copy) {
			free(old);
			py->alias_names[*slot] = copy;
		}
		return 0;
	}
	add_alias(py, value, full);
	return 0;
}

/* What the `types` module binds, for a target that has not imported it
 * (heapy always has: it imports `types` itself).  These are the aliases
 * Lib/types.py defines from C types in 3.8-3.13, found by their symbols;
 * MIN_MINOR is the first version whose types.py has the name.  */
static const struct {
	const char *sym;
	const char *alias;
	int min_minor;
} types_fallback[] = {
	{ "PyCFunction_Type", "types.BuiltinMethodType", 8 },
	{ "PyMethod_Type", "types.MethodType", 8 },
	{ "PyCode_Type", "types.CodeType", 8 },
	{ "PyFrame_Type", "types.FrameType", 8 },
	{ "PyTraceBack_Type", "types.TracebackType", 8 },
	{ "PyCell_Type", "types.CellType", 8 },
	{ "PyGen_Type", "types.GeneratorType", 8 },
	{ "PyCoro_Type", "types.CoroutineType", 8 },
	{ "PyAsyncGen_Type", "types.AsyncGeneratorType", 8 },
	{ "PyDictProxy_Type", "types.MappingProxyType", 8 },
	{ "_PyMethodWrapper_Type", "types.MethodWrapperType", 8 },
	{ "PyWrapperDescr_Type", "types.WrapperDescriptorType", 8 },
	{ "PyMethodDescr_Type", "types.MethodDescriptorType", 8 },
	{ "PyClassMethodDescr_Type", "types.ClassMethodDescriptorType", 8 },
	{ "PyGetSetDescr_Type", "types.GetSetDescriptorType", 8 },
	{ "PyMemberDescr_Type", "types.MemberDescriptorType", 8 },
	{ "_PyNone_Type", "types.NoneType", 10 },
	{ "PyEllipsis_Type", "types.EllipsisType", 10 },
	{ "_PyNotImplemented_Type", "types.NotImplementedType", 10 },
};

static void load_types_fallback(struct hi_py *py)
{
	for (size_t i = 0; i < sizeof types_fallback / sizeof types_fallback[0]; i++) {
		uint64_t addr;
		if (py->minor >= types_fallback[i].min_minor &&
		    hi_dbg_symbol(py->dbg, types_fallback[i].sym, &addr, NULL) == 0)
			add_alias(py, addr, types_fallback[i].alias);
	}
}

void hi_kind_load_aliases(struct hi_py *py)
{
	const struct hi_layout *l = &py->l;
	if (py->aliases_loaded)
		return;
	py->aliases_loaded = 1;
	uint64_t interp = hi_py_main_interp(py), modules = 0, builtins = 0;
	if (!interp) {
		load_types_fallback(py);
		return;
	}
	if (hi_has(l->is_modules))
		hi_mem_u64(py->mem, interp + l->is_modules.off, &modules);
	if (hi_has(l->is_builtins))
		hi_mem_u64(py->mem, interp + l->is_builtins.off, &builtins);
	/* types first, so that builtins bindings override them.  */
	int have_types = 0;
	if (modules && hi_py_is(py, modules, HI_B_DICT)) {
		uint64_t mod = hi_py_dict_get_str(py, modules, "types"), md;
		if (mod && hi_py_is(py, mod, HI_B_MODULE) &&
		    hi_mem_u64(py->mem, mod + l->md_dict.off, &md) == 0 && md) {
			struct alias_ctx c = { py, "types." };
			have_types = hi_py_dict_foreach(py, md, alias_cb, &c) == 0;
		}
	}
	if (!have_types)
		load_types_fallback(py);
	if (builtins && hi_py_is(py, builtins, HI_B_DICT)) {
		struct alias_ctx c = { py, "" };
		hi_py_dict_foreach(py, builtins, alias_cb, &c);
	}
}

const char *hi_kind_type_name(struct hi_py *py, struct hi_type *t)
{
	if (t->name)
		return t->name;
	char buf[512];
	if (t->builtin == HI_B_FUNCTION) {
		snprintf(buf, sizeof buf, "function");
	} else if (t->builtin == HI_B_MODULE) {
		snprintf(buf, sizeof buf, "module");
	} else {
		hi_kind_load_aliases(py);
		uint64_t *slot = u64map_get(&py->types_alias, t->addr);
		if (slot) {
			snprintf(buf, sizeof buf, "%s", py->alias_names[*slot]);
		} else if (t->static_type) {
			hi_kind_compose(buf, sizeof buf, 1, t->tp_name, NULL, NULL);
		} else {
			char module[256], name[256];
			const struct hi_layout *l = &py->l;
			uint64_t modobj = t->dict ? hi_py_dict_get_str(py, t->dict, "__module__") : 0;
			uint64_t nameobj = 0;
			int have_mod = modobj && hi_py_str(py, modobj, module, sizeof module) >= 0;
			if (!(hi_has(l->ht_name) && hi_mem_u64(py->mem, t->addr + l->ht_name.off, &nameobj) == 0 &&
			      hi_py_str(py, nameobj, name, sizeof name) >= 0))
				snprintf(name, sizeof name, "%s", t->tp_name);
			hi_kind_compose(buf, sizeof buf, 0, NULL, have_mod ? module : NULL, name);
		}
	}
	/* Names come from the target: no control character may reach the
	 * user's terminal (C0, DEL, and C1 as UTF-8 C2 80..9F).  */
	hi_text_sanitize(buf);
	t->name = strdup(buf);
	return t->name ? t->name : "?";
}
