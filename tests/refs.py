"""Why is it alive: path, referrers and referents against the target's own
answers, on every CPython 3.8+ found.

workloads/refs_target.py plants objects held by known holders (a module
global through an instance attribute, a dict and a list; a class
attribute; a closure's cell; a running thread's local; __slots__; a
cycle only the collector frees) and computes from inside, by a
breadth-first search of its own objects from its modules and its frames'
locals, the shortest path of each, and from gc.get_referrers the
referrers of each kind, and by the definition on its own reference
graph, the bytes each planted holder alone keeps alive.  heapinspect's
`path KIND`, `path ADDR`, `referrers KIND` and `show ADDR`'s retained
size (its dominator tree) must give exactly those, live, on a -copy and
on an image written by dump.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import (FLAT_TCL, Tap, Target, find_pythons, heapinspect, json_flat, label, tcl_flat,  # noqa: E402
                     tmpfile, SRCDIR)

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'refs_target.py')
UNREACHED = '(garbage: nothing holds it but other garbage; the cyclic collector has not freed it yet)'


def run(tap, name, args, what, target=None):
    rc, out, err = heapinspect(args)
    tap.ok(rc == 0, '%s: %s exits 0' % (name, what), err)
    if target:
        running, state = target.running()
        tap.ok(running, '%s: target running after %s (state %s)' % (name, what, state))
    return rc, out, err


def planted(truth):
    return sorted(k for k in truth if k.startswith('__main__.'))


def script_for(truth):
    """One script: every planted kind's path and referrers, one object's
    path, and each holder's show, as JSON, separated by @@ lines."""
    lines = []
    for kind in planted(truth):
        lines.append('puts [path %s -format json]; puts @@' % kind)
        lines.append('puts [referrers %s -format json]; puts @@' % kind)
        lines.append('puts [path 0x%x -format json]; puts @@' % truth[kind]['example']['address'])
        lines.append('puts [heap -kind %s -by rcs -format json]; puts @@' % kind)
    for name in sorted(truth['retained']):
        lines.append('puts [show 0x%x -format json]; puts @@' % truth['retained'][name]['address'])
    if 'numpy' in truth:
        lines.append('puts [path 0x%x -format json]; puts @@' % truth['numpy']['base'])
    return '\n'.join(lines)


def check_answers(tap, name, what, out, truth):
    parts = [json.loads(p) for p in out.split('@@\n') if p.strip()]
    kinds, holders = planted(truth), sorted(truth['retained'])
    if not tap.ok(len(parts) == 4 * len(kinds) + len(holders) + ('numpy' in truth),
                  '%s: %s: an answer to each question' % (name, what), out):
        return
    if 'numpy' in truth:
        base = parts[-1]['rows'][0]
        tap.ok(base['reached'] and base['example'] == truth['numpy']['path'],
               '%s: %s: a numpy view\'s base, which only the view holds: %s' % (name, what, truth['numpy']['path']),
               base)
    for holder, show in zip(holders, parts[4 * len(kinds):4 * len(kinds) + len(holders)]):
        want = truth['retained'][holder]['retained']
        tap.ok(show['retained'] == want, '%s: %s: show %s: keeps alive %d bytes, as the target computes it'
               % (name, what, holder, want), 'heapinspect: %r' % show['retained'])
    for i, kind in enumerate(kinds):
        t = truth[kind]
        path, refs, one, rcs = parts[4 * i:4 * i + 4]
        got = {r['kind']: r['count'] for r in rcs['rows']}
        tap.ok(got == t['rcs'] and rcs['by'] == 'rcs',
               '%s: %s: heap -kind %s -by rcs: its objects by the kinds of their referrers, as gc.get_referrers'
               % (name, what, kind), 'heapinspect: %r\ntruth: %r' % (got, t['rcs']))
        got = {(r['path'] if r['reached'] else ''): r['count'] for r in path['rows']}
        tap.ok(got == t['paths'] and path['objects'] == t['count'],
               '%s: %s: path %s: %d objects by the path that holds them, as the target finds them'
               % (name, what, kind, t['count']),
               'heapinspect: %r (%d objects)\ntruth: %r' % (got, path['objects'], t['paths']))
        got = sorted((r['kind'], r['reference'], r['count']) for r in refs['rows'])
        want = sorted((r['kind'], r['reference'], r['count']) for r in t['referrers'])
        tap.ok(got == want, '%s: %s: referrers %s: kinds and references as gc.get_referrers finds them'
               % (name, what, kind), 'heapinspect: %r\ntruth: %r' % (got, want))
        want = t['example']['path']
        got = one['rows'][0]['example'] if one['rows'] and one['rows'][0]['reached'] else ''
        tap.ok(len(one['rows']) == 1 and got == want,
               '%s: %s: path 0x%x: %r' % (name, what, t['example']['address'], want), 'heapinspect: %r' % one)


def check_python(tap, python):
    name = label(python)
    truth_path = tmpfile('.json')
    image = tmpfile('.himg')
    try:
        target = Target([python, WORKLOAD, truth_path])
    except Exception as e:
        tap.ok(False, '%s: start the refs workload' % name, e)
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        tap.ok(all(truth[k]['count'] for k in planted(truth)), '%s: every planted kind has objects' % name, truth)
        pid = str(target.pid)
        script = script_for(truth)

        rc, out, _ = run(tap, name, ['attach', pid, '-e', script], 'path and referrers, live', target)
        if rc == 0:
            check_answers(tap, name, 'live', out, truth)

        rc, out, _ = run(tap, name, ['attach', pid, '-e', 'heap -copy -format json', '-e', 'puts @@\n' + script],
                         'path and referrers after heap -copy', target)
        if rc == 0:
            check_answers(tap, name, '-copy', out.split('@@\n', 1)[1], truth)

        rc, out, _ = run(tap, name, ['attach', pid, '-e', 'dump %s' % image], 'dump', target)
        if rc == 0:
            rc, out, _ = run(tap, name, ['image', image, '-e', script], 'path and referrers on the image')
            if rc == 0:
                check_answers(tap, name, 'image', out, truth)

        # The same fields and values as JSON and as a Tcl dict.
        kind = '__main__.Entry'
        script = (FLAT_TCL + 'puts [path %s -format json]\nputs @@\nflat "" [path %s -format tcl] {rows rows}\n'
                  'puts @@\nputs [referrers %s -format json]\nputs @@\nflat "" [referrers %s -format tcl] {rows rows}\n'
                  % (kind, kind, kind, kind))
        rc, out, _ = run(tap, name, ['attach', pid, '-e', script], 'path and referrers as json and tcl', target)
        if rc == 0:
            p = out.split('@@\n')
            for what, j, t in (('path', p[0], p[1]), ('referrers', p[2], p[3])):
                j, t = json_flat(json.loads(j)), tcl_flat(t)
                tap.ok(j == t and 'rows.0.count' in j, '%s: %s: -format json and tcl carry the same %d fields'
                       % (name, what, len(j)), 'json %r\ntcl %r' % (j, t))

        # Each kind's retained size (a kind of one object: that object's),
        # objects, and the drawing.
        rc, out, _ = run(tap, name, ['attach', pid, '-e', 'heap -retained -format json', '-e',
                                     'puts @@\nobjects __main__.Entry -n 3 -format json', '-e',
                                     'puts @@\ngraph __main__.Entry -n 2 -depth 3'],
                         'heap -retained, objects and graph', target)
        if rc == 0:
            heap, objs, dot = out.split('@@\n')
            rows = {r['kind']: r for r in json.loads(heap)['rows']}
            for kind, holder in (('__main__.Registry', 'REGISTRY'), ('__main__.Slotted', 'SLOTTED[0]')):
                want = truth['retained'][holder]['retained']
                tap.ok(rows.get(kind, {}).get('retained') == want,
                       '%s: heap -retained: %s keeps alive %d bytes' % (name, kind, want), rows.get(kind))
            rows = json.loads(objs)['rows']
            tap.ok(len(rows) == 3 and all(r['preview'].startswith(".name='entry-") and r['retained'] >= r['size']
                                          for r in rows),
                   '%s: objects lists 3 Entry with their names and retained sizes' % name, rows)
            tap.ok(dot.startswith('digraph heapinspect {') and "['group']" in dot and dot.count('fillcolor="#ffd0d0"') == 2,
                   '%s: graph draws 2 Entry in red and the dict key that holds their list' % name, dot)

        # The table a user reads.
        rc, out, _ = run(tap, name, ['attach', pid, '-e', 'path __main__.Entry'], 'path (table)', target)
        tap.ok('Shortest paths from named roots to 300 objects of kind __main__.Entry' in out and
               '__main__.REGISTRY.by_id[*][*]' in out, '%s: the path table names the holder' % name, out)
        rc, out, _ = run(tap, name, ['attach', pid, '-e', 'path __main__.Garbage'], 'path of garbage (table)',
                         target)
        tap.ok(UNREACHED in out, '%s: garbage is said to be unreached' % name, out)

        for bad, want in (('path NoSuchKind', "no object of kind 'NoSuchKind'"),
                          ('path 0x10', 'no object at 0x10'),
                          ('referents __main__.Entry', 'is not an address')):
            rc, out, err = heapinspect(['attach', pid, '-e', bad])
            tap.ok(rc == 1 and want in err and 'pid %s' % pid in err,
                   '%s: %s is refused in one line' % (name, bad), 'status %d: %s' % (rc, err))
    finally:
        target.close()
        for p in (truth_path, image):
            if os.path.exists(p):
                os.unlink(p)


def check_leak_hunt(tap, python):
    """The README's leak hunt on examples/leaky_service.py: setrel, diff,
    then path names both of the example's holders (its SESSIONS dict and
    its AUDIT list, as its source defines them)."""
    name = label(python)
    example = os.path.join(SRCDIR, '..', 'examples', 'leaky_service.py')
    try:
        target = Target([python, example, '120'])
    except Exception as e:
        tap.ok(False, '%s: start examples/leaky_service.py' % name, e)
        return
    try:
        script = ('setrel\nafter 2000\nputs [diff -format json]\nputs @@\n'
                  'puts [path __main__.Session -format json]\nputs @@\nputs [path str -format json]\n')
        rc, out, _ = run(tap, name, ['attach', str(target.pid), '-e', script], 'the leak hunt', target)
        if rc != 0:
            return
        # setrel's own result line comes first: each answer from its '{'.
        diff, sessions, strs = (json.loads(p[p.index('{'):]) for p in out.split('@@\n'))
        grown = {r['kind']: r['dcount'] for r in diff['rows']}
        tap.ok(grown.get('__main__.Session', 0) > 0, '%s: diff: __main__.Session grows (+%d)'
               % (name, grown.get('__main__.Session', 0)), grown)
        rows = sessions['rows']
        tap.ok(sessions['relative'] and rows and rows[0]['path'] == '__main__.SESSIONS[*]' and
               rows[0]['count'] == sessions['objects'],
               '%s: path __main__.Session: every new Session in __main__.SESSIONS' % name, sessions)
        paths = {r['path'] for r in strs['rows']}
        tap.ok({'__main__.AUDIT[*]', '__main__.SESSIONS[*].user', '__main__.SESSIONS[*].token'} <= paths,
               '%s: path str: the new strs in __main__.AUDIT and the sessions\' user and token' % name, paths)
    finally:
        target.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('refs', 'no CPython 3.8+ found')
    for python in pythons:
        check_python(tap, python)
    if pythons:
        check_leak_hunt(tap, pythons[-1])
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
