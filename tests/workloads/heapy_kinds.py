"""heapy's names for types, computed inside a target for ground truth.

The rules of guppy3's Summary_str.str_type: `function` and `module` are
bare; a type bound in the builtins dict is its bare name; a type bound in
the `types` module is `types.Name` (alphabetically last alias wins, builtins
override types); anything else is `__module__.__name__`.  Runs on CPython
3.8-3.13 with no third-party code.
"""
import types

_NAMES = {}
for _k, _v in sorted(types.__dict__.items()):
    if isinstance(_v, type):
        _NAMES[_v] = 'types.' + _k
_b = types.__builtins__
for _k, _v in sorted((_b if isinstance(_b, dict) else vars(_b)).items()):
    if isinstance(_v, type):
        _NAMES[_v] = _k
_SHORT = {types.ModuleType: 'module', types.FunctionType: 'function'}
del _k, _v, _b


def kind_of_type(t):
    if t in _SHORT:
        return _SHORT[t]
    if t in _NAMES:
        return _NAMES[t]
    module = t.__dict__.get('__module__') if isinstance(t.__dict__.get('__module__'), str) else getattr(t, '__module__', None)
    if module is None:
        return '<unknown module>.' + t.__name__
    return '%s.%s' % (module, t.__name__)
