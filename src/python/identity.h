/* identity.h: what makes an object "the same object" across two looks.
 *
 * heapy pins its baseline objects so their addresses cannot be reused; an
 * outside reader cannot.  So a baseline remembers, for each address, a
 * key: the object's type and, for immutable kinds, a digest of what it
 * holds (str and bytes contents, an int's digits, a float's or complex's
 * value, a tuple's items, a code object's name, file and first line).  An
 * address whose key changed holds a new object.
 *
 * What stays undetectable: a mutable object (list, dict, instance, ...)
 * freed and replaced at the same address by another of the same type, and
 * an immutable one replaced by an equal one; both look unchanged.  Growth
 * of an old container is not a new object either (as in heapy).  */
#ifndef HI_IDENTITY_H
#define HI_IDENTITY_H
#include "python/pyobj.h"

/* A nonzero 64-bit key for OBJ of type T.  */
uint64_t hi_identity_key(struct hi_py *py, uint64_t obj, struct hi_type *t);

#endif
