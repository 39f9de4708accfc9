"""A C extension no decoder knows: heapinspect against the ground truth
computed inside each target, on every CPython 3.8+ found on the machine.

tests/ext/hiext.c is built here for each interpreter (its headers and
the C compiler; an interpreter without headers is skipped, said so).  Its
objects hold their references in C fields that neither tp_members nor a
__dict__ declares: a static type (as Cython's cdef classes are made), a
heap type from PyType_FromSpec, a Python subclass of the static one, a
type whose __sizeof__ adds a buffer, and a dict only the module's state
holds (m_traverse).  The workload is closure_target.py --ext DIR.

Checked for each interpreter: the planted rows exactly (count and
sys.getsizeof bytes), totals within 0.5%, every type with >= 100 objects
within 1%, nothing skipped, and heap -v counting the objects followed
through their own tp_traverse in the emulator.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import SRCDIR, Tap, find_pythons, heapinspect, label  # noqa: E402
from closure import Started, census_of, check_planted, check_rows, check_totals  # noqa: E402

SOURCE = os.path.join(SRCDIR, 'ext', 'hiext.c')


def build(python):
    """Build hiext for PYTHON into a new directory: (dir, None) or
    (None, why not)."""
    cc = shutil.which(os.environ.get('CC', 'cc'))
    if not cc:
        return None, 'no C compiler (cc)'
    try:
        inc, suffix = subprocess.run(
            [python, '-c', 'import sysconfig; print(sysconfig.get_paths()["include"]); '
             'print(sysconfig.get_config_var("EXT_SUFFIX"))'],
            stdout=subprocess.PIPE, universal_newlines=True, check=True, timeout=60).stdout.split()
    except Exception as e:
        return None, 'cannot ask %s for its headers: %s' % (python, e)
    if not os.path.exists(os.path.join(inc, 'Python.h')):
        return None, 'no Python.h in %s (install the -dev package)' % inc
    where = tempfile.mkdtemp(prefix='heapinspect-ext-')
    p = subprocess.run([cc, '-shared', '-fPIC', '-O2', '-I' + inc, '-o', os.path.join(where, 'hiext' + suffix), SOURCE],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if p.returncode:
        shutil.rmtree(where, ignore_errors=True)
        return None, 'building hiext failed: %s' % p.stdout[-500:]
    return where, None


def check(tap, python):
    name = label(python) + ' (C extension)'
    where, why = build(python)
    if not where:
        tap.skip('%s: the C extension workload' % name, why)
        return
    started = Started(python, ['--ext', where])
    try:
        got = census_of(tap, name, started, 'C extension workload')
        if not got:
            return
        target, truth, data, rows = got
        check_planted(tap, name, 'type', rows, truth)
        check_totals(tap, name, 'by type', data, truth)
        check_rows(tap, name, 'type', rows, truth['by_type'])
        rc, out, err = heapinspect(['-v', 'attach', str(target.pid), '-e', 'heap -format json'])
        m = re.search(r'(\d+) through their own tp_traverse run in the emulator', err)
        tap.ok(rc == 0 and m and int(m.group(1)) >= 2500,
               '%s: heap -v: Static, Heap and Sub objects followed through their own tp_traverse (%s)'
               % (name, m.group(1) if m else '?'), err)
    finally:
        started.close()
        shutil.rmtree(where, ignore_errors=True)


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('C extension', 'no CPython 3.8+ found')
    for python in pythons:
        check(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
