"""Real application heaps: heapinspect against the ground truth computed
inside each target (closure.py's: gc.get_objects closed over
gc.get_referents, sized by sys.getsizeof, a class's Python-level
__sizeof__ replaced by its nearest C-level one, since heapinspect never
runs Python code).

  - an asyncio service at rest (workloads/closure_target.py --asyncio: a
    loop in a thread, 2000 pending tasks, queues), on every CPython 3.8+;
  - pandas DataFrames and Series (--pandas) and a SQLAlchemy ORM session
    of 5000 objects (--sqlalchemy), on every interpreter that imports
    them (Debian's python3.11 with python3-pandas and python3-sqlalchemy;
    skipped, said so, elsewhere).

Each: totals within 0.5%, every type with >= 100 objects within 1%,
nothing skipped, the target running after every command.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, find_pythons, label  # noqa: E402
from closure import Started, census_of, check_rows, check_totals  # noqa: E402


def imports(python, module):
    return subprocess.run([python, '-c', 'import ' + module], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def check(tap, python, flag, what):
    name = '%s (%s)' % (label(python), what)
    started = Started(python, [flag])
    try:
        got = census_of(tap, name, started, 'workload')
        if not got:
            return
        _, truth, data, rows = got
        check_totals(tap, name, 'by type', data, truth)
        check_rows(tap, name, 'type', rows, truth['by_type'])
    finally:
        started.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('applications', 'no CPython 3.8+ found')
    for python in pythons:
        check(tap, python, '--asyncio', 'asyncio')
        for flag, module, what in (('--pandas', 'pandas', 'pandas'), ('--sqlalchemy', 'sqlalchemy', 'SQLAlchemy')):
            if imports(python, module):
                check(tap, python, flag, what)
            else:
                tap.skip('%s (%s): the %s workload' % (label(python), what, what),
                         '%s does not import %s' % (python, module))
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
