/* debuginfo.c: modules, symbols and DWARF layouts (see debuginfo.h).  */
#include "config.h"
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dwarf/debuginfo.h"
#include "util/error.h"
#include "util/hash.h"
#include "proc/target.h"

#include "dwarf/dbg-impl.h"
#include "dwarf/dwcache.h"
#include "dwarf/dwindex.h"
#include "dwarf/pack.h"

/* ---- finding ELF files of a process, container-aware ---- */

static pid_t report_pid;

/* Files named in /proc/PID/maps live in the target's mount namespace: look
 * through /proc/PID/root first, so a process in a container resolves its
 * own libpython, then fall back to libdwfl's default.  */
static int find_elf_in_root(Dwfl_Module *mod, void **userdata, const char *modname,
			    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	if (report_pid > 0 && modname && modname[0] == '/') {
		char path[4096];
		snprintf(path, sizeof path, "/proc/%d/root%s", (int)report_pid, modname);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			*file_name = strdup(path);
			*elfp = NULL;
			return fd;
		}
	}
	return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

static char *debuginfo_path = NULL;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = find_elf_in_root,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

/* ---- symbols ---- */

static int module_symbol(Dwfl_Module *mod, const char *name, uint64_t *addr, uint64_t *size)
{
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
		if (s && sym.st_shndx != SHN_UNDEF && strcmp(s, name) == 0) {
			*addr = a;
			if (size)
				*size = sym.st_size;
			return 0;
		}
	}
	return -1;
}

/* The length of NAME without a suffix that link-time optimization or a
 * static's uniquing adds (".lto_priv.0", ".3"), or 0 when it has none.
 * Clones (".constprop.0", ".isra.0", ".part.0") are other functions and
 * keep their names.  */
static size_t renamed_base(const char *name)
{
	const char *dot = strchr(name, '.');
	if (!dot || dot == name)
		return 0;
	const char *p = dot + 1;
	if (strncmp(p, "lto_priv.", 9) == 0)
		p += 9;
	if (!*p)
		return 0;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return 0;
	return (size_t)(dot - name);
}

/* Add NAME (LEN bytes) at A of SIZE to TABLE.  Exact names keep their
 * first definition (.symtab and .dynsym repeat names); renamed ones are
 * marked ambiguous when two differ.  */
static void add_sym(struct sym_entry **table, const char *name, size_t len, uint64_t a, uint64_t size, int renamed)
{
	char key[256];
	if (len >= sizeof key)
		return;
	memcpy(key, name, len);
	key[len] = '\0';
	unsigned b = hi_hash_str(key) % NSYMBUCKETS;
	for (struct sym_entry *x = table[b]; x; x = x->next)
		if (strcmp(x->name, key) == 0) {
			if (renamed && x->addr != a)
				x->ambiguous = 1;
			return;
		}
	struct sym_entry *e = calloc(1, sizeof *e + len + 1);
	if (!e)
		return;
	memcpy(e->name, key, len + 1);
	e->addr = a;
	e->size = size;
	e->next = table[b];
	table[b] = e;
}

static void load_syms(struct hi_dbg *d)
{
	d->syms_loaded = 1;
	int n = dwfl_module_getsymtab(d->mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(d->mod, i, &sym, &a, NULL, NULL, NULL);
		if (!s || !*s || sym.st_shndx == SHN_UNDEF)
			continue;
		int t = GELF_ST_TYPE(sym.st_info);
		if (t != STT_OBJECT && t != STT_FUNC && t != STT_NOTYPE)
			continue;
		add_sym(d->syms, s, strlen(s), a, sym.st_size, 0);
		size_t base = GELF_ST_BIND(sym.st_info) == STB_LOCAL ? renamed_base(s) : 0;
		if (base)
			add_sym(d->renamed, s, base, a, sym.st_size, 1);
	}
}

static const struct sym_entry *find_sym(struct sym_entry *const *table, const char *name)
{
	for (const struct sym_entry *e = table[hi_hash_str(name) % NSYMBUCKETS]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Symbols are answers too (dwcache.h, pack.h): what the module's own
 * table says is kept, relative to where the module starts, so that a
 * stripped copy of the same build still finds its local symbols in the
 * answers kept for the build or in its layout pack.  */
int hi_dbg_symbol(struct hi_dbg *d, const char *name, uint64_t *addr, uint64_t *size)
{
	if (!d->syms_loaded)
		load_syms(d);
	const struct sym_entry *e = find_sym(d->syms, name);
	if (!e) {
		e = find_sym(d->renamed, name);
		if (e && e->ambiguous)
			e = NULL;
	}
	char q[300];
	snprintf(q, sizeof q, "symbol\x1f%s", name);
	if (!e) {
		unsigned long long rel, sz;
		const char *a = hi_dwcache_get(d->cache, q);
		if (!a || sscanf(a, "%llu %llu", &rel, &sz) != 2)
			return -1;
		*addr = d->start + rel;
		if (size)
			*size = sz;
		return 0;
	}
	*addr = e->addr;
	if (size)
		*size = e->size;
	char buf[64];
	snprintf(buf, sizeof buf, "%llu %llu", (unsigned long long)(e->addr - d->start), (unsigned long long)e->size);
	hi_dwcache_put(d->cache, q, buf);
	return 0;
}

int hi_dbg_tls_symbol(struct hi_dbg *d, const char *name, uint64_t *offset, uint64_t *lo, uint64_t *hi)
{
	Dwarf_Addr start, end;
	if (!d->mod || !dwfl_module_info(d->mod, NULL, &start, &end, NULL, NULL, NULL, NULL))
		return -1;
	char q[300], buf[32];
	snprintf(q, sizeof q, "tls\x1f%s", name);
	*lo = start;
	*hi = end;
	int n = dwfl_module_getsymtab(d->mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(d->mod, i, &sym, &a, NULL, NULL, NULL);
		if (s && GELF_ST_TYPE(sym.st_info) == STT_TLS && sym.st_shndx != SHN_UNDEF && strcmp(s, name) == 0) {
			*offset = sym.st_value;
			snprintf(buf, sizeof buf, "%llu", (unsigned long long)sym.st_value);
			hi_dwcache_put(d->cache, q, buf);
			return 0;
		}
	}
	const char *a = hi_dwcache_get(d->cache, q);
	if (!a)
		return -1;
	*offset = strtoull(a, NULL, 10);
	return 0;
}

/* The module's GNU build id in hex into OUT ("" when it has none).  */
static void build_id_hex(const struct hi_dbg *d, char *out, size_t size)
{
	unsigned char id[64];
	size_t n = hi_dbg_build_id(d, id, sizeof id);
	out[0] = '\0';
	for (size_t i = 0; i < n && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Read N bytes at ADDR (relocated) from the module's file: what a
 * constant there holds, without the process.  0, or -1.  */
static int read_file(struct hi_dbg *d, uint64_t addr, void *buf, size_t n)
{
	GElf_Addr bias;
	Elf *elf = d->mod ? dwfl_module_getelf(d->mod, &bias) : NULL;
	if (!elf)
		return -1;
	uint64_t a = addr - bias;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS ||
		    a < sh.sh_addr || a - sh.sh_addr + n > sh.sh_size)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || a - sh.sh_addr + n > data->d_size)
			return -1;
		memcpy(buf, (const char *)data->d_buf + (a - sh.sh_addr), n);
		return 0;
	}
	return -1;
}

static int has_symbol(struct hi_dbg *d, const char *name)
{
	uint64_t a;
	return hi_dbg_symbol(d, name, &a, NULL) == 0;
}

void hi_dbg_identify(struct hi_dbg *d, struct hi_pack_id *id)
{
	memset(id, 0, sizeof *id);
	uint64_t addr, size;
	uint32_t hex;
	if (hi_dbg_symbol(d, "Py_Version", &addr, &size) == 0 && read_file(d, addr, &hex, 4) == 0 && hex >> 24 == 3) {
		hi_pack_version(hex, id->version, sizeof id->version);
	} else {
		snprintf(id->version, sizeof id->version, "%s", d->name_version);
	}
	/* Py_REF_DEBUG (which Py_DEBUG implies) defines the reference
	 * total; Py_TRACE_REFS the list of all objects; Py_GIL_DISABLED
	 * the shared reference count's slow paths.  */
	if (has_symbol(d, "_Py_RefTotal") || has_symbol(d, "_Py_GetRefTotal") || has_symbol(d, "_Py_GetGlobalRefTotal"))
		id->flags |= HI_PACK_DEBUG;
	if (has_symbol(d, "_Py_PrintReferences"))
		id->flags |= HI_PACK_TRACEREFS;
	if (has_symbol(d, "_Py_MergeZeroLocalRefcount") || has_symbol(d, "_Py_DecRefShared"))
		id->flags |= HI_PACK_FREETHREADED;
	GElf_Addr bias;
	Elf *elf = d->mod ? dwfl_module_getelf(d->mod, &bias) : NULL;
	GElf_Ehdr eh;
	if (elf && gelf_getehdr(elf, &eh)) {
		id->ptr_size = eh.e_ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
		id->machine = eh.e_machine;
	}
	build_id_hex(d, id->build_id, sizeof id->build_id);
}

/* ---- imports: which slot of which module holds which function ---- */

struct imports_ctx {
	const char *const *names;
	hi_dbg_import_fn fn;
	void *arg;
};

static int imports_cb(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	struct imports_ctx *c = arg;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	(void)userdata, (void)name, (void)start;
	if (!elf)
		return DWARF_CB_OK;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh, lsh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
		Elf_Data *rel = elf_getdata(scn, NULL), *syms = symscn ? elf_getdata(symscn, NULL) : NULL;
		if (!rel || !syms || !gelf_getshdr(symscn, &lsh))
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			if (!gelf_getrela(rel, (int)i, &r))
				break;
			unsigned type = GELF_R_TYPE(r.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym))
				continue;
			const char *sname = elf_strptr(elf, lsh.sh_link, sym.st_name);
			for (int k = 0; sname && c->names[k]; k++)
				if (strcmp(sname, c->names[k]) == 0) {
					c->fn(k, r.r_offset + bias, c->arg);
					break;
				}
		}
	}
	return DWARF_CB_OK;
}

int hi_dbg_is_code(struct hi_dbg *d, uint64_t addr)
{
	Dwfl_Module *mod = d->dwfl ? dwfl_addrmodule(d->dwfl, addr) : NULL;
	Dwarf_Addr a = addr, bias;
	GElf_Shdr sh;
	if (!mod)	/* a live process's and a core's modules are all
			 * known; an image's only Python's: what lies outside
			 * them may be code */
		return !d->pid && !d->modules_known;
	/* The module's own file, not its debug file: dwfl_module_address_
	 * section would load the DWARF (a tenth of a second for a compressed
	 * .debug), which the answers kept per build id spare.  */
	Elf *elf = dwfl_module_getelf(mod, &bias);
	if (!elf)
		return 0;
	a = addr - bias;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) && a >= sh.sh_addr && a - sh.sh_addr < sh.sh_size)
			return (sh.sh_flags & SHF_EXECINSTR) && sh.sh_type == SHT_PROGBITS;
	return 0;
}

void hi_dbg_each_import(struct hi_dbg *d, const char *const *names, hi_dbg_import_fn fn, void *arg)
{
	struct imports_ctx c = { names, fn, arg };
	if (d->dwfl)
		dwfl_getmodules(d->dwfl, imports_cb, &c, 0);
}

/* ---- opening ---- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* "python3.11", "libpython3.11.so.1.0", "libpython3.8d.so" -> "3.11".  */
static void version_from_name(const char *path, char *out, size_t size)
{
	const char *b = base_name(path);
	const char *p = strstr(b, "python");
	out[0] = '\0';
	if (!p)
		return;
	p += 6;
	size_t n = 0;
	while (n + 1 < size && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.') &&
	       !(p[n] == '.' && (p[n + 1] < '0' || p[n + 1] > '9')))
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

struct find_ctx {
	Dwfl_Module *python;	/* module defining _PyRuntime */
	Dwfl_Module *named;	/* a module named like python, if any */
	Dwfl_Module *exe;
	const char *exe_name;
	int pass;
};

static int find_python_cb(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)start;
	struct find_ctx *c = arg;
	const char *b = base_name(name);
	int pythonish = strstr(b, "python") != NULL;
	if (c->pass == 0 && pythonish && !c->named)
		c->named = mod;
	if (c->pass == 0 && !pythonish)
		return DWARF_CB_OK;
	if (c->pass == 1 && pythonish)
		return DWARF_CB_OK;	/* already tried */
	uint64_t a;
	if (module_symbol(mod, "_PyRuntime", &a, NULL) == 0) {
		c->python = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/* Does the module's own file hold DWARF?  */
static int has_debug_info(struct hi_dbg *d)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(d->mod, &bias);
	size_t shstrndx;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) < 0)
		return 0;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			return 1;
	}
	return 0;
}

/* DWARF that libdwfl had from debuginfod: it names no file, but
 * libdebuginfod keeps what it fetched, by build id, in its cache
 * ($DEBUGINFOD_CACHE_PATH, $XDG_CACHE_HOME/debuginfod_client or
 * ~/.cache/debuginfod_client).  Its path into OUT: 1, or 0.  */
static int debuginfod_cached(struct hi_dbg *d, char *out, size_t size)
{
	char hex[129], dir[4096];
	const char *urls = getenv("DEBUGINFOD_URLS"), *c = getenv("DEBUGINFOD_CACHE_PATH");
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	build_id_hex(d, hex, sizeof hex);
	if (!hex[0] || !urls || !*urls)
		return 0;
	if (c && *c)
		snprintf(dir, sizeof dir, "%s", c);
	else if (x && *x)
		snprintf(dir, sizeof dir, "%s/debuginfod_client", x);
	else if (h && *h)
		snprintf(dir, sizeof dir, "%s/.cache/debuginfod_client", h);
	else
		return 0;
	snprintf(out, size, "%.3900s/%s/debuginfo", dir, hex);
	return access(out, R_OK) == 0;
}

/* Load D's DWARF (and DWZ alt file), indexed by type name.  -1 when it
 * has none (dwfl_errmsg says why).  */
static int load_dwarf(struct hi_dbg *d)
{
	if (d->dw)
		return 0;
	if (d->dwarf_failed)
		return -1;
	double t0 = hi_now();
	d->dw = dwfl_module_getdwarf(d->mod, &d->bias);
	if (!d->dw) {
		d->dwarf_failed = 1;
		return -1;
	}
	const char *mainfile = NULL, *debugfile = NULL;
	char fetched[4096];
	dwfl_module_info(d->mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
	const char *shown = debugfile ? debugfile : (mainfile ? mainfile : d->python_path);
	if (!debugfile && !has_debug_info(d) && debuginfod_cached(d, fetched, sizeof fetched))
		shown = fetched;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "/proc/%d/root/", (int)d->pid);
	if (d->pid > 0 && strncmp(shown, prefix, strlen(prefix)) == 0)
		shown += strlen(prefix) - 1;	/* the target's own view of the path */
	free(d->debug_path);
	d->debug_path = strdup(shown);
	hi_dwcache_put(d->cache, "debugfile", d->debug_path ? d->debug_path : "?");
	hi_dwindex_add(d, d->dw);
	Dwarf *alt = dwarf_getalt(d->dw);
	if (alt)
		hi_dwindex_add(d, alt);
	d->index_seconds += hi_now() - t0;
	return 0;
}

/* Make MOD the module D describes: its path, and its DWARF: the answers
 * cached for its build id when there are any (the DWARF is then loaded
 * only for a question they lack), else the DWARF now.  -1 when it has
 * neither (dwfl_errmsg says why).  */
static int use_module(struct hi_dbg *d, Dwfl_Module *mod)
{
	d->mod = mod;
	Dwarf_Addr start = 0;
	const char *mname = dwfl_module_info(d->mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	d->start = start;
	d->python_path = strdup(mname ? mname : "?");
	version_from_name(d->python_path, d->name_version, sizeof d->name_version);
	char hex[129];
	build_id_hex(d, hex, sizeof hex);
	d->cache = hi_dwcache_open(hex);
	if (!d->cache)	/* the cache is off: the answers are kept for this
			 * session only, for `layout save` */
		d->cache = hi_dwcache_new();
	d->load_dwarf = load_dwarf;
	if (hi_dwcache_loaded(d->cache)) {
		const char *p = hi_dwcache_get(d->cache, "debugfile");
		d->debug_path = strdup(p ? p : d->python_path);
		d->source = HI_LAYOUT_CACHE;
		return 0;
	}
	d->source = HI_LAYOUT_DWARF;
	return load_dwarf(d);
}

/* No DWARF and no answers kept for this build: a layout pack (pack.h)
 * instead, found by the module's identity.  Its answers replace the
 * empty cache (nothing is written for a build read from a pack).  0, or
 * -1 with hi_errmsg() saying what was looked for.  */
static int use_pack(struct hi_dbg *d, const char *who)
{
	struct hi_pack_id want, have;
	char path[4096];
	hi_dbg_identify(d, &want);
	if (hi_pack_find(&want, path, sizeof path, who) < 0)
		return -1;
	int same = 0;
	struct hi_dwcache *c = hi_pack_read(path, want.build_id, &have, &same, who);
	if (!c)
		return -1;

	hi_dwcache_close(d->cache);
	d->cache = c;
	d->source = HI_LAYOUT_PACK;
	d->pack_path = strdup(path);
	d->pack_same_build = same;
	d->statics_withheld = !same;
	snprintf(d->pack_version, sizeof d->pack_version, "%s", have.version);
	free(d->debug_path);
	d->debug_path = strdup("none");
	return 0;
}

/* A question the cached answers lacked while the DWARF was gone was
 * answered "absent", which a layout may take for a variant: refuse
 * instead, whatever the load made of it.  */
int hi_dbg_refuse_missed(const struct hi_dbg *d, const char *who)
{
	const char *q = hi_dbg_missed(d);
	if (!q)
		return 0;
	char shown[200];
	snprintf(shown, sizeof shown, "%s", q);
	for (char *p = shown; *p; p++)
		if (*p == '\x1f')
			*p = ' ';
	if (d->source == HI_LAYOUT_PACK)
		hi_error("%s: the layout pack %s lacks \"%s\" (saved by an older heapinspect?) and %s has no debug information; save the pack again with this heapinspect (`layout save`) from a build of CPython %s that has it, install the debug symbols, or set DEBUGINFOD_URLS",
			 who, d->pack_path, shown, hi_dbg_python_path(d), d->pack_version);
	else
		hi_error("%s: the DWARF answers kept for this build of %s (%s) lack \"%s\" and its debug information cannot be read; install its debug symbols or set DEBUGINFOD_URLS",
			 who, hi_dbg_python_path(d), hi_dwcache_path(d->cache) ? hi_dwcache_path(d->cache) : "?", shown);
	hi_error_class(HI_E_NODEBUG);
	return -1;
}

static struct hi_dbg *finish_open(struct hi_dbg *d, const char *who)
{
	struct find_ctx c = { 0 };
	dwfl_getmodules(d->dwfl, find_python_cb, &c, 0);
	if (!c.python) {
		c.pass = 1;
		dwfl_getmodules(d->dwfl, find_python_cb, &c, 0);
	}
	if (!c.python) {
		if (c.named) {
			const char *mname = dwfl_module_info(c.named, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
			char v[16];
			version_from_name(mname ? mname : "", v, sizeof v);
			if (v[0] && (v[0] == '2' || (strncmp(v, "3.", 2) == 0 && atoi(v + 2) < 7)))
				hi_error("%s: CPython %s is not supported (it has no _PyRuntime); heapinspect needs CPython 3.8 or newer",
					 who, v);
			else
				hi_error("%s: %s has no _PyRuntime symbol; is it a CPython 3.8+ interpreter? (a fully stripped binary needs its debug symbols installed)",
					 who, mname ? mname : "python");
			hi_error_class(HI_E_NOTPY);
		} else {
			hi_error("%s: not a CPython process (no libpython or python executable defining _PyRuntime is mapped)",
				 who);
			hi_error_class(HI_E_NOTPY);
		}
		return NULL;
	}
	if (use_module(d, c.python) < 0) {
		const char *v = d->name_version[0] ? d->name_version : "3";
		char why[300], nopack[700];
		snprintf(why, sizeof why, "%s", dwfl_errmsg(-1));
		if (use_pack(d, who) < 0) {
			/* "pid N: no layout pack for ...": without its "pid N: ".  */
			const char *m = hi_errmsg();
			size_t wl = strlen(who);
			snprintf(nopack, sizeof nopack, "%s", !strncmp(m, who, wl) && !strncmp(m + wl, ": ", 2) ? m + wl + 2 : m);
			hi_error("%s: no debug information for %s (%s), and %s; install its debug symbols (Debian/Ubuntu: apt-get install python%s-dbg; Fedora: dnf debuginfo-install python%s), set DEBUGINFOD_URLS, or save a pack with `layout -save` from a build of the same version that has them",
				 who, d->python_path, why, nopack, v, v);
			hi_error_class(HI_E_NODEBUG);
			return NULL;
		}
	}
	if (hi_dbg_sizeof(d, "PyObject") < 0 && hi_dbg_refuse_missed(d, who) < 0)
		return NULL;
	if (hi_dbg_sizeof(d, "PyObject") < 0) {
		hi_error("%s: the debug information of %s does not describe PyObject; it is not CPython's, or it is incomplete",
			 who, d->python_path);
		hi_error_class(HI_E_NODEBUG);
		return NULL;
	}
	return d;
}

/* HEAPINSPECT_DEBUGINFO_PATH replaces libdwfl's search path for separate
 * debug files (default ":.debug:/usr/lib/debug"), as eu-stack's
 * --debuginfo-path does.  */
static void set_debuginfo_path(void)
{
	const char *p = getenv("HEAPINSPECT_DEBUGINFO_PATH");
	debuginfo_path = (p && *p) ? (char *)p : NULL;
}

/* A handle with the modules live process PID maps reported, or NULL with
 * the error set (WHO prefixes it).  */
static struct hi_dbg *report_process(pid_t pid, const char *who)
{
	struct hi_dbg *d = calloc(1, sizeof *d);
	if (!d) {
		hi_error("%s: out of memory", who);
		return NULL;
	}
	d->pid = pid;
	d->dwfl = dwfl_begin(&proc_callbacks);
	if (!d->dwfl) {
		hi_error("%s: libdwfl: %s", who, dwfl_errmsg(-1));
		free(d);
		return NULL;
	}
	report_pid = pid;
	int r = dwfl_linux_proc_report(d->dwfl, pid);
	dwfl_report_end(d->dwfl, NULL, NULL);
	if (r != 0) {
		if (r == ENOENT) {
			hi_error("%s: no such process; check the pid with ps or pgrep", who);
			hi_error_class(HI_E_NOPROC);
		} else
			hi_error("%s: cannot read its memory map (/proc/%d/maps): %s", who, (int)pid,
				 r > 0 ? strerror(r) : dwfl_errmsg(-1));
		hi_dbg_close(d);
		return NULL;
	}
	return d;
}

/* A handle with the one ELF file PATH reported at address 0, or NULL. */
static struct hi_dbg *report_file(const char *path)
{
	struct hi_dbg *d = calloc(1, sizeof *d);
	if (!d) {
		hi_error("%s: out of memory", path);
		return NULL;
	}
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl || !dwfl_report_offline(d->dwfl, path, path, -1)) {
		hi_error("%s: cannot open: %s", path, dwfl_errmsg(-1));
		hi_dbg_close(d);
		return NULL;
	}
	dwfl_report_end(d->dwfl, NULL, NULL);
	return d;
}

struct hi_dbg *hi_dbg_open_pid(pid_t pid)
{
	set_debuginfo_path();
	char who[32];
	snprintf(who, sizeof who, "pid %d", (int)pid);
	struct hi_dbg *d = report_process(pid, who);
	if (!d)
		return NULL;
	char link[64], exe[4096];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		d->exe_path = strdup(exe);
	}
	if (!finish_open(d, who)) {
		hi_dbg_close(d);
		return NULL;
	}
	return d;
}

struct hi_dbg *hi_dbg_open_file(const char *path)
{
	set_debuginfo_path();
	struct hi_dbg *d = report_file(path);
	if (!d)
		return NULL;
	if (!finish_open(d, path)) {
		hi_dbg_close(d);
		return NULL;
	}
	return d;
}

/* Report the modules MODS into D's dwfl: those that are not ELF files,
 * or overlap one reported before, are left out.  How many were.  */
static size_t report_modules(struct hi_dbg *d, const struct hi_dbg_module *mods, size_t n)
{
	size_t got = 0;
	for (size_t i = 0; i < n; i++)
		if (dwfl_report_elf(d->dwfl, mods[i].name, mods[i].path, -1, mods[i].base, false))
			got++;
	dwfl_report_end(d->dwfl, NULL, NULL);
	return got;
}

/* ---- other modules: extensions' own DWARF ---- */

struct find_name_ctx {
	const char *name;
	Dwfl_Module *found;
};

static int find_name_cb(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)start;
	struct find_name_ctx *c = arg;
	if (name && strstr(base_name(name), c->name)) {
		c->found = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

static struct hi_dbg *open_named(struct hi_dbg *d, const char *name, const char *who)
{
	struct find_name_ctx c = { name, NULL };
	dwfl_getmodules(d->dwfl, find_name_cb, &c, 0);
	if (!c.found) {
		hi_error("%s: no module named like %s is mapped", who, name);
		hi_dbg_close(d);
		return NULL;
	}
	if (use_module(d, c.found) < 0) {
		hi_error("%s: no debug information for %s (%s)", who, d->python_path, dwfl_errmsg(-1));
		hi_error_class(HI_E_NODEBUG);
		hi_dbg_close(d);
		return NULL;
	}
	return d;
}

struct hi_dbg *hi_dbg_open_module(const struct hi_dbg *python, const char *name)
{
	char who[32];
	if (python->pid <= 0 && python->modules_known) {
		/* A core's modules, as they were reported for Python.  */
		struct hi_dbg *d = calloc(1, sizeof *d);
		if (!d || !(d->dwfl = dwfl_begin(&offline_callbacks)) ||
		    !report_modules(d, python->mods, python->nmods)) {
			hi_error("%s: cannot report its modules again", python->python_path);
			hi_dbg_close(d);
			return NULL;
		}
		d->modules_known = 1;
		return open_named(d, name, python->python_path);
	}
	if (python->pid <= 0) {
		hi_error("%s: not a live process", python->python_path);
		return NULL;
	}
	snprintf(who, sizeof who, "pid %d", (int)python->pid);
	/* A fresh report: the module may have been loaded since attaching. */
	struct hi_dbg *d = report_process(python->pid, who);
	return d ? open_named(d, name, who) : NULL;
}

struct hi_dbg *hi_dbg_open_elf(const char *path)
{
	set_debuginfo_path();
	struct hi_dbg *d = report_file(path);
	return d ? open_named(d, base_name(path), path) : NULL;
}

/* Keep a copy of MODS in D, for hi_dbg_open_module.  0 or -1.  */
static int keep_modules(struct hi_dbg *d, const struct hi_dbg_module *mods, size_t n)
{
	if (!(d->mods = calloc(n ? n : 1, sizeof *d->mods)))
		return -1;
	for (d->nmods = 0; d->nmods < n; d->nmods++) {
		struct hi_dbg_module *m = &d->mods[d->nmods];
		m->base = mods[d->nmods].base;
		if (!(m->name = strdup(mods[d->nmods].name)) || !(m->path = strdup(mods[d->nmods].path)))
			return -1;
	}
	return 0;
}

struct hi_dbg *hi_dbg_open_modules(const struct hi_dbg_module *mods, size_t n, const char *exe, const char *who)
{
	set_debuginfo_path();
	struct hi_dbg *d = calloc(1, sizeof *d);
	if (!d || keep_modules(d, mods, n) < 0) {
		hi_error("%s: out of memory", who);
		hi_dbg_close(d);
		return NULL;
	}
	d->modules_known = n > 1;
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl || !report_modules(d, mods, n)) {
		hi_error("%s: cannot open %s: %s", who, n ? mods[0].path : "its modules",
			 d->dwfl ? dwfl_errmsg(-1) : "libdwfl failed");
		hi_error_class(HI_E_NODEBUG);
		hi_dbg_close(d);
		return NULL;
	}
	if (exe && *exe)
		d->exe_path = strdup(exe);
	if (!finish_open(d, who)) {
		hi_dbg_close(d);
		return NULL;
	}
	return d;
}

struct hi_dbg *hi_dbg_open_loaded(const char *path, uint64_t base, const char *exe, const char *who)
{
	struct hi_dbg_module m = { path, path, base };
	return hi_dbg_open_modules(&m, 1, exe, who);
}

uint64_t hi_dbg_python_base(const struct hi_dbg *d)
{
	Dwarf_Addr start = 0;
	dwfl_module_info(d->mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	return start;
}

void hi_dbg_python_span(const struct hi_dbg *d, uint64_t *lo, uint64_t *hi)
{
	Dwarf_Addr start = 0, end = 0;
	dwfl_module_info(d->mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
	*lo = start;
	*hi = end;
}

size_t hi_dbg_build_id(const struct hi_dbg *d, unsigned char *out, size_t max)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(d->mod, &bits, &vaddr);
	if (n <= 0)
		return 0;
	if ((size_t)n > max)
		n = (int)max;
	memcpy(out, bits, (size_t)n);
	return (size_t)n;
}

void hi_dbg_close(struct hi_dbg *d)
{
	if (!d)
		return;
	hi_dwcache_close(d->cache);
	hi_dwindex_free(d);
	for (int i = 0; i < NSYMBUCKETS; i++) {
		for (struct sym_entry *e = d->syms[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
		for (struct sym_entry *e = d->renamed[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	if (d->dwfl)
		dwfl_end(d->dwfl);
	for (size_t i = 0; d->mods && i < d->nmods; i++) {
		free((char *)d->mods[i].name);
		free((char *)d->mods[i].path);
	}
	free(d->mods);
	free(d->python_path);
	free(d->exe_path);
	free(d->debug_path);
	free(d->pack_path);
	free(d);
}

const char *hi_dbg_python_path(const struct hi_dbg *d) { return d->python_path; }
const char *hi_dbg_exe_path(const struct hi_dbg *d) { return d->exe_path; }
const char *hi_dbg_debug_path(const struct hi_dbg *d) { return d->debug_path; }
const char *hi_dbg_cache_file(const struct hi_dbg *d) { return hi_dwcache_path(d->cache); }
int hi_dbg_dwarf_read(const struct hi_dbg *d) { return d->dw != NULL; }
int hi_dbg_layout_source(const struct hi_dbg *d) { return d->dw ? HI_LAYOUT_DWARF : d->source; }

const char *hi_dbg_layout_source_name(const struct hi_dbg *d)
{
	static const char *const names[] = { [HI_LAYOUT_DWARF] = "dwarf", [HI_LAYOUT_CACHE] = "cache",
					     [HI_LAYOUT_PACK] = "pack" };
	return names[hi_dbg_layout_source(d)];
}
const struct hi_dwcache *hi_dbg_answers(const struct hi_dbg *d) { return d->cache; }

static void count_answer(const char *q, const char *a, void *arg)
{
	(void)a;
	if (strchr(q, '\x1f'))	/* a question, not a note */
		++*(size_t *)arg;
}

size_t hi_dbg_answer_count(const struct hi_dbg *d)
{
	size_t n = 0;
	hi_dwcache_each(d->cache, count_answer, &n);
	return n;
}

const char *hi_dbg_pack_file(const struct hi_dbg *d, const char **version, int *same_build)
{
	if (version)
		*version = d->pack_version;
	if (same_build)
		*same_build = d->pack_same_build;
	return d->pack_path;
}
const char *hi_dbg_name_version(const struct hi_dbg *d) { return d->name_version; }
double hi_dbg_index_seconds(const struct hi_dbg *d) { return d->index_seconds; }
pid_t hi_dbg_pid(const struct hi_dbg *d) { return d->pid; }
int hi_dbg_modules_known(const struct hi_dbg *d) { return d->modules_known; }
