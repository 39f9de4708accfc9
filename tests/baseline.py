"""Relative baselines: setrel, heap (relative and -abs), diff, clearrel,
heap -save and diff -from, against a target that changes its heap on
command, on every CPython 3.8+ found (each takes about a second), and
once more on one of them with 5 million more objects in the heap.

The baseline lives inside one heapinspect process, so one heapinspect
process (data/baseline.tcl, a batch file) drives the whole sequence: it
sends workloads/churn_target.py its commands through a fifo, reads the
target's "done" from a second fifo, and prints what each command printed,
framed by "@@ STEP", "@@ STATE" (the target's state right after the step)
and "@@ REPLY" lines, which this file parses and judges.  Then, across a
detach, a second heapinspect process compares with the census the first
one saved.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import SRCDIR, FifoTarget, Tap, find_pythons, heapinspect, label  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'churn_target.py')
SCRIPT = os.path.join(SRCDIR, 'data', 'baseline.tcl')
STEPS = ['setrel', 'empty', 'grow', 'grow-abs', 'grow-csv', 'grow-tcl', 'grow-diff', 'grow-diff-csv',
         'grow-diff-tcl', 'grow-diff-path', 'grow-diff-path-str', 'free-diff', 'reuse', 'floats', 'reattach', 'clearrel', 'clearrel-abs', 'nobase', 'save',
         'detach']


# The sequence once more, for one CPython, over a heap of about this many
# objects that never change: a baseline of millions of objects must tell
# the new ones apart as exactly as a small one.
BULK = int(os.environ.get('HEAPINSPECT_BASELINE_BULK', '5000000'))


def ChurnTarget(python, tmp, bulk=0):
    """churn_target.py on fifos (see FifoTarget)."""
    return FifoTarget([python, WORKLOAD] + (['--bulk', str(bulk)] if bulk else []), tmp)


def parse_steps(out):
    """{step: {'lines': [...], 'state': letter}} and {step: reply}."""
    steps, replies, cur = {}, {}, None
    for line in out.splitlines():
        m = re.match(r'@@ (STEP|STATE|REPLY) (\S+) ?(.*)$', line)
        if m and m.group(1) == 'STEP':
            cur = steps.setdefault(m.group(2), {'lines': [], 'state': None})
        elif m and m.group(1) == 'STATE':
            steps.setdefault(m.group(2), {'lines': [], 'state': None})['state'] = m.group(3)
            cur = None
        elif m:
            replies[m.group(2)] = m.group(3)
        elif cur is not None:
            cur['lines'].append(line)
    return steps, replies


def heap_json(steps, name):
    """The JSON object a 'heap -format json' step printed, and its rows as
    {kind: (count, size)}; None, {} when it printed none."""
    for line in steps.get(name, {}).get('lines', []):
        if line.startswith('{'):
            data = json.loads(line)
            rows = {}
            for r in data['rows']:
                rows[r['kind']] = tuple(r[k] for k in ('count_a', 'count_b', 'dcount')) if 'dcount' in r \
                    else (r['count'], r['size'])
            return data, rows
    return None, {}


def json_rows(data, keys):
    return [tuple(r[k] for k in keys) for r in data['rows']] if data else None


def count(rows, kind):
    return rows.get(kind, (0, 0))[0]


def reused(replies, name):
    m = re.match(r'done reused=(\d+)$', replies.get(name, ''))
    return int(m.group(1)) if m else -1


def check(tap, python, bulk=0):
    name = label(python) + (' (%dM more objects)' % (bulk // 1000000) if bulk else '')
    tmp = tempfile.mkdtemp(prefix='heapinspect-test-')
    save = os.path.join(tmp, 'census.tcl')
    try:
        try:
            target = ChurnTarget(python, tmp, bulk)
        except Exception as e:
            tap.ok(False, '%s: start the churn workload' % name, e)
            return
        try:
            check_target(tap, name, target, save)
        finally:
            target.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_target(tap, name, target, save):
    pid = target.pid
    try:
        rc, out, err = heapinspect(['attach', str(pid), '-f', SCRIPT, str(pid), target.cmd, target.out, save],
                                   timeout=120)
    except subprocess.TimeoutExpired as e:
        tap.ok(False, '%s: the baseline script finishes' % name, 'timed out: %s' % e)
        return
    steps, replies = parse_steps(out)
    tap.ok(rc == 0 and not err and all(s in steps for s in STEPS),
           '%s: one heapinspect process runs the whole sequence, exit 0, nothing on stderr' % name,
           'exit %d, steps %s\n%s' % (rc, ' '.join(steps), err))
    not_running = ['%s (%s)' % (s, steps[s]['state']) for s in STEPS
                   if s in steps and steps[s]['state'] in (None, 't', 'T', '')]
    tap.ok(not not_running and all(s in steps for s in STEPS),
           '%s: target running after each of %d steps' % (name, len(STEPS)),
           'stopped or unknown after: %s' % ', '.join(not_running))
    run, st = target.running()
    tap.ok(run, '%s: target running after heapinspect exited (state %s)' % (name, st))

    # setrel reports what it remembered
    line = ' '.join(steps.get('setrel', {}).get('lines', []))
    m = re.match(r'baseline of pid %d at \d\d:\d\d:\d\d: (\d+) objects, (\d+) bytes$' % pid, line)
    tap.ok(m and int(m.group(1)) > 1000, '%s: setrel reports the baseline\'s pid, time, objects and bytes' % name, line)
    base_objects = int(m.group(1)) if m else -1

    empty, empty_rows = heap_json(steps, 'empty')
    tap.ok(empty is not None and empty['objects'] <= 3,
           '%s: heap right after setrel: nothing new (%s objects)' % (name, empty and empty['objects']),
           empty_rows)

    # grow: exactly 1000 Grown and 2000 strs, relative
    rel, rel_rows = heap_json(steps, 'grow')
    ab, abs_rows = heap_json(steps, 'grow-abs')
    tap.ok(replies.get('grow') == 'done', '%s: the target grew' % name, replies.get('grow'))
    tap.ok(count(rel_rows, '__main__.Grown') == 1000,
           '%s: relative heap after grow: exactly 1000 __main__.Grown' % name, rel_rows)
    nstr = count(rel_rows, 'str')
    tap.ok(2000 <= nstr <= 2050, '%s: relative heap after grow: 2000 new str, give or take the command line (%d)'
           % (name, nstr), rel_rows)
    old = [k for k in ('__main__.Alpha', '__main__.Doomed') if k in rel_rows]
    tap.ok(rel is not None and not old and rel['objects'] < 3100,
           '%s: relative heap after grow: no old population, %s objects in all' % (name, rel and rel['objects']),
           rel_rows)
    tap.ok(rel is not None and rel['objects'] == sum(c for c, s in rel_rows.values())
           and rel['size'] == sum(s for c, s in rel_rows.values()),
           '%s: relative heap: the rows add up to the totals' % name)

    # heap -abs: everything
    tap.ok(count(abs_rows, '__main__.Grown') == 1000 and count(abs_rows, '__main__.Alpha') == 1000
           and count(abs_rows, '__main__.Doomed') == 300 and count(abs_rows, 'str') > nstr + 1000,
           '%s: heap -abs after setrel shows the whole heap (1000 Grown, 1000 Alpha, 300 Doomed, all strs)' % name,
           abs_rows)
    bigger = [k for k, (c, s) in rel_rows.items() if count(abs_rows, k) < c]
    tap.ok(ab is not None and rel is not None and not bigger
           and abs(ab['objects'] - rel['objects'] - base_objects) <= 20,
           '%s: heap -abs = baseline (%d) + new (%s), within 20 objects; each relative row within the absolute one'
           % (name, base_objects, rel and rel['objects']),
           'abs %s; kinds larger in the relative heap: %s' % (ab and ab['objects'], bigger))

    # the same rows as csv and as a Tcl dict
    want = json_rows(rel, ('kind', 'count', 'size'))
    lines = steps.get('grow-csv', {}).get('lines', [])
    rows = list(csv.reader(io.StringIO('\n'.join(lines))))
    got = [(r[7], int(r[1]), int(r[3])) for r in rows[1:] if len(r) == 8]
    cums = [int(r[5]) for r in rows[1:] if len(r) == 8]
    tap.ok(rows and rows[0] == ['index', 'count', 'count_percent', 'size', 'size_percent', 'cumulative',
                                'cumulative_percent', 'kind']
           and got == want and len(rows) == len(want) + 1 and cums and cums[-1] == rel['size'],
           '%s: heap -format csv: a header and the same rows as json, cumulative sizes adding up' % name,
           'csv %s\njson %s' % (rows, want))
    lines = steps.get('grow-tcl', {}).get('lines', [])
    got = [tuple(l.split('\t')) for l in (x[len('TCLROW '):] for x in lines if x.startswith('TCLROW '))]
    got = [(r[0], int(r[1]), int(r[2])) for r in got if len(r) >= 3]
    tap.ok(got == want and ('TCL objects %d' % rel['objects']) in lines and ('TCL pid %d' % pid) in lines,
           '%s: heap -format tcl: a dict with the same rows and totals as json' % name,
           'tcl %s\njson %s' % (lines, want))

    # diff: +1000 Grown
    diff, diff_rows = heap_json(steps, 'grow-diff')
    tap.ok(diff_rows.get('__main__.Grown') == (0, 1000, 1000),
           '%s: diff after grow: __main__.Grown 0 -> 1000, dcount +1000' % name, diff_rows)
    dstr = diff_rows.get('str', (0, 0, 0))[2]
    tap.ok(1990 <= dstr <= 2050 and diff is not None and diff['a']['objects'] == base_objects
           and diff['b']['objects'] == ab['objects'],
           '%s: diff after grow: str +%d, A is the baseline, B the whole heap now' % (name, dstr),
           diff and (diff['a'], diff['b'], ab['objects']))
    want = json_rows(diff, ('kind', 'count_a', 'count_b', 'dcount', 'size_a', 'size_b', 'dsize'))
    lines = steps.get('grow-diff-csv', {}).get('lines', [])
    rows = list(csv.reader(io.StringIO('\n'.join(lines))))
    got = [(r[0],) + tuple(int(x) for x in r[1:]) for r in rows[1:] if len(r) == 7]
    tap.ok(rows and rows[0] == ['kind', 'count_a', 'count_b', 'dcount', 'size_a', 'size_b', 'dsize']
           and got == want and len(rows) == len(want) + 1,
           '%s: diff -format csv: the same rows as json' % name, 'csv %s\njson %s' % (rows, want))
    path = next((json.loads(x) for x in steps.get('grow-diff-path', {}).get('lines', []) if x.startswith('{')), None)
    tap.ok(path is not None and path['relative'] and path['objects'] == 1000 and len(path['rows']) == 1
           and path['rows'][0]['count'] == 1000 and path['rows'][0]['reached'],
           '%s: path after diff: the 1000 new Grown, from diff\'s graph, by one path (%s)'
           % (name, path and path['rows'] and path['rows'][0]['path']), path)
    path = next((json.loads(x) for x in steps.get('grow-diff-path-str', {}).get('lines', []) if x.startswith('{')),
                None)
    tap.ok(path is not None and path['relative'] and 1990 <= path['objects'] <= 2100,
           '%s: path str after diff: only the %s new strs, of %d' % (name, path and path['objects'],
                                                                   diff_rows.get('str', (0, 0))[1]), path)
    lines = steps.get('grow-diff-tcl', {}).get('lines', [])
    got = [x[len('TCLROW '):].split('\t') for x in lines if x.startswith('TCLROW ')]
    got = [(r[0],) + tuple(int(x) for x in r[1:]) for r in got if len(r) == 7]
    tap.ok(got == want and diff is not None and ('TCL objects_a %d' % diff['a']['objects']) in lines,
           '%s: diff -format tcl: a dict with the same rows and totals as json' % name,
           'tcl %s\njson %s' % (lines, want))

    # free: -300 Doomed
    diff, diff_rows = heap_json(steps, 'free-diff')
    tap.ok(replies.get('free') == 'done' and diff_rows.get('__main__.Doomed') == (300, 0, -300),
           '%s: diff after free: __main__.Doomed 300 -> 0, dcount -300' % name, diff_rows)
    tap.ok(diff_rows.get('__main__.Grown') == (0, 1000, 1000) and '__main__.Alpha' not in diff_rows,
           '%s: diff after free: Grown still +1000, Alpha unchanged' % name, diff_rows)

    # reuse: Betas at the Alphas' addresses are new
    n = reused(replies, 'reuse')
    tap.ok(n > 0, '%s: the target reused freed Alpha addresses for %d of 500 Betas' % (name, n),
           replies.get('reuse'))
    data, rows = heap_json(steps, 'reuse')
    tap.ok(count(rows, '__main__.Beta') == 500 and '__main__.Alpha' not in rows,
           '%s: relative heap after reuse 500: exactly 500 new __main__.Beta, no Alpha' % name, rows)
    tap.ok(count(rows, '__main__.Grown') == 1000 and '__main__.Doomed' not in rows,
           '%s: relative heap after reuse: still 1000 Grown, no Doomed' % name, rows)
    floats_before = count(rows, 'float')

    # floats: same type, same addresses, new contents
    n = reused(replies, 'floats')
    tap.ok(n > 0, '%s: the target reused freed float addresses for %d of 500 new floats' % (name, n),
           replies.get('floats'))
    data, rows = heap_json(steps, 'floats')
    nfloat = count(rows, 'float') - floats_before
    tap.ok(500 <= nfloat <= 510, '%s: relative heap after floats 500: %d new float objects' % (name, nfloat), rows)

    # the baseline survives detach and attach of the same pid
    again, again_rows = heap_json(steps, 'reattach')
    tap.ok(data is not None and again is not None
           and json_rows(again, ('kind', 'count', 'size')) == json_rows(data, ('kind', 'count', 'size')),
           '%s: after detach and attach of the same pid, heap is still relative, row for row' % name,
           'before %s\nafter %s' % (data, again))

    # clearrel: absolute again
    data, rows = heap_json(steps, 'clearrel')
    ab, abs_rows = heap_json(steps, 'clearrel-abs')
    tap.ok(data is not None and ab is not None and data['objects'] > base_objects
           and json_rows(data, ('kind', 'count', 'size')) == json_rows(ab, ('kind', 'count', 'size')),
           '%s: after clearrel heap is the whole heap, row for row heap -abs (%s objects)'
           % (name, data and data['objects']),
           'heap %s\nheap -abs %s' % (data and data['objects'], ab and ab['objects']))
    tap.ok(count(rows, '__main__.Alpha') == 500 and count(rows, '__main__.Beta') == 500
           and count(rows, '__main__.Grown') == 1000 and '__main__.Doomed' not in rows,
           '%s: after clearrel: 500 Alpha, 500 Beta, 1000 Grown, no Doomed' % name, rows)

    line = ' '.join(steps.get('nobase', {}).get('lines', []))
    tap.ok(line.startswith('caught 1: ') and 'setrel' in line and 'diff -from' in line,
           '%s: diff without a baseline is an error naming setrel and diff -from' % name, line)

    # heap -save, then diff -from in another heapinspect process
    saved, saved_rows = heap_json(steps, 'save')
    try:
        with open(save) as f:
            text = f.read()
    except OSError as e:
        text = str(e)
    tap.ok(saved is not None and 'heapinspect-census-1' in text and '__main__.Grown' in text
           and saved['objects'] == ab['objects'],
           '%s: heap -save FILE writes the census and prints the whole heap' % name, text[:500])
    reply = target.tell('grow')
    rc, out, err = heapinspect(['attach', str(pid), '-e', 'diff -from %s -format json' % save])
    run, st = target.running()
    tap.ok(rc == 0 and reply == 'done' and run,
           '%s: a second heapinspect process: diff -from FILE exits 0, target running (state %s)' % (name, st),
           err)
    try:
        diff = json.loads(out)
        rows = {r['kind']: (r['count_a'], r['count_b'], r['dcount']) for r in diff['rows']}
    except ValueError:
        diff, rows = None, {}
    tap.ok(rows.get('__main__.Grown') == (1000, 2000, 1000) and diff['a']['objects'] == saved['objects'],
           '%s: diff -from FILE after another grow: __main__.Grown 1000 -> 2000, A the saved census' % name,
           out + err)
    dstr = rows.get('str', (0, 0, 0))[2]
    tap.ok(1990 <= dstr <= 2050 and '__main__.Beta' not in rows and '__main__.Alpha' not in rows,
           '%s: diff -from FILE: str +%d, Alpha and Beta unchanged' % (name, dstr), out)


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('baseline', 'no CPython 3.8+ found')
    for python in pythons:
        check(tap, python)
    if pythons and BULK:
        check(tap, pythons[-1], BULK)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
