/* dbg-impl.h: the inside of a debug-information handle, shared by the
 * two files of dwarf/ that build it: debuginfo.c (modules, symbols, the
 * Python module) and dwindex.c (the DWARF type index, which calls nothing
 * of debuginfo.c).  Nothing outside
 * dwarf/ includes it.  */
#ifndef HI_DBG_IMPL_H
#define HI_DBG_IMPL_H
#include <elfutils/libdwfl.h>
#include <sys/types.h>
#include <stdint.h>

struct hi_dbg_module;

/* A name -> DIE index over the top-level types of every unit.  */
struct name_entry {
	struct name_entry *next;
	Dwarf *dw;
	Dwarf_Off off;
	char name[];
};

struct sym_entry {
	struct sym_entry *next;
	uint64_t addr, size;
	int ambiguous;		/* renamed: two locals of this name differ */
	char name[];
};

#define NBUCKETS 16384
#define NSYMBUCKETS 8192

struct hi_dbg {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf *dw;
	Dwarf_Addr bias;
	pid_t pid;
	char *python_path, *exe_path, *debug_path;
	char name_version[16];
	struct name_entry *tags[NBUCKETS];	/* struct/union/enum tags */
	struct name_entry *typedefs[NBUCKETS];
	struct sym_entry *syms[NSYMBUCKETS];
	/* Local symbols the compiler renamed (NAME.lto_priv.N, NAME.N), by
	 * NAME.  */
	struct sym_entry *renamed[NSYMBUCKETS];
	int syms_loaded;
	double index_seconds;
	uint64_t start;		/* where the module is loaded */
	/* The answers kept for this build (dwcache.h), and how to load the
	 * DWARF when a question is not among them (once; dwarf_failed when
	 * there is none).  */
	struct hi_dwcache *cache;
	int (*load_dwarf)(struct hi_dbg *d);
	int dwarf_failed;
	char missed[200];	/* the first question neither could answer */
	/* Where the answers came from (debuginfo.h's HI_LAYOUT_*), and for
	 * a layout pack, which, and whether of this very build.  */
	int source;
	char *pack_path;
	char pack_version[32];
	int pack_same_build;
	int statics_withheld;	/* a pack of another build: none of its statics */
	/* The modules reported from a list (a core's, hi_dbg_open_modules):
	 * every module of the process is among them.  */
	struct hi_dbg_module *mods;
	size_t nmods;
	int modules_known;
};

/* Index the top-level types of every unit of DW (dwindex.c).  */
void hi_dwindex_add(struct hi_dbg *d, Dwarf *dw);
void hi_dwindex_free(struct hi_dbg *d);

#endif
