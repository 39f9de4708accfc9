/* hiext.c: a C extension no decoder of heapinspect knows, built by
 * tests/cext.py for each Python it tests.  Every reference it holds is
 * in a C field that neither tp_members nor a __dict__ declares, so only
 * the types' own tp_traverse (and the module's m_traverse) find them:
 *   Static  a static GC type with two object fields (as Cython's cdef
 *           classes and most older extensions are made);
 *   Heap    a heap type made by PyType_FromSpec with a list field;
 *   Sized   a type whose __sizeof__ adds a buffer it allocates;
 *   the module's state holds a dict, visited by m_traverse.  */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

typedef struct {
	PyObject_HEAD
	PyObject *first, *second;
} StaticObject;

static int static_traverse(StaticObject *self, visitproc visit, void *arg)
{
	Py_VISIT(self->first);
	Py_VISIT(self->second);
	return 0;
}

static int static_clear(StaticObject *self)
{
	Py_CLEAR(self->first);
	Py_CLEAR(self->second);
	return 0;
}

static void static_dealloc(StaticObject *self)
{
	PyObject_GC_UnTrack(self);
	static_clear(self);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static int static_init(StaticObject *self, PyObject *args, PyObject *kw)
{
	PyObject *a = NULL, *b = NULL;
	if (!PyArg_ParseTuple(args, "OO", &a, &b))
		return -1;
	Py_INCREF(a);
	Py_INCREF(b);
	Py_XSETREF(self->first, a);
	Py_XSETREF(self->second, b);
	return 0;
}

static PyTypeObject StaticType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "hiext.Static",
	.tp_basicsize = sizeof(StaticObject),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
	.tp_traverse = (traverseproc)static_traverse,
	.tp_clear = (inquiry)static_clear,
	.tp_dealloc = (destructor)static_dealloc,
	.tp_init = (initproc)static_init,
	.tp_new = PyType_GenericNew,
};

typedef struct {
	PyObject_HEAD
	PyObject *items;
} HeapObject;

static int heap_traverse(HeapObject *self, visitproc visit, void *arg)
{
#if PY_VERSION_HEX >= 0x03090000
	Py_VISIT(Py_TYPE(self));
#endif
	Py_VISIT(self->items);
	return 0;
}

static int heap_clear(HeapObject *self)
{
	Py_CLEAR(self->items);
	return 0;
}

static void heap_dealloc(HeapObject *self)
{
	PyTypeObject *tp = Py_TYPE(self);
	PyObject_GC_UnTrack(self);
	heap_clear(self);
	tp->tp_free((PyObject *)self);
	Py_DECREF(tp);
}

static int heap_init(HeapObject *self, PyObject *args, PyObject *kw)
{
	PyObject *items = NULL;
	if (!PyArg_ParseTuple(args, "O", &items))
		return -1;
	Py_INCREF(items);
	Py_XSETREF(self->items, items);
	return 0;
}

static PyType_Slot heap_slots[] = {
	{ Py_tp_traverse, heap_traverse }, { Py_tp_clear, heap_clear }, { Py_tp_dealloc, heap_dealloc },
	{ Py_tp_init, heap_init },	   { Py_tp_new, PyType_GenericNew }, { 0, NULL },
};

static PyType_Spec heap_spec = {
	"hiext.Heap", sizeof(HeapObject), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, heap_slots,
};

typedef struct {
	PyObject_HEAD
	Py_ssize_t nbytes;
	char *buffer;
} SizedObject;

static void sized_dealloc(SizedObject *self)
{
	free(self->buffer);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static int sized_init(SizedObject *self, PyObject *args, PyObject *kw)
{
	Py_ssize_t n = 0;
	if (!PyArg_ParseTuple(args, "n", &n) || n < 0)
		return -1;
	free(self->buffer);
	self->buffer = calloc(1, (size_t)n + 1);
	self->nbytes = n;
	return self->buffer ? 0 : -1;
}

static PyObject *sized_sizeof(SizedObject *self, PyObject *unused)
{
	return PyLong_FromSsize_t((Py_ssize_t)sizeof(SizedObject) + self->nbytes);
}

static PyMethodDef sized_methods[] = {
	{ "__sizeof__", (PyCFunction)sized_sizeof, METH_NOARGS, NULL },
	{ NULL },
};

static PyTypeObject SizedType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "hiext.Sized",
	.tp_basicsize = sizeof(SizedObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_dealloc = (destructor)sized_dealloc,
	.tp_init = (initproc)sized_init,
	.tp_new = PyType_GenericNew,
	.tp_methods = sized_methods,
};

typedef struct {
	PyObject *registry;
} ModuleState;

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
	ModuleState *st = PyModule_GetState(m);
	if (st)
		Py_VISIT(st->registry);
	return 0;
}

static int module_clear(PyObject *m)
{
	ModuleState *st = PyModule_GetState(m);
	if (st)
		Py_CLEAR(st->registry);
	return 0;
}

/* register(key, value): into the dict only the module's state holds. */
static PyObject *module_register(PyObject *m, PyObject *args)
{
	PyObject *k, *v;
	ModuleState *st = PyModule_GetState(m);
	if (!PyArg_ParseTuple(args, "OO", &k, &v) || PyDict_SetItem(st->registry, k, v) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
	{ "register", module_register, METH_VARARGS, NULL },
	{ NULL },
};

static struct PyModuleDef hiext_module = {
	PyModuleDef_HEAD_INIT, "hiext", NULL, sizeof(ModuleState), module_methods, NULL, module_traverse,
	module_clear, NULL,
};

PyMODINIT_FUNC PyInit_hiext(void)
{
	PyObject *m = PyModule_Create(&hiext_module), *heap;
	if (!m || PyType_Ready(&StaticType) < 0 || PyType_Ready(&SizedType) < 0)
		return NULL;
	ModuleState *st = PyModule_GetState(m);
	st->registry = PyDict_New();
	heap = PyType_FromSpec(&heap_spec);
	if (!st->registry || !heap)
		return NULL;
	Py_INCREF(&StaticType);
	Py_INCREF(&SizedType);
	if (PyModule_AddObject(m, "Static", (PyObject *)&StaticType) < 0 ||
	    PyModule_AddObject(m, "Sized", (PyObject *)&SizedType) < 0 || PyModule_AddObject(m, "Heap", heap) < 0)
		return NULL;
	return m;
}
