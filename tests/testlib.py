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
    # pyenv's builds, wherever pyenv keeps them.
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    for d in sorted(glob.glob(os.path.join(root, 'versions', '3.*'))):
        m = re.match(r'3\.(\d+)', os.path.basename(d))
        exe = glob.glob(os.path.join(d, 'bin', 'python3.*[0-9]'))
        if m and int(m.group(1)) >= 8 and exe:
            found.append(sorted(exe, key=len)[0])
    if os.path.exists('/usr/bin/python3.11'):
        found.append('/usr/bin/python3.11')
    return found


def build_id(path):
    """The GNU build id of the ELF file PATH (readelf -n), or None."""
    out = subprocess.run(['readelf', '-n', path], stdout=subprocess.PIPE, universal_newlines=True).stdout
    for line in out.splitlines():
        if 'Build ID:' in line:
            return line.split('Build ID:')[1].strip()
    return None


def rows_of(out):
    """A census in JSON: the document, and kind -> (count, size)."""
    data = json.loads(out)
    return data, {r['kind']: (r['count'], r['size']) for r in data['rows']}


def label(python):
    if python.startswith('/usr/bin/'):
        return 'debian-' + os.path.basename(python)
    m = re.search(r'versions/([^/]+)/', python)
    return 'pyenv-' + (m.group(1) if m else os.path.basename(python))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None, todo=None):
        """TODO names the issue of a known defect: its failure is said,
        not counted, and its passing (XPASS) fails the suite until the
        TODO is taken away."""
        self.n += 1
        if not cond and not todo:
            self.failed += 1
        print('%s %d - %s%s' % ('ok' if cond else 'not ok', self.n, desc, ' # TODO ' + todo if todo else ''))
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


class FifoTarget:
    """A workload with its stdin and stdout on fifos in TMP, so that both a
    test and a heapinspect batch script can talk to it.  We hold a writer
    of the command fifo (the target sees EOF, and exits, only when we close
    it) and a reader of the answer fifo.  The workload's first line must
    start with "ready"; it is kept in self.ready."""

    def __init__(self, argv, tmp):
        self.cmd = os.path.join(tmp, 'cmd')
        self.out = os.path.join(tmp, 'out')
        os.mkfifo(self.cmd)
        os.mkfifo(self.out)
        self.cmd_w = os.open(self.cmd, os.O_RDWR)
        self.out_r = os.open(self.out, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(self.out_r, True)
        stdin = os.open(self.cmd, os.O_RDONLY)
        stdout = os.open(self.out, os.O_WRONLY)
        try:
            self.proc = subprocess.Popen([LAUNCH] + argv, stdin=stdin, stdout=stdout)
        finally:
            os.close(stdin)
            os.close(stdout)
        self.pid = self.proc.pid
        self.ready = self.readline()
        if not self.ready.startswith('ready') or not self.idle():
            self.close()
            raise RuntimeError('%s did not get ready (%r)' % (argv, self.ready))

    def readline(self):
        """One line from the target, read a byte at a time so that nothing
        meant for a later reader is consumed."""
        b = b''
        while not b.endswith(b'\n'):
            c = os.read(self.out_r, 1)
            if not c:
                break
            b += c
        return b.decode().strip()

    def tell(self, command):
        os.write(self.cmd_w, (command + '\n').encode())
        reply = self.readline()
        self.idle()
        return reply

    def idle(self):
        """Wait until the target is blocked reading its stdin (fd 0)."""
        for _ in range(1000):
            try:
                with open('/proc/%d/syscall' % self.pid) as f:
                    s = f.read().split()
            except OSError:
                return False
            if len(s) > 1 and s[0].isdigit() and s[1] == '0x0':
                return True
            time.sleep(0.01)
        return False

    def state(self):
        return proc_state(self.pid)

    def running(self):
        return proc_running(self.pid)

    def close(self):
        for fd in (self.cmd_w, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass
        reap(self.proc)


# -format json and -format tcl must carry the same fields and values.
# FLAT_TCL defines a Tcl proc that prints a result, one "path<TAB>value"
# line per leaf; SCHEMA (a Tcl dict) names the keys that hold a dict
# ("dict"), a list of dicts ("rows") or a list of numbers ("list").
# json_flat gives the same lines' dict for the JSON text of a command.
FLAT_TCL = r"""
proc flat {prefix v schema} {
    dict for {k x} $v {
        set how [expr {[dict exists $schema $k] ? [dict get $schema $k] : "leaf"}]
        switch -- $how {
            dict { flat "$prefix$k." $x $schema }
            rows { set i 0; foreach r $x { flat "$prefix$k.$i." $r $schema; incr i } }
            list { puts "$prefix$k\t[join $x ,]" }
            default { puts "$prefix$k\t$x" }
        }
    }
}
"""


def json_flat(value, prefix=''):
    """{path: text} of a parsed JSON result, as FLAT_TCL prints it."""
    out = {}
    for k, x in value.items():
        if isinstance(x, dict):
            out.update(json_flat(x, prefix + k + '.'))
        elif isinstance(x, list) and x and isinstance(x[0], dict):
            for i, r in enumerate(x):
                out.update(json_flat(r, '%s%s.%d.' % (prefix, k, i)))
        elif isinstance(x, list):
            out[prefix + k] = ','.join(str(e) for e in x)
        elif isinstance(x, bool):
            out[prefix + k] = '1' if x else '0'
        else:
            out[prefix + k] = str(x)
    return out


def tcl_flat(text):
    """{path: text} of FLAT_TCL's lines."""
    return dict(line.split('\t', 1) for line in text.splitlines() if '\t' in line)


def heapinspect(args, timeout=300, env=None):
    """Run heapinspect, with ENV added to the environment; returns (exit
    status, stdout, stderr)."""
    p = subprocess.run([HEAPINSPECT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout, env=dict(os.environ, **env) if env else None)
    return p.returncode, p.stdout, p.stderr


def within(a, b, rel):
    return abs(a - b) <= rel * max(abs(b), 1)


def tmpfile(suffix=''):
    fd, path = tempfile.mkstemp(prefix='heapinspect-test-', suffix=suffix)
    os.close(fd)
    return path
