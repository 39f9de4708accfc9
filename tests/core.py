"""ELF core files: `heapinspect core FILE [EXE]` on cores written by gdb's
gcore and by the kernel, on every CPython 3.8+ found.

The target (workloads/census_target.py, a varied heap with a second
thread) is stopped with SIGSTOP.  At that one stop heapinspect takes the
live census (by kind and by type) and the threads' stacks, and gcore writes
a core.  Where /proc/sys/kernel/core_pattern can be set, the kernel then
writes a second core of the same stop (SIGABRT, then SIGCONT: the signal
is taken before any Python code runs) after a second live census.  The
process is gone when the cores are read, so each must stand alone: its
census equals the live one row for row, by kind and by type, its stacks
are the live stacks, and `info` says what wrote it.  Then the ways a core
can be wrong: truncated, corrupted, not a core, of another build, with a
file missing, or missing memory (coredump_filter); each gives one line and
an exit status, never a crash.
"""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import SRCDIR, Tap, Target, find_pythons, heapinspect, label, proc_state  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'census_target.py')
NUMPY_WORKLOAD = os.path.join(SRCDIR, 'workloads', 'numpy_target.py')
INTERP_WORKLOAD = os.path.join(SRCDIR, 'workloads', 'interp_target.py')
PATTERN = '/proc/sys/kernel/core_pattern'
SEP = 'puts "#--"'


def census(args):
    """Run heapinspect with ARGS plus a census by kind, by type and the
    stacks; (status, [by kind, by type, stacks], stderr)."""
    rc, out, err = heapinspect(args + ['-e', 'heap -all -format json', '-e', SEP,
                                       '-e', 'heap -all -by type -format json', '-e', SEP,
                                       '-e', 'stacks -format json'])
    parts = out.split('#--\n')
    if rc != 0 or len(parts) != 3:
        return rc or 1, None, err + out[-2000:]
    try:
        kind, typ, st = (json.loads(p) for p in parts)
    except ValueError as e:
        return 1, None, '%s\n%s' % (e, out[-2000:])
    rows = lambda d: (d['objects'], d['size'], d.get('skipped', 0),
                      sorted((r['kind'], r['count'], r['size']) for r in d['rows']))
    stacks = sorted((t['thread_id'], t['native_id'], t['name'], t['gil'],
                     tuple((f['file'], f['line'], f['function']) for f in t['frames'])) for t in st['threads'])
    return 0, [rows(kind), rows(typ), stacks], err


def wait_state(pid, want, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc_state(pid) == want:
            return True
        time.sleep(0.01)
    return False


def settable_pattern():
    """The current core_pattern, if this machine lets it be set."""
    try:
        with open(PATTERN) as f:
            old = f.read().rstrip('\n')
        with open(PATTERN, 'w') as f:
            f.write(old)
        return old
    except OSError:
        return None


def same(t, name, what, live, got, gil=True):
    """GIL: compare who holds the GIL too.  Not for the kernel's core: on
    SIGCONT a thread whose wait was interrupted may take the GIL in C
    (CPython retries an interrupted call after checking for signals)
    before the SIGABRT is taken; no Python code runs."""
    if not gil:
        live = live[:2] + [[s[:3] + s[4:] for s in live[2]]]
        got = got[:2] + [[s[:3] + s[4:] for s in got[2]]]
    t.ok(got[0] == live[0], '%s: %s: census by kind equals the live one (%d objects, %d bytes, %d rows)' %
         (name, what, live[0][0], live[0][1], len(live[0][3])), 'live %s\ncore %s' % (live[0][:3], got[0][:3]))
    t.ok(got[1] == live[1], '%s: %s: ... and by type (%d rows)' % (name, what, len(live[1][3])))
    t.ok(got[2] == live[2] and len(live[2]) >= 2,
         '%s: %s: the stacks of its %d threads equal the live ones%s' %
         (name, what, len(live[2]), '' if gil else ' (who holds the GIL aside)'),
         'live %s\ncore %s' % (live[2], got[2]))


def one_line(t, what, args, status, mention=None):
    rc, out, err = heapinspect(args + ['-e', 'heap'])
    lines = [l for l in err.splitlines() if l.strip()]
    ok = rc == status and len(lines) == 1 and lines[0].startswith('heapinspect: ')
    if mention:
        ok = ok and mention in lines[0]
    t.ok(ok, '%s: exit %d with one line%s' % (what, status, ' naming "%s"' % mention if mention else ''),
         'status %d, stderr:\n%s' % (rc, err))
    return rc


def cores_of(t, python, tmp, pattern):
    """Write the cores of one stopped target; check them against the live
    process.  Returns the gcore core's path (or None)."""
    name = label(python)
    gprefix = os.path.join(tmp, name + '.gcore')
    truth = os.path.join(tmp, name + '.truth')
    target = Target([python, WORKLOAD, truth])
    gcore = kcore = None
    try:
        pid = target.pid
        os.kill(pid, signal.SIGSTOP)
        if not t.ok(wait_state(pid, 'T'), '%s: target stopped' % name):
            return None
        rc, live, err = census(['attach', str(pid)])
        if not t.ok(rc == 0, '%s: live census and stacks' % name, err):
            return None
        p = subprocess.run(['gcore', '-o', gprefix, str(pid)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=120)
        gcore = '%s.%d' % (gprefix, pid)
        if not t.ok(p.returncode == 0 and os.path.exists(gcore), '%s: gcore wrote %s' % (name, gcore), p.stdout):
            gcore = None
        # gdb leaves a process it found stopped stopped; make sure.
        os.kill(pid, signal.SIGSTOP)
        wait_state(pid, 'T')
        live2 = None
        if pattern is not None:
            rc, live2, err = census(['attach', str(pid)])
            t.ok(rc == 0, '%s: live census again, before the kernel writes its core' % name, err)
            resource.prlimit(pid, resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            with open(PATTERN, 'w') as f:
                f.write(os.path.join(tmp, name + '.kcore.%p'))
            try:
                os.kill(pid, signal.SIGABRT)
                os.kill(pid, signal.SIGCONT)
                target.proc.wait(timeout=60)
            finally:
                with open(PATTERN, 'w') as f:
                    f.write(pattern)
            kcore = os.path.join(tmp, '%s.kcore.%d' % (name, pid))
            t.ok(target.proc.returncode == -signal.SIGABRT and os.path.exists(kcore),
                 '%s: the kernel wrote %s (status %s)' % (name, kcore, target.proc.returncode))
    finally:
        if target.proc.poll() is None:
            os.kill(target.pid, signal.SIGKILL)
        target.close()
    if gcore:
        rc, got, err = census(['core', gcore])
        if t.ok(rc == 0, '%s: census of the gcore core, the process gone' % name, err):
            same(t, name, 'gcore', live, got)
        rc, out, err = heapinspect(['core', gcore, '-e', 'info -format json'])
        info = json.loads(out) if rc == 0 else {}
        core = info.get('core', {})
        t.ok(info.get('source') == 'core' and core.get('writer') == 'gdb' and core.get('signal') == 0 and
             core.get('from_core', 0) > 0 and core.get('from_files', 0) > 0 and core.get('missing') == 0 and
             info.get('threads') == 2 and info.get('pid') == pid,
             '%s: info says gdb wrote it, its 2 threads, its pid, and the text it read from mapped files' % name,
             err + out)
    if kcore and os.path.exists(kcore):
        rc, got, err = census(['core', kcore])
        if t.ok(rc == 0 and live2, '%s: census of the kernel\'s core' % name, err):
            same(t, name, 'kernel core', live2, got, gil=False)
        rc, out, err = heapinspect(['core', kcore, '-e', 'info -format json'])
        info = json.loads(out) if rc == 0 else {}
        core = info.get('core', {})
        t.ok(core.get('writer') == 'kernel' and core.get('signal') == signal.SIGABRT and
             core.get('missing') == 0 and info.get('threads') == 2,
             '%s: info says the kernel wrote it and SIGABRT ended the process' % name, err + out)
    return gcore


def live_only(t, core):
    """Commands that need the live process say so in one line."""
    for cmd, words in (('memory', 'a core file has no /proc'), ('shm', 'a core file has no /proc'),
                       ('watch -out /dev/null -count 1', 'is a core file'), ('dump /dev/null', 'is a core file')):
        rc, out, err = heapinspect(['core', core, '-e', cmd])
        lines = [l for l in err.splitlines() if l.strip()]
        t.ok(rc == 1 and len(lines) == 1 and words in lines[0],
             'on a core, %s says in one line that it needs the live process' % cmd.split()[0], err)


def damaged(t, good, tmp, python):
    """Truncated and corrupted cores, and cores that cannot be read here."""
    data = open(good, 'rb').read()
    base = os.path.join(tmp, 'bad')

    def variant(tag, content):
        path = '%s-%s.core' % (base, tag)
        with open(path, 'wb') as f:
            f.write(content)
        return path

    one_line(t, 'a core cut to 100 bytes', ['core', variant('100', data[:100])], 1, 'truncated')
    # gcore writes its notes last: a core cut in half has lost them.
    one_line(t, 'a gcore core cut in half', ['core', variant('half', data[:len(data) // 2])], 1, 'truncated')
    # The ELF header of a core, claiming program headers past its end.
    hdr = bytearray(data[:64])
    hdr[56:58] = (60000).to_bytes(2, 'little')
    one_line(t, 'program headers past the end', ['core', variant('phnum', bytes(hdr) + data[64:4096])], 1,
             'truncated or corrupt')
    one_line(t, 'not an ELF core (the interpreter itself)', ['core', python], 1, 'not a core')
    one_line(t, 'not a file of either kind', ['core', variant('text', b'hello world\n' * 100)], 1,
             'not a heapinspect image or core file')
    one_line(t, 'no such file', ['core', os.path.join(tmp, 'nothing-here')], 1, 'cannot open')
    # Random damage: every outcome is fine but a crash or a hang; an error
    # is one line.
    rng = random.Random(17)
    crashes = []
    for i in range(40):
        b = bytearray(data)
        for _ in range(rng.choice((1, 8, 64))):
            # Mostly in the headers and notes, where the parser reads.
            at = rng.randrange(0, min(len(b), 8192)) if rng.random() < 0.5 else rng.randrange(len(b))
            b[at] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[:rng.randrange(len(b))]
        p = variant('rnd%d' % i, bytes(b))
        try:
            rc, out, err = heapinspect(['core', p, '-e', 'heap', '-e', 'stacks'], timeout=120)
        except subprocess.TimeoutExpired:
            crashes.append((i, 'hang'))
            continue
        lines = [l for l in err.splitlines() if l.strip() and not l.startswith('Partial')]
        if rc < 0 or rc > 8 or (rc != 0 and len(lines) != 1):
            crashes.append((i, rc, err[-500:]))
        os.unlink(p)
    t.ok(not crashes, '40 randomly damaged cores: each read, or refused in one line; no crash, no hang', crashes)


def another_build(t, tmp, debian_core):
    """Debian's python3.11 is a static executable: the executable is its
    Python.  Given in place of the one the core names: the same build
    copied elsewhere (as a container's files seen from the host) reads;
    another build is refused."""
    copy = os.path.join(tmp, 'python3.11-copy')
    shutil.copy('/usr/bin/python3.11', copy)
    rc, out, err = heapinspect(['core', debian_core, copy, '-e', 'heap -format json', '-e', 'info -format json'])
    t.ok(rc == 0 and copy in out, 'the same build given as EXECUTABLE from elsewhere reads the core', err)
    other = [p for p in find_pythons() if p != '/usr/bin/python3.11' and '3.11' in os.path.basename(p)]
    if other:
        one_line(t, 'another build of 3.11 given as EXECUTABLE', ['core', debian_core, other[0]], 6,
                 'not the build the core was written by')
    one_line(t, 'an EXECUTABLE that is not there', ['core', debian_core, os.path.join(tmp, 'gone')], 6,
             'cannot be opened here')


def filtered(t, python, tmp, pattern):
    """A kernel core without anonymous memory (coredump_filter 0): the
    heap is not in it; heapinspect says so in one line, never a crash."""
    if pattern is None:
        return
    target = Target([python, WORKLOAD, os.path.join(tmp, 'filtered.truth')])
    pid = target.pid
    try:
        with open('/proc/%d/coredump_filter' % pid, 'w') as f:
            f.write('0')
        resource.prlimit(pid, resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        with open(PATTERN, 'w') as f:
            f.write(os.path.join(tmp, 'filtered.%p'))
        try:
            os.kill(pid, signal.SIGABRT)
            target.proc.wait(timeout=60)
        finally:
            with open(PATTERN, 'w') as f:
                f.write(pattern)
    finally:
        target.close()
    core = os.path.join(tmp, 'filtered.%d' % pid)
    if t.ok(os.path.exists(core), 'the kernel wrote a core with coredump_filter 0'):
        rc, out, err = heapinspect(['core', core, '-e', 'info -format json'])
        lines = [l for l in err.splitlines() if l.strip()]
        t.ok(rc in (1, 5, 6) and len(lines) == 1,
             'a core without the anonymous memory: one line, exit %d' % rc, err + out[-500:])


def interps_core(t, python, tmp):
    """A core of a process with a subinterpreter (3.12+): heap -interp of
    each interpreter as on the live process (tests/interps.py checks the
    live one against each interpreter's own truth)."""
    name = label(python)
    paths = [os.path.join(tmp, 'interp-main.json'), os.path.join(tmp, 'interp-sub.json')]
    target = Target([python, INTERP_WORKLOAD] + paths)
    core = None
    try:
        ids = [json.load(open(p))['id'] for p in paths]
        os.kill(target.pid, signal.SIGSTOP)
        wait_state(target.pid, 'T')
        script = [w for i in ids for w in ('-e', 'puts "#--"', '-e', 'heap -interp %d -by type -format json' % i)]
        rc, live, err = heapinspect(['attach', str(target.pid)] + script)
        t.ok(rc == 0, '%s: heap -interp of each interpreter, live' % name, err)
        prefix = os.path.join(tmp, name + '.interp')
        subprocess.run(['gcore', '-o', prefix, str(target.pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        core = '%s.%d' % (prefix, target.pid)
    finally:
        os.kill(target.pid, signal.SIGKILL)
        target.close()
    rc, got, err = heapinspect(['core', core] + script)
    parts = lambda out: [json.loads(p) for p in out.split('#--\n') if p.strip()]
    ok = rc == 0 and parts(got) == parts(live) and len(parts(live)) == 2
    t.ok(ok, '%s: a core\'s census of each of its 2 interpreters (ids %s) equals the live one' % (name, ids),
         err + got[:500])


def numpy_core(t, tmp):
    """numpy on a core: its arrays, bases and views as the live process's,
    on the Python that has numpy (numpy's own DWARF is not needed)."""
    python = '/usr/bin/python3.11'
    if not os.path.exists(python) or subprocess.run([python, '-c', 'import numpy'],
                                                     stderr=subprocess.DEVNULL).returncode != 0:
        t.skip('numpy on a core', 'no Python here imports numpy')
        return
    target = Target([python, NUMPY_WORKLOAD, os.path.join(tmp, 'numpy.truth')])
    core = None
    try:
        for cmd in ('import', 'plant'):
            target.proc.stdin.write(cmd + '\n')
            target.proc.stdin.flush()
            while not target.proc.stdout.readline().startswith('done'):
                pass
        os.kill(target.pid, signal.SIGSTOP)
        wait_state(target.pid, 'T')
        rc, live, err = heapinspect(['attach', str(target.pid), '-e', 'numpy -n 1000 -format json'])
        t.ok(rc == 0, 'numpy: the live arrays', err)
        prefix = os.path.join(tmp, 'numpy.gcore')
        subprocess.run(['gcore', '-o', prefix, str(target.pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        core = '%s.%d' % (prefix, target.pid)
    finally:
        os.kill(target.pid, signal.SIGKILL)
        target.close()
    rc, got, err = heapinspect(['core', core, '-e', 'numpy -n 1000 -format json'])
    live = json.loads(live) if live.startswith('{') else {}
    got = json.loads(got) if rc == 0 else {}
    # Why numpy's DWARF was not used, after whose ("pid N: ", or the
    # core's Python): the same reason.
    why = [d.pop('no_dwarf', '').split(': ', 1)[-1] for d in (live, got)]
    t.ok(rc == 0 and live.get('arrays', 0) > 20 and got == live and why[0] == why[1],
         'numpy: the %d arrays, bases and views of gcore\'s core equal the live ones' % live.get('arrays', 0),
         '%s\n%s\n%s' % (err, why, str(got)[:1000]))


def main():
    t = Tap()
    # A stopped target in a process group left without its parent's
    # session (a test run from a shell that has gone) gets SIGHUP from the
    # kernel when any process of its group exits, gcore's gdb included:
    # the targets inherit this.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    tmp = tempfile.mkdtemp(prefix='heapinspect-core-')
    pattern = settable_pattern()
    if pattern is None:
        print('# %s cannot be set here: the kernel\'s cores are not tested' % PATTERN)
    if not shutil.which('gcore'):
        print('1..0 # SKIP gdb\'s gcore is not installed')
        return 0
    cores = {}
    try:
        for python in find_pythons():
            c = cores_of(t, python, tmp, pattern)
            if c:
                cores[python] = c
        if cores:
            python, good = next(iter(cores.items()))
            live_only(t, good)
            damaged(t, good, tmp, python)
            filtered(t, python, tmp, pattern)
        if '/usr/bin/python3.11' in cores:
            another_build(t, tmp, cores['/usr/bin/python3.11'])
        numpy_core(t, tmp)
        for python in cores:
            minor = subprocess.run([python, '-c', 'import sys; print(sys.version_info[1])'],
                                   stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
            if minor.isdigit() and int(minor) >= 12:
                interps_core(t, python, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == '__main__':
    sys.exit(main())
