"""stacks: every thread's Python stack equals the target's own view.

tests/workloads/stacks_target.py parks threads at known places (1000
calls deep; inside a generator; in a coroutine mid-await; in a C call; a
tight loop holding the GIL as it can) and writes, from
sys._current_frames() and traceback.extract_stack(), each thread's
frames innermost first.  On every CPython, `stacks -format json` must
name the same threads with the same names and give the same frames,
file, line and function, one for one (for the spinning thread, its
innermost line anywhere in its loop); the spinning thread, and only it,
holds the GIL; with -locals, each innermost frame binds the names its own
f_locals has, with top's previews; -n bounds the frames and says the stack
was cut; the table prints them as a traceback does.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, find_pythons, heapinspect, label, tmpfile, SRCDIR  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'stacks_target.py')


def check(tap, python):
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, WORKLOAD, truth_path])
    except RuntimeError as e:
        tap.ok(False, '%s: start the workload with parked threads' % name, str(e))
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        spin = truth.pop('spin')
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'stacks -format json'])
        if not tap.ok(rc == 0, '%s: stacks -format json exits 0' % name, err):
            return
        got = {str(t['thread_id']): t for t in json.loads(out)['threads']}
        tap.ok(set(got) == set(truth) and all(got[k]['name'] == truth[k]['name'] for k in truth),
               '%s: the %d threads, by ident, with threading\'s names' % (name, len(truth)),
               'truth %s\ngot %s' % (sorted((k, v['name']) for k, v in truth.items()),
                                     sorted((k, v['name']) for k, v in got.items())))
        for tid, want in sorted(truth.items(), key=lambda kv: kv[1]['name']):
            frames = [[f['file'], f['line'], f['function']] for f in got.get(tid, {}).get('frames', [])]
            expect = want['frames']
            if tid == spin['thread'] and frames and expect:
                # Stopped anywhere in its loop.
                first, last = spin['lines']
                ok = (frames[1:] == expect[1:] and frames[0][0] == expect[0][0] and frames[0][2] == 'spin'
                      and first <= frames[0][1] <= last)
            else:
                ok = frames == expect
            diff = [(i, e, g) for i, (e, g) in enumerate(zip(expect, frames)) if e != g][:3]
            tap.ok(ok, '%s: thread "%s": %d frames, file, line and function as its own traceback'
                   % (name, want['name'], len(expect)),
                   'lengths %d/%d, first differences (index, truth, stacks): %s' % (len(expect), len(frames), diff))
        # Every other thread waits in C with the GIL released: the spinner,
        # which no one asks to drop it, holds it throughout.
        holders = sorted(t['name'] for t in got.values() if t.get('gil') == 1)
        tap.ok(holders == ['spinner'] and all(t.get('gil') in (0, 1) for t in got.values()),
               '%s: the spinning thread holds the GIL, no other' % name, 'holders: %s' % holders)
        # -locals: each thread's innermost frame binds the names its own
        # f_locals has; the c-call thread's previews give their lengths.
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'stacks -locals -format json'])
        withl = {str(t['thread_id']): t for t in json.loads(out)['threads']} if rc == 0 else {}
        bad = []
        for tid, want in truth.items():
            if 'locals' not in want:
                continue  # the main thread, which wrote the truth
            frames = withl.get(tid, {}).get('frames', [])
            names = sorted(v['name'] for v in frames[0]['locals']) if frames else None
            if names != sorted(want['locals']):
                bad.append('%s: %s, not %s' % (want['name'], names, sorted(want['locals'])))
        tap.ok(rc == 0 and not bad, '%s: stacks -locals: every innermost frame binds the names its f_locals has'
               % name, err or '\n'.join(bad))
        ccall = [t for t in withl.values() if t['name'] == 'c-call']
        pv = {v['name']: (v['type'], v['preview']) for v in ccall[0]['frames'][0]['locals']} if ccall else {}
        tap.ok(pv.get('label') == ('str', "len 12 'c-call-label'") and pv.get('numbers') == ('list', '3 items')
               and pv.get('table') == ('dict', '1 item'),
               '%s: stacks -locals: types and previews of a str, a list and a dict' % name, str(pv))
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'stacks -n 10 -format json'])
        deep = [t for t in json.loads(out)['threads'] if t['name'] == 'deep'] if rc == 0 else []
        tap.ok(deep and len(deep[0]['frames']) == 10 and deep[0]['truncated'],
               '%s: stacks -n 10: 10 frames of the deep thread, said to be cut' % name, err or out[:300])
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'stacks'])
        line = [f for f in truth[[k for k in truth if truth[k]['name'] == 'c-call'][0]]['frames']
                if f[2] == 'in_c_call'][0]
        want = '  File "%s", line %d, in in_c_call' % (line[0], line[1])
        tap.ok(rc == 0 and want in out.splitlines() and 'Thread ' in out and '"MainThread"' in out,
               '%s: the table prints frames as a traceback does' % name, out[-600:] + err)
        run, state = target.running()
        tap.ok(run, '%s: the target runs on (state %s)' % (name, state))
    finally:
        target.close()
        os.unlink(truth_path)


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('stacks', 'no CPython 3.8+ found')
        return tap.done()
    for python in pythons:
        check(tap, python)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
