/* kind.h: heapy's names for types and objects.
 *
 * The rules (guppy3's Summary_str.str_type and ByClassOrDictOwner):
 *   - `function` and `module` are bare;
 *   - a type bound in the builtins dict is its bare name (the
 *     alphabetically last name if several; builtins win over types);
 *   - a type bound in the `types` module is `types.Name` (alphabetically
 *     last);
 *   - any other type is `__module__.__name__`: a static type's tp_name as
 *     is when dotted, `builtins.X` when not; a heap type's `__module__`
 *     from its dict and its ht_name;
 *   - a dict that is some object's __dict__ is `dict of <owner's type
 *     name>`, any other exact dict `dict (no owner)`.
 * The builtins and types bindings are read from the target itself, so each
 * version's own aliases apply.  */
#ifndef HI_KIND_H
#define HI_KIND_H
#include "python/pyobj.h"

/* Read the builtins dict and the `types` module of the main interpreter.
 * Missing pieces are tolerated (fewer aliases).  */
void hi_kind_load_aliases(struct hi_py *py);

/* heapy's display name of type T (cached in T->name).  Never NULL.  */
const char *hi_kind_type_name(struct hi_py *py, struct hi_type *t);

/* The name heapy gives a type from its parts, without a target: STATIC
 * types use TP_NAME; heap types MODULE (NULL if unknown) and NAME.  Writes
 * into OUT.  Exposed for unit tests.  */
void hi_kind_compose(char *out, size_t size, int is_static, const char *tp_name,
		     const char *module, const char *name);

#endif
