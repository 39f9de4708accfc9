"""top N against planted objects, on every CPython 3.8+ found.

workloads/top_target.py plants a 5 MB bytes, a 3 MB str, a dict of 50,000
items and a list of 200,000 and writes down, from inside, each one's
id(), sys.getsizeof and the preview it must get (len, and ascii() or
repr() of its first 32 characters).  Then `top 4` must list exactly those
four, in order of size, at those addresses, with those sizes and
previews: as JSON, as a Tcl dict, as a table, and from a -copy image;
-format json and -format tcl carry the same fields and values.  Bad N
are refused, and the target runs after every command.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import (FLAT_TCL, Tap, Target, find_pythons, heapinspect, json_flat, label, tcl_flat,  # noqa: E402
                     tmpfile, SRCDIR)

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'top_target.py')


def expected_kind(t):
    return {'dict': 'dict (no owner)'}.get(t['type'], t['type'])


def run(tap, name, target, script, what):
    rc, out, err = heapinspect(['attach', str(target.pid), '-e', script])
    tap.ok(rc == 0, '%s: %s exits 0' % (name, what), err)
    running, state = target.running()
    tap.ok(running, '%s: target running after %s (state %s)' % (name, what, state))
    return rc, out, err


def check_objects(tap, name, what, objs, truth):
    """OBJS (dicts with address, size, kind and preview keys, as heapinspect
    gave them) against the truth, in order."""
    got = [(int(o['address'], 16), int(o['size'])) for o in objs]
    want = [(t['address'], t['size']) for t in truth]
    tap.ok(got == want, '%s: %s: the 4 planted objects in order of size, at their id(), of their getsizeof'
           % (name, what), 'heapinspect: %r\ntruth: %r' % (got, want))
    bad = []
    for o, t in zip(objs, truth):
        if o['kind'] != expected_kind(t):
            bad.append('%s: kind %r, want %r' % (t['type'], o['kind'], expected_kind(t)))
        for key in ('length', 'text', 'items'):
            if key in t and str(o.get(key)) != str(t[key]):
                bad.append('%s: %s %r, want %r' % (t['type'], key, o.get(key), t[key]))
    tap.ok(not bad, '%s: %s: kinds and previews (lengths, escaped first characters, item counts)'
           % (name, what), '\n'.join(bad))


def check_python(tap, python):
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, WORKLOAD, truth_path])
    except Exception as e:
        tap.ok(False, '%s: start the top workload' % name, e)
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        tap.ok(len({t['size'] for t in truth}) == 4, '%s: the planted sizes are distinct' % name, truth)

        rc, out, _ = run(tap, name, target, 'top 4 -format json', 'top 4 -format json')
        if rc == 0:
            check_objects(tap, name, 'json', json.loads(out)['rows'], truth)

        # Tcl: a dict with a list of dicts, turned into lines by the script.
        script = ('foreach o [dict get [top 4 -format tcl] rows] {puts [join [list [dict get $o address] [dict get $o size] '
                  '[dict get $o kind] [expr {[dict exists $o length] ? [dict get $o length] : ""}] '
                  '[expr {[dict exists $o items] ? [dict get $o items] : ""}]] "\\t"]}')
        rc, out, _ = run(tap, name, target, script, 'top 4 -format tcl')
        if rc == 0:
            objs = []
            for line in out.splitlines():
                addr, size, kind, length, items = line.split('\t')
                o = {'address': addr, 'size': size, 'kind': kind}
                if length:
                    o['length'] = length
                if items:
                    o['items'] = items
                objs.append(o)
            truth_no_text = [{k: v for k, v in t.items() if k != 'text'} for t in truth]
            check_objects(tap, name, 'tcl', objs, truth_no_text)

        # The same fields and values in both formats, one session.
        script = FLAT_TCL + 'top 4 -format json\nputs @@\nflat "" [top 4 -format tcl] {rows rows}\n'
        rc, out, _ = run(tap, name, target, script, 'top 4 -format json, then tcl')
        if rc == 0:
            j, t = out.split('@@\n')
            j, t = json_flat(json.loads(j)), tcl_flat(t)
            tap.ok(j == t and 'rows.3.preview' in j and 'rows.0.index' in j,
                   '%s: -format json and -format tcl carry the same %d fields and values' % (name, len(j)),
                   'json only %r\ntcl only %r' % (sorted(set(j.items()) - set(t.items())),
                                                  sorted(set(t.items()) - set(j.items()))))

        rc, out, _ = run(tap, name, target, 'top 4 -copy -format json', 'top 4 -copy')
        if rc == 0:
            check_objects(tap, name, '-copy', json.loads(out)['rows'], truth)

        rc, out, _ = run(tap, name, target, 'top 4', 'top 4 (table)')
        lines = out.splitlines()
        rows = [l for l in lines[2:] if l.strip()]
        ok = len(rows) == 4 and all(r.split()[1] == str(t['size']) and int(r.split()[2], 16) == t['address']
                                   for r, t in zip(rows, truth))
        ok = ok and all(t['text'] in r for r, t in zip(rows, truth) if 'text' in t)
        tap.ok(ok, '%s: the table shows the 4 rows with sizes, addresses and escaped text' % name, out)

        rc, out, _ = run(tap, name, target, 'top', 'top (default N)')
        rows = [l for l in out.splitlines()[2:] if l.strip()]
        tap.ok(len(rows) == 10 and [int(r.split()[2], 16) for r in rows[:4]] == [t['address'] for t in truth],
               '%s: top lists 10 by default, the planted 4 first' % name, out)

        for bad in ('0', '10001', 'x'):
            rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'top %s' % bad])
            tap.ok(rc == 1 and 'N must be an integer from 1 to 10000' in err,
                   '%s: top %s is refused with its usage' % (name, bad), 'status %d: %s' % (rc, err))
    finally:
        target.close()
        os.unlink(truth_path)


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('top', 'no CPython 3.8+ found')
    for python in pythons:
        check_python(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
