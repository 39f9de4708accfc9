/* typetable.c: see typetable.h.  The member lists mirror each type's
 * tp_traverse in CPython 3.8-3.13 (what gc.get_referents reports), with
 * heapy's additions for code objects (which have no tp_traverse) and
 * types (static ones' own members, heap types' names and slots).  Types whose references need more than a member list
 * (tuple, list, dict, set, frames, generators, deque, instances) are
 * decoded by family in referents.c.  */
#include "config.h"
#include <stddef.h>
#include "python/typetable.h"

#define EXC_BASE "dict", "args", "notes", "traceback", "context", "cause"

const struct hi_typedesc hi_typedescs[] = {
	/* Families with special sizes or decoders. */
	{ HI_B_OBJECT, { "PyBaseObject_Type" } },
	/* The first HI_TYPE_OBJECT_MEMBERS are PyTypeObject's own, followed
	 * for static types too, as heapy does; the rest only heap types have.
	 * ht_slots (the sorted, mangled __slots__ names) is heapy's addition.  */
	{ HI_B_TYPE, { "PyType_Type" }, NULL, "PyHeapTypeObject",
	  { "ht_type.tp_dict", "ht_type.tp_cache", "ht_type.tp_mro", "ht_type.tp_bases", "ht_type.tp_base",
	    "ht_module", "ht_name", "ht_qualname", "ht_slots" } },
	{ HI_B_LIST, { "PyList_Type" } },
	{ HI_B_TUPLE, { "PyTuple_Type" } },
	{ HI_B_DICT, { "PyDict_Type" } },
	{ HI_B_ODICT, { "PyODict_Type" }, NULL, "struct _odictobject", { "od_inst_dict" } },
	{ HI_B_DICT, { "defdict_type" }, "collections.defaultdict", "defdictobject", { "default_factory" } },
	{ HI_B_SET, { "PySet_Type" } },
	{ HI_B_FROZENSET, { "PyFrozenSet_Type" } },
	{ HI_B_STR, { "PyUnicode_Type" } },
	{ HI_B_BYTES, { "PyBytes_Type" } },
	{ HI_B_BYTEARRAY, { "PyByteArray_Type" } },
	{ HI_B_INT, { "PyLong_Type" } },
	{ HI_B_BOOL, { "PyBool_Type" } },
	{ HI_B_FLOAT, { "PyFloat_Type" } },
	{ HI_B_COMPLEX, { "PyComplex_Type" } },
	{ HI_B_NONETYPE, { "_PyNone_Type" } },
	/* A module's state (md_state) is reached only by its m_traverse:
	 * module_traverse, emulated, visits md_dict and calls it.  */
	{ HI_B_MODULE, { "PyModule_Type" }, NULL, "PyModuleObject", { "md_dict" }, .partial = 1 },
	{ HI_B_FUNCTION, { "PyFunction_Type" }, NULL, "PyFunctionObject",
	  { "func_code", "func_globals", "func_builtins", "func_module", "func_defaults", "func_kwdefaults",
	    "func_doc", "func_name", "func_dict", "func_closure", "func_annotations", "func_qualname",
	    "func_typeparams" } },
	/* Code has no tp_traverse; heapy visits these (stdtypes.c). */
	{ HI_B_CODE, { "PyCode_Type" }, NULL, "PyCodeObject",
	  { "co_consts", "co_names", "co_filename", "co_name", "co_qualname", "co_linetable", "co_lnotab",
	    "co_exceptiontable", "co_code", "co_varnames", "co_freevars", "co_cellvars",
	    "co_localsplusnames", "co_localspluskinds" } },
	{ HI_B_FRAME, { "PyFrame_Type" }, NULL, "struct _frame",
	  { "f_back", "f_code", "f_builtins", "f_globals", "f_locals", "f_trace" } },
	{ HI_B_GEN, { "PyGen_Type" } },
	{ HI_B_CORO, { "PyCoro_Type" } },
	{ HI_B_ASYNCGEN, { "PyAsyncGen_Type" } },
	{ HI_B_DEQUE, { "deque_type" }, "collections.deque", "dequeobject" },
	/* Families decoded by their member list alone. */
	{ HI_B_CELL, { "PyCell_Type" }, NULL, "PyCellObject", { "ob_ref" } },
	{ HI_B_METHOD, { "PyMethod_Type" }, NULL, "PyMethodObject", { "im_func", "im_self" } },
	{ HI_B_NONE, { "PyInstanceMethod_Type" }, NULL, "PyInstanceMethodObject", { "func" } },
	{ HI_B_NONE, { "PyClassMethod_Type" }, NULL, "classmethod", { "cm_callable", "cm_dict" } },
	{ HI_B_NONE, { "PyStaticMethod_Type" }, NULL, "staticmethod", { "sm_callable", "sm_dict" } },
	{ HI_B_NONE, { "PyProperty_Type" }, NULL, "propertyobject",
	  { "prop_get", "prop_set", "prop_del", "prop_doc", "prop_name" } },
	{ HI_B_NONE, { "PyCFunction_Type", "PyCMethod_Type" }, NULL, "PyCFunctionObject", { "m_self", "m_module" } },
	{ HI_B_NONE, { "_PyMethodWrapper_Type" }, "method-wrapper", "wrapperobject", { "descr", "self" } },
	{ HI_B_NONE, { "PyMethodDescr_Type", "PyClassMethodDescr_Type", "PyMemberDescr_Type", "PyGetSetDescr_Type" },
	  NULL, "PyDescrObject", { "d_type" } },
	{ HI_B_NONE, { "PyWrapperDescr_Type" }, NULL, "PyDescrObject", { "d_type" } },
	{ HI_B_NONE, { "PyDictProxy_Type" }, NULL, "mappingproxyobject", { "mapping" } },
	{ HI_B_NONE, { "_PyNamespace_Type" }, "types.SimpleNamespace", "_PyNamespaceObject", { "ns_dict" } },
	{ HI_B_NONE, { "PySuper_Type" }, NULL, "superobject", { "type", "obj", "obj_type" } },
	{ HI_B_NONE, { "PyTraceBack_Type" }, NULL, "struct _traceback", { "tb_next", "tb_frame" } },
	{ HI_B_NONE, { "PySlice_Type" }, NULL, "PySliceObject", { "start", "stop", "step" } },
	{ HI_B_NONE, { "_PyWeakref_RefType", "_PyWeakref_ProxyType", "_PyWeakref_CallableProxyType" },
	  NULL, "struct _PyWeakReference", { "wr_callback" } },
	{ HI_B_NONE, { "Py_GenericAliasType" }, NULL, "gaobject", { "origin", "args", "parameters" } },
	{ HI_B_NONE, { "PyDictKeys_Type", "PyDictItems_Type", "PyDictValues_Type" }, NULL, "_PyDictViewObject",
	  { "dv_dict" } },
	/* Common C types of the standard library (static up to 3.9, created
	 * at run time from 3.10). */
	{ HI_B_NONE, { "lru_cache_type" }, "functools._lru_cache_wrapper", "lru_cache_object",
	  { "cache", "func", "kwd_mark", "cache_info_type", "dict" }, .partial = 1 },
	{ HI_B_NONE, { "partial_type" }, "functools.partial", "partialobject", { "fn", "args", "kw", "dict" } },
	/* Iterators. */
	{ HI_B_NONE, { "PyListIter_Type" }, NULL, "listiterobject", { "it_seq" } },
	{ HI_B_NONE, { "PyListRevIter_Type" }, NULL, "listreviterobject", { "it_seq" } },
	{ HI_B_NONE, { "PyTupleIter_Type" }, NULL, "tupleiterobject", { "it_seq" } },
	{ HI_B_NONE, { "PyDictIterKey_Type", "PyDictIterValue_Type", "PyDictIterItem_Type" }, NULL,
	  "dictiterobject", { "di_dict", "di_result" } },
	{ HI_B_NONE, { "PyDictRevIterKey_Type", "PyDictRevIterValue_Type", "PyDictRevIterItem_Type" }, NULL,
	  "dictiterobject", { "di_dict", "di_result" } },
	{ HI_B_NONE, { "PySetIter_Type" }, NULL, "setiterobject", { "si_set" } },
	{ HI_B_NONE, { "PySeqIter_Type" }, NULL, "seqiterobject", { "it_seq" } },
	{ HI_B_NONE, { "PyCallIter_Type" }, NULL, "calliterobject", { "it_callable", "it_sentinel" } },
	{ HI_B_NONE, { "PyEnum_Type" }, NULL, "enumobject", { "en_sit", "en_result", "en_longindex" } },
	{ HI_B_NONE, { "PyReversed_Type" }, NULL, "reversedobject", { "seq" } },
	{ HI_B_NONE, { "PyZip_Type" }, NULL, "zipobject", { "ittuple", "result" } },
	{ HI_B_NONE, { "PyMap_Type" }, NULL, "mapobject", { "iters", "func" } },
	{ HI_B_NONE, { "PyFilter_Type" }, NULL, "filterobject", { "func", "it" } },
	{ HI_B_NONE, { "PyUnicodeIter_Type" }, NULL, "unicodeiterobject", { "it_seq" } },
	{ HI_B_NONE, { "PyBytesIter_Type" }, NULL, "striterobject", { "it_seq" } },
	/* Extension types without symbols, matched by tp_name alone (their
	 * decoders validate the layout): numpy's arrays (numpy.c).  */
	{ HI_B_NDARRAY, { NULL }, "numpy.ndarray" },
	/* Exceptions: the base fields, and each subclass struct's own. */
	{ HI_B_NONE, { "_PyExc_BaseException" }, NULL, "PyBaseExceptionObject", { EXC_BASE } },
	{ HI_B_NONE, { "_PyExc_OSError" }, NULL, "PyOSErrorObject",
	  { EXC_BASE, "myerrno", "strerror", "filename", "filename2" } },
	{ HI_B_NONE, { "_PyExc_ImportError" }, NULL, "PyImportErrorObject",
	  { EXC_BASE, "msg", "name", "path", "name_from" } },
	{ HI_B_NONE, { "_PyExc_SyntaxError" }, NULL, "PySyntaxErrorObject",
	  { EXC_BASE, "msg", "filename", "lineno", "offset", "text", "print_file_and_line", "end_lineno",
	    "end_offset" } },
	{ HI_B_NONE, { "_PyExc_StopIteration" }, NULL, "PyStopIterationObject", { EXC_BASE, "value" } },
	{ HI_B_NONE, { "_PyExc_SystemExit" }, NULL, "PySystemExitObject", { EXC_BASE, "code" } },
	{ HI_B_NONE, { "_PyExc_UnicodeError" }, NULL, "PyUnicodeErrorObject",
	  { EXC_BASE, "encoding", "object", "reason" } },
	{ HI_B_NONE, { "_PyExc_AttributeError" }, NULL, "PyAttributeErrorObject", { EXC_BASE, "obj", "name" } },
	{ HI_B_NONE, { "_PyExc_NameError" }, NULL, "PyNameErrorObject", { EXC_BASE, "name" } },
	{ HI_B_NONE, { "_PyExc_BaseExceptionGroup" }, NULL, "PyBaseExceptionGroupObject",
	  { EXC_BASE, "msg", "excs" } },
};

const int hi_ntypedescs = sizeof hi_typedescs / sizeof hi_typedescs[0];
