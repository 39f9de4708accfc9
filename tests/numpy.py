"""numpy arrays: sizes, bases only views keep alive, and the numpy command,
on every CPython found that can import numpy (Debian's python3.11 with
python3-numpy); skipped where none can.

workloads/numpy_target.py plants, on command, 5 bases of 3 MiB kept alive
only by 12 views of 80 bytes, a kept array with a small view, a full view,
and owned arrays of known sizes, and writes down from inside each array's
id(), shape, dtype, nbytes, base and sys.getsizeof.  heapinspect looks
before numpy is imported, after (A), and after planting (B):

  - before: 'numpy' says numpy is not imported;
  - heap: the numpy.ndarray row grows from A to B by exactly the planted
    arrays' count and total sys.getsizeof (the bases included, which a
    closure over gc.get_referents does not find: the target checks that);
  - numpy -n 100: every planted array at its id() with its nbytes, shape,
    dtype, owned or view, base; the 5 bases flagged as reached only
    through views, the kept one not;
  - the summary (JSON, and the table's sentence) grows from A to B by the
    planted groups: 12 views of 960 bytes keeping 5 bases of 15 MiB alive,
    1 view of 80 bytes of a base of 8000 bytes that is reachable otherwise;
  - numpy -copy agrees; -format json and -format tcl carry the same
    fields and values; the target runs after every command.

Then once more in a single heapinspect session, attached before numpy is
imported: its script tells the target (through fifos) to import numpy
and plant, and the next `numpy` reads every planted array right, with
numpy's debug information looked for before that command stopped the
target (never during the stop), so the layout's no_dwarf gives the real
reason, not "not looked for yet".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import (FLAT_TCL, FifoTarget, Tap, Target, find_pythons, heapinspect, json_flat,  # noqa: E402
                     label, tcl_flat, tmpfile, SRCDIR)

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'numpy_target.py')


def has_numpy(python):
    try:
        return subprocess.run([python, '-c', 'import numpy'], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def command(target, cmd):
    """Send CMD, wait for "done" and for the target to sit in read()."""
    target.proc.stdin.write(cmd + '\n')
    target.proc.stdin.flush()
    line = target.proc.stdout.readline().strip()
    if line != 'done':
        raise RuntimeError('%s: %r' % (cmd, line))
    for _ in range(200):
        if target.state() == 'S':
            break
        time.sleep(0.01)


def run(tap, name, target, script, what):
    rc, out, err = heapinspect(['attach', str(target.pid), '-e', script])
    tap.ok(rc == 0, '%s: %s exits 0' % (name, what), err)
    running, state = target.running()
    tap.ok(running, '%s: target running after %s (state %s)' % (name, what, state))
    return out if rc == 0 else None


def planted_mismatches(truth, rows):
    """What in the JSON ROWS of `numpy` disagrees with the target's truth."""
    rows = {int(r['address'], 16): r for r in rows}
    bad = []
    for addr, t in sorted(truth['arrays'].items()):
        r = rows.get(int(addr))
        if not r:
            bad.append('%s (%s, %d bytes) not listed' % (addr, t['shape'], t['nbytes']))
            continue
        want = {'nbytes': t['nbytes'], 'shape': t['shape'], 'type': t['type'], 'itemsize': t['itemsize'],
                'data': 'owned' if t['owned'] else 'view',
                'base': None if t['base'] is None else t['base']}
        got = {'nbytes': r['nbytes'], 'shape': r['shape'], 'type': r['type'], 'itemsize': r['itemsize'],
               'data': r['data'], 'base': None if r.get('base') is None else int(r['base'], 16)}
        if got != want:
            bad.append('%s: heapinspect %r, truth %r' % (addr, got, want))
    return bad


# One session: numpy before the import, then the target imports and plants
# (told through its fifos), then numpy twice.  Each result after a marker.
SESSION = r"""
lassign $argv cmdfifo outfifo
set to [open $cmdfifo w]
set from [open $outfifo r]
proc tell {what} {
    puts $::to $what
    flush $::to
    if {[gets $::from] ne "done"} { error "the target did not do $what" }
}
puts @@before
numpy -n 0 -format json
tell import
tell plant
puts @@first
numpy -n 100 -format json
puts @@second
numpy -n 100 -format json
close $to
close $from
"""


def check_session(tap, python):
    name = label(python)
    tmp = tempfile.mkdtemp(prefix='heapinspect-numpy-')
    truth_path = os.path.join(tmp, 'truth.json')
    script = os.path.join(tmp, 'session.tcl')
    with open(script, 'w') as f:
        f.write(SESSION)
    try:
        target = FifoTarget([python, WORKLOAD, truth_path], tmp)
    except Exception as e:
        tap.ok(False, '%s: start the numpy workload on fifos' % name, e)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    try:
        rc, out, err = heapinspect(['attach', str(target.pid), '-f', script, target.cmd, target.out])
        running, state = target.running()
        tap.ok(rc == 0 and running, '%s: one session: numpy, the target imports numpy and plants, numpy twice: '
               'exit 0, target running (state %s)' % (name, state), err)
        if rc != 0:
            return
        parts = {}
        for chunk in out.split('@@')[1:]:
            key, _, text = chunk.partition('\n')
            parts[key] = json.loads(text)
        with open(truth_path) as f:
            truth = json.load(f)
        before, first, second = parts['before'], parts['first'], parts['second']
        tap.ok(before['arrays'] == 0 and before['numpy'] == '',
               '%s: one session: no numpy before the import' % name, before)
        bad = planted_mismatches(truth, first['rows'])
        tap.ok(not bad, '%s: one session: the first numpy after the import lists all %d planted arrays right '
               '(layout: %s)' % (name, len(truth['arrays']), first['layout']), '\n'.join(bad))
        tap.ok(first['numpy'] and (first['layout'].startswith('DWARF') or
                                   (first['no_dwarf'] and 'not looked for yet' not in first['no_dwarf'])),
               '%s: one session: numpy\'s debug information was looked for before that command\'s stop: %s'
               % (name, first['layout'] if first['layout'].startswith('DWARF') else first['no_dwarf']))
        tap.ok((second['layout'], second['kept_alive'], second['rows'][:5]) ==
               (first['layout'], first['kept_alive'], first['rows'][:5]),
               '%s: one session: the next numpy agrees' % name)
    finally:
        target.close()
        shutil.rmtree(tmp, ignore_errors=True)


def ndarray_row(out):
    for r in json.loads(out)['rows']:
        if r['kind'] == 'numpy.ndarray':
            return r['count'], r['size']
    return 0, 0


def group_delta(b, a, key):
    return {k: b[key][k] - a[key][k] for k in ('views', 'view_bytes', 'bases', 'base_bytes')}


def check_python(tap, python):
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, WORKLOAD, truth_path])
    except Exception as e:
        tap.ok(False, '%s: start the numpy workload' % name, e)
        return
    try:
        out = run(tap, name, target, 'numpy -format json', 'numpy before numpy is imported')
        if out:
            d = json.loads(out)
            tap.ok(d['arrays'] == 0 and d['numpy'] == '', '%s: no arrays and no numpy before the import' % name, out)
        out = run(tap, name, target, 'numpy', 'numpy (table) before numpy is imported')
        tap.ok(out is not None and 'numpy is not imported' in out, '%s: the table says numpy is not imported' % name,
               out)

        command(target, 'import')
        heap_a = run(tap, name, target, 'heap -format json', 'heap (A)')
        np_a = run(tap, name, target, 'numpy -n 0 -format json', 'numpy (A)')
        command(target, 'plant')
        with open(truth_path) as f:
            truth = json.load(f)
        tap.ok(truth['gc_closure_finds'] == {'bases': 0, 'views': 12},
               '%s: inside the target, a closure over gc.get_referents finds the 12 views but none of the 5 bases'
               % name, truth['gc_closure_finds'])
        heap_b = run(tap, name, target, 'heap -format json', 'heap (B)')
        np_b = run(tap, name, target, 'numpy -n 100 -format json', 'numpy -n 100 (B)')
        table = run(tap, name, target, 'numpy -n 3', 'numpy -n 3 (table, B)')
        np_copy = run(tap, name, target, 'numpy -n 100 -copy -format json', 'numpy -copy (B)')
        both = run(tap, name, target, FLAT_TCL + 'numpy -n 100 -format json\nputs @@\n'
                   'flat "" [numpy -n 100 -format tcl] {kept_alive dict shared dict rows rows dims list}\n',
                   'numpy -format json, then tcl (B)')
        if both:
            j, t = both.split('@@\n')
            j, t = json_flat(json.loads(j)), tcl_flat(t)
            tap.ok(j == t and 'rows.0.index' in j and 'rows.0.base' not in j and 'kept_alive.bases' in j,
                   '%s: -format json and -format tcl carry the same %d fields and values (a base only where '
                   'there is one)' % (name, len(j)),
                   'json only %r\ntcl only %r' % (sorted(set(j.items()) - set(t.items()))[:10],
                                                  sorted(set(t.items()) - set(j.items()))[:10]))
        if not (heap_a and heap_b and np_a and np_b):
            return

        a, b = ndarray_row(heap_a), ndarray_row(heap_b)
        got = (b[0] - a[0], b[1] - a[1])
        tap.ok(got == (truth['count'], truth['size']),
               '%s: heap: the numpy.ndarray row grew by the %d planted arrays and their %d bytes of sys.getsizeof '
               '(owned data included)' % (name, truth['count'], truth['size']),
               'heapinspect: +%d arrays, +%d bytes (A %r, B %r)' % (got + (a, b)))

        A, B = json.loads(np_a), json.loads(np_b)
        tap.ok(B['numpy'] and B['numpy'] == A['numpy'] and B['layout'],
               '%s: numpy %s, layout from %s' % (name, B['numpy'], B['layout']))
        rows = {int(r['address'], 16): r for r in B['rows']}
        bad = planted_mismatches(truth, B['rows'])
        tap.ok(not bad, '%s: numpy lists all %d planted arrays with their nbytes, shape, dtype, data and base'
               % (name, len(truth['arrays'])), '\n'.join(bad))

        bases = [rows.get(i) for i in truth['bases']]
        tap.ok(all(r and r['nbytes'] == 393216 * 8 and r['data'] == 'owned' and r['only_through_views'] for r in bases),
               '%s: the 5 bases, 3145728 bytes each, owned, reached only through views' % name, bases)
        kept = rows.get(next(int(a) for a, t in truth['arrays'].items() if t['shape'] == '(1000,)'
                             and t['type'] == 'd'))
        tap.ok(kept is not None and not kept['only_through_views'],
               '%s: the kept array, which a name holds, is not flagged' % name, kept)
        top5 = [int(r['address'], 16) for r in B['rows'][:5]]
        tap.ok(sorted(top5) == sorted(truth['bases']), '%s: the 5 bases head the list by nbytes' % name, top5)

        for key in ('kept_alive', 'shared'):
            got = group_delta(B, A, key)
            tap.ok(got == truth[key], '%s: %s grew by exactly the planted %r' % (name, key, truth[key]),
                   'heapinspect: %r (A %r, B %r)' % (got, A[key], B[key]))
        k = B['kept_alive']
        sentence = '%d views (%d bytes) keep %d bases (%d bytes, %.1f MiB) alive that only views reach' % (
            k['views'], k['view_bytes'], k['bases'], k['base_bytes'], k['base_bytes'] / 1048576.0)
        tap.ok(table is not None and sentence in table, '%s: the table says "%s"' % (name, sentence), table)

        if np_copy:
            C = json.loads(np_copy)
            tap.ok((C['arrays'], C['size'], C['kept_alive'], C['shared'], C['rows'][:5]) ==
                   (B['arrays'], B['size'], B['kept_alive'], B['shared'], B['rows'][:5]),
                   '%s: numpy -copy agrees with numpy' % name)
    finally:
        target.close()
        os.unlink(truth_path)


def main():
    tap = Tap()
    pythons = [p for p in find_pythons() if has_numpy(p)]
    if not pythons:
        tap.skip('numpy', 'no CPython here can import numpy (Debian: apt-get install python3-numpy)')
    for python in pythons:
        check_python(tap, python)
        check_session(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
