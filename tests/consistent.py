"""A heap that other threads keep changing still gets whole censuses.

tests/workloads/mutate_target.py runs three threads that replace, resize
and rebuild containers without pause.  On every CPython, one heapinspect
session takes CENSUSES censuses in each mode (the default, a copy taken
while the target is stopped; and -inplace), by kind and by type.  Each
must be internally consistent: its rows add up to its totals, nothing was
skipped (no bad pointer, type or read: the stop is one instant for every
thread), every object of the planted populations is there at least (the
20,000-key table's Nodes can only be replaced, not lost), and the target
runs on without an error in its threads.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, find_pythons, heapinspect, label, SRCDIR  # noqa: E402

CENSUSES = int(os.environ.get('HEAPINSPECT_CONSISTENT_CENSUSES', '8'))
WORKLOAD = os.path.join(SRCDIR, 'workloads', 'mutate_target.py')

# One line per census: mode, partition, objects, size, the rows' sums of
# both, skipped, and the largest row kinds' presence.
SCRIPT = r'''
set n [lindex $argv 0]
foreach mode {{} -inplace} {
    for {set i 0} {$i < $n} {incr i} {
        foreach by {kind type} {
            set c [heap -by $by -format tcl {*}$mode]
            set count 0; set bytes 0; set kinds {}
            foreach r [dict get $c rows] {
                incr count [dict get $r count]
                incr bytes [dict get $r size]
                dict set kinds [dict get $r kind] [dict get $r count]
            }
            set nodes [expr {[dict exists $kinds __main__.Node] ? [dict get $kinds __main__.Node] : 0}]
            puts [list [expr {$mode eq {} ? "copy" : "inplace"}] $by [dict get $c objects] [dict get $c size] \
                $count $bytes [dict get $c skipped] $nodes]
        }
    }
}
'''


def ask(target):
    target.proc.stdin.write('status\n')
    target.proc.stdin.flush()
    return target.proc.stdout.readline().strip()


def check(tap, python, script):
    name = label(python)
    try:
        target = Target([python, WORKLOAD])
    except RuntimeError as e:
        tap.ok(False, '%s: start the mutating workload' % name, str(e))
        return
    try:
        before = ask(target)
        rc, out, err = heapinspect(['attach', str(target.pid), '-f', script, str(CENSUSES)], timeout=600)
        tap.ok(rc == 0, '%s: %d censuses in each mode of a heap that three threads keep changing exit 0'
               % (name, 2 * CENSUSES), err[-1000:])
        lines = [ln.split() for ln in out.splitlines() if ln.startswith(('copy ', 'inplace '))]
        for mode in ('copy', 'inplace'):
            mine = [ln for ln in lines if ln[0] == mode]
            bad_sum = [ln for ln in mine if (ln[2], ln[3]) != (ln[4], ln[5])]
            skipped = [ln for ln in mine if ln[6] != '0']
            # The table's 20,000 keys hold Nodes, lists, dicts, strs and
            # tuples in turn, each key always the same kind once replaced:
            # 4,000 Nodes at least, and the builder's chain of 500 Nodes
            # with 3 kids each 2,000 more; a census of a heap that changed
            # while it was read sees fewer.
            few = [ln for ln in mine if ln[1] == 'kind' and int(ln[7]) < 6000]
            tap.ok(len(mine) == 2 * CENSUSES and not bad_sum,
                   '%s: %s: every census\'s rows add up to its totals (%d censuses)' % (name, mode, len(mine)),
                   'not adding up: %s' % bad_sum[:3])
            tap.ok(len(mine) == 2 * CENSUSES and not skipped,
                   '%s: %s: nothing skipped in any census' % (name, mode), 'skipped: %s' % skipped[:3])
            tap.ok(len(mine) == 2 * CENSUSES and not few,
                   '%s: %s: the Nodes are there in every census (%s)'
                   % (name, mode, sorted(set(int(ln[7]) for ln in mine if ln[1] == 'kind'))[:4]),
                   'too few: %s' % few[:3])
        run, state = target.running()
        after = ask(target)
        r0 = int(before.split()[0].split('=')[1])
        r1 = int(after.split()[0].split('=')[1])
        tap.ok(run and after.endswith('errors=0') and r1 > r0,
               '%s: the target runs on and its threads worked without error (%s -> %s, state %s)'
               % (name, before, after, state))
    finally:
        target.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('consistent', 'no CPython 3.8+ found')
    script = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'heapinspect-consistent-%d.tcl' % os.getpid())
    with open(script, 'w') as f:
        f.write(SCRIPT)
    try:
        for python in pythons:
            check(tap, python, script)
    finally:
        os.unlink(script)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
