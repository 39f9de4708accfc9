"""Shared helpers for heapinspect's integration tests (TAP producers).

Environment (set by `make check`): HEAPINSPECT, the binary under test;
LAUNCH, the helper that lets any tracer attach; HI_SRCDIR, the tests dir.
HEAPINSPECT_PYTHONS may list interpreters (colon-separated) to test instead
of every CPython found on the machine.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HEAPINSPECT = os.environ.get('HEAPINSPECT', './heapinspect')
LAUNCH = os.environ.get('LAUNCH', './tests/launch')
SRCDIR = os.environ.get('HI_SRCDIR', os.path.dirname(os.path.abspath(__file__)))


def find_pythons():
    """Every CPython 3.8+ on the machine: pyenv builds and Debian's."""
    env = os.environ.get('HEAPINSPECT_PYTHONS')
    if env:
        return [p for p in env.split(':') if p]
    found = []
    for d in sorted(glob.glob('/root/.pyenv/versions/3.*')):
        m = re.match(r'3\.(\d+)', os.path.basename(d))
        exe = glob.glob(os.path.join(d, 'bin', 'python3.*[0-9]'))
        if m and int(m.group(1)) >= 8 and exe:
            found.append(sorted(exe, key=len)[0])
    if os.path.exists('/usr/bin/python3.11'):
        found.append('/usr/bin/python3.11')
    return found


def label(python):
    if python.startswith('/usr/bin/'):
        return 'debian-' + os.path.basename(python)
    m = re.search(r'versions/([^/]+)/', python)
    return 'pyenv-' + (m.group(1) if m else os.path.basename(python))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, desc))
        if not cond and diag:
            for line in str(diag).splitlines():
                print('# ' + line)
        sys.stdout.flush()
        return cond

    def skip(self, desc, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, desc, why))

    def done(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0


def proc_state(pid):
    """One-letter state of PID from /proc/PID/stat, '' if gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return ''


def proc_running(pid):
    """(running, state): running means not stopped ('t' traced or 'T')."""
    s = proc_state(pid)
    return s not in ('t', 'T', ''), s


def reap(proc, timeout=10):
    """Wait for PROC to end, killing it if it will not."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Target:
    """A workload started through LAUNCH; waits for its "ready" line."""

    def __init__(self, argv, timeout=120):
        self.proc = subprocess.Popen([LAUNCH] + argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     universal_newlines=True)
        self.pid = self.proc.pid
        deadline = time.time() + timeout
        line = ''
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line or line.strip() == 'ready':
                break
        if line.strip() != 'ready':
            # A target that died may not be reaped yet: give it a moment,
            # so its stderr (the reason) is not lost.
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            err = self.proc.stderr.read() if self.proc.poll() is not None else ''
            self.close()
            raise RuntimeError('target %s did not get ready: %s' % (argv, err))

    def state(self):
        return proc_state(self.pid)

    def running(self):
        return proc_running(self.pid)

    def close(self):
        try:
            self.proc.stdin.close()
        except Exception:
            pass
        reap(self.proc)


def heapinspect(args, timeout=300):
    """Run heapinspect; returns (exit status, stdout, stderr)."""
    p = subprocess.run([HEAPINSPECT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def within(a, b, rel):
    return abs(a - b) <= rel * max(abs(b), 1)


def tmpfile(suffix=''):
    fd, path = tempfile.mkstemp(prefix='heapinspect-test-', suffix=suffix)
    os.close(fd)
    return path
