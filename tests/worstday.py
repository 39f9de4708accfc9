#!/usr/bin/env python3
"""The target's worst day (TAP): heapinspect never holds a target stopped
for long, never leaves a thread of it stopped or traced, and never
reports a census of a process that is not there.

  1. a thread in uninterruptible sleep (a vfork parent, state D): the stop
     fails at once with exit 8, the other threads run on, and the blocked
     thread is let go as soon as it can stop, while the session lives;
  2. a target killed in the middle of a command, and during attach: the
     command fails with "the process exited" (exit 7), and the target's
     parent can reap it at once;
  3. execve and pid reuse: a census of another program or process under
     the same pid is refused (exit 7), and a baseline never applies to
     another process;
  4. Ctrl-Z (SIGTSTP) of heapinspect in the middle of a walk: heapinspect
     stops only once the target runs again;
  5. one stop per command: attach costs no stop of its own;
  6. a process whose main thread has exited while others run is alive.

After each case, no thread of the target is stopped or traced.  The test
drives heapinspect scripts through its stdin, so every check is made
while the session still lives.  Uses Debian's python3.11 (TEST_PYTHON, or
the first Python found).
"""
import os
import random
import re
import resource
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import (HEAPINSPECT, LAUNCH, SRCDIR, Tap, Target, find_pythons, reap,  # noqa: E402
                     tmpfile)

LIBPARK = os.environ.get('LIBPARK', os.path.join(os.path.dirname(LAUNCH), 'libpark.so'))
WORKLOAD = os.path.join(SRCDIR, 'workloads', 'worstday_target.py')

# Runs CMD, printing "TAG CLASS MS MESSAGE" (CLASS is OK or the error
# class, MS how long it took).
TRY = r'''
proc try {tag cmd} {
    set t0 [clock milliseconds]
    set code [catch {uplevel #0 $cmd} e o]
    set ms [expr {[clock milliseconds] - $t0}]
    set class [expr {$code ? [lindex [dict get $o -errorcode] 1] : "OK"}]
    puts "$tag $class $ms [string map {"\n" " "} [string range $e 0 400]]"
    flush stdout
}
proc mark {} { puts MARK; flush stdout; gets stdin }
'''


def thread_status(pid):
    """{tid: (state letter, tracer pid)} of PID's threads."""
    out = {}
    try:
        tids = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open('/proc/%d/task/%s/status' % (pid, tid)) as f:
                text = f.read()
        except OSError:
            continue
        state = re.search(r'^State:\s+(\S)', text, re.M)
        tracer = re.search(r'^TracerPid:\s+(\d+)', text, re.M)
        out[int(tid)] = (state.group(1) if state else '?', int(tracer.group(1)) if tracer else -1)
    return out


def held(pid, skip=()):
    """What holds PID's threads: '' if none is stopped or traced."""
    bad = ['thread %d in state %s, tracer %d' % (tid, s, tr)
           for tid, (s, tr) in sorted(thread_status(pid).items())
           if tid not in skip and (s in 'tT' or tr != 0)]
    return '; '.join(bad)


def thread_state(pid, tid):
    return thread_status(pid).get(tid, ('', 0))[0]


class Session:
    """heapinspect attach PID -f SCRIPT, talked to through pipes."""

    def __init__(self, pid, script, extra=(), pgrp=False):
        self.path = tmpfile('.tcl')
        with open(self.path, 'w') as f:
            f.write(TRY + script)
        self.proc = subprocess.Popen([HEAPINSPECT] + list(extra) + ['attach', str(pid), '-f', self.path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     universal_newlines=True, bufsize=1,
                                     # Its own process group, whose parent (this
                                     # test) is in the same session: not orphaned,
                                     # so SIGTSTP stops it even under make.
                                     preexec_fn=os.setpgrp if pgrp else None)
        self.seen = []
        self.pending = ''
        self.eof = False

    def expect(self, prefix, timeout=30):
        """The first line of output starting with PREFIX (None on EOF or
        timeout); lines before it are kept in self.seen.  Reads the pipe
        itself: select() knows nothing of what a file object has
        buffered already."""
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            while '\n' in self.pending:
                line, self.pending = self.pending.split('\n', 1)
                self.seen.append(line + '\n')
                if line.startswith(prefix):
                    return line
            if self.eof or time.time() >= deadline:
                return None
            r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
            if not r:
                return None
            data = os.read(fd, 65536)
            if not data:
                self.eof = True
                if self.pending:
                    self.seen.append(self.pending)
                    self.pending = ''
                return None
            self.pending += data.decode('utf-8', 'replace')

    def go(self):
        self.proc.stdin.write('go\n')
        self.proc.stdin.flush()

    def finish(self, timeout=30):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        os.unlink(self.path)
        self.seen.append(self.pending + out)
        self.pending = ''
        return self.proc.returncode, ''.join(self.seen), err


def result(line):
    """(class, ms, message) of a TRY line."""
    if not line:
        return ('NONE', 0, '')
    parts = line.split(' ', 3)
    return parts[1], int(parts[2]), parts[3] if len(parts) > 3 else ''


def tell(t, command, want):
    t.proc.stdin.write(command + '\n')
    t.proc.stdin.flush()
    while True:
        line = t.proc.stdout.readline()
        if not line or line.startswith(want):
            return line.strip()


def answers(t):
    try:
        return tell(t, 'ping', 'pong') == 'pong'
    except (OSError, ValueError):
        return False


def start(python, big=0):
    t = Target([python, WORKLOAD])
    if big:
        tell(t, 'big %d' % big, 'done')
    return t


def blocked_thread(tap, python):
    if not os.path.exists(LIBPARK):
        tap.skip('blocked thread', 'no %s' % LIBPARK)
        return
    t = start(python)
    s = Session(t.pid, 'mark; try R1 heap; try R2 heap; mark; try R3 heap\n')
    tap.ok(s.expect('MARK') is not None, 'blocked: attached', ''.join(s.seen))
    parked = int(tell(t, 'park %s 1500' % LIBPARK, 'parked').split()[1])
    s.go()
    cls, ms, msg = result(s.expect('R1 '))
    others = held(t.pid, skip=(parked,))
    tap.ok(cls == 'BUSY' and 'blocked in the kernel' in msg, 'blocked: the stop fails as BUSY', msg)
    tap.ok(ms < 1000, 'blocked: it fails within a second (%d ms), not at a deadline' % ms)
    tap.ok(not others, 'blocked: the other threads were let go at once', others)
    cls, ms, msg = result(s.expect('R2 '))
    tap.ok(cls == 'BUSY' and 'seccomp' not in msg and 'still' in msg,
           'blocked: a stop while it is held says so, not "seccomp"', msg)
    deadline = time.time() + 10
    while thread_state(t.pid, parked) == 'D' and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    h = held(t.pid)
    tap.ok(not h, 'blocked: the thread is let go once it returns, while the session lives', h)
    s.go()
    cls, ms, msg = result(s.expect('R3 '))
    tap.ok(cls == 'OK', 'blocked: the next heap works', msg)
    rc, out, err = s.finish()
    tap.ok(rc == 0, 'blocked: session exit 0', err)
    # An uncaught BUSY is exit status 8.
    tell(t, 'park %s 1500' % LIBPARK, 'parked')
    t0 = time.time()
    p = subprocess.run([HEAPINSPECT, 'attach', str(t.pid), '-e', 'heap'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    took = time.time() - t0
    tap.ok(p.returncode == 8 and 'blocked in the kernel' in p.stderr and took < 3,
           'blocked: attach while a thread is blocked: exit 8 in %.1f s' % took, p.stderr)
    time.sleep(1.8)
    h = held(t.pid)
    tap.ok(not h and answers(t), 'blocked: nothing held afterwards, the target answers', h)
    t.close()


def killed(tap, python, rounds):
    commands = ['heap -all', 'top', 'memory', 'info', 'heap -copy', 'dump %s']
    gone_exit = 0
    for i in range(rounds):
        cmd = commands[i % len(commands)]
        dump = tmpfile('.img') if '%s' in cmd else None
        if dump:
            os.unlink(dump)
            cmd = cmd % dump
        t = start(python, big=700000)
        s = Session(t.pid, 'mark; try R {%s}; mark\n' % cmd)
        if s.expect('MARK') is None:
            tap.ok(False, 'killed: attached', ''.join(s.seen))
            s.finish()
            t.close()
            continue
        s.go()
        delay = random.uniform(0.005, 0.15)
        time.sleep(delay)
        os.kill(t.pid, signal.SIGKILL)
        try:
            t.proc.wait(timeout=5)
            reaped = True
        except subprocess.TimeoutExpired:
            reaped = False
        cls, ms, msg = result(s.expect('R ', timeout=60))
        # A command whose stop was over before the kill (it was only
        # printing) rightly succeeds, with a whole result: the walk of a
        # dying process shows as skips and broken lists, and those must
        # never come with success.
        shown = ''.join(s.seen)
        whole = 'Partial:' not in shown and 'broken' not in shown
        ok = cls == 'GONE' and 'exited' in msg or (cls == 'OK' and whole)
        gone_exit += cls == 'GONE'
        tap.ok(reaped, 'killed: its parent reaped it while heapinspect still ran')
        rc, out, err = s.finish()
        tap.ok(ok, 'killed: %s, killed mid-command: %s' % (cmd.split()[0] + (' -copy' if '-copy' in cmd else ''),
                                                           cls), msg or 'exit %d: %s' % (rc, err[-2000:]))
        if dump:
            leftovers = [f for f in os.listdir(os.path.dirname(dump))
                         if f.startswith(os.path.basename(dump))]
            tap.ok(cls == 'OK' or not leftovers, 'killed: dump left nothing behind', leftovers)
            for f in leftovers:
                os.unlink(os.path.join(os.path.dirname(dump), f))
        t.close()
    tap.ok(gone_exit > 0, 'killed: %d of %d rounds reported the exit' % (gone_exit, rounds))
    # Uncaught: exit status 7.
    t = start(python, big=700000)
    s = Session(t.pid, 'mark; heap -all\n')
    s.expect('MARK')
    s.go()
    time.sleep(0.05)
    os.kill(t.pid, signal.SIGKILL)
    rc, out, err = s.finish()
    tap.ok(rc == 7 and 'exited' in err and 'Partition' not in out, 'killed: uncaught, exit 7 and no census',
           'exit %d: %s' % (rc, err))
    t.close()
    # During attach: "the process exited" or "no such process", never
    # "forbidden" or "not CPython".
    statuses = []
    for i in range(8):
        t = start(python, big=200000)
        p = subprocess.Popen([HEAPINSPECT, 'attach', str(t.pid), '-e', 'heap'], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
        time.sleep(i * 0.02)
        os.kill(t.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=60)
        statuses.append(p.returncode)
        tap.ok(p.returncode in (3, 7) or (p.returncode == 0 and 'Partition' in out),
               'killed: %d ms into attach: exit %d' % (i * 20, p.returncode), err)
        t.close()


def dump_killed(tap, python):
    """heapinspect killed (SIGKILL, SIGSEGV) while dump writes: no
    temporary file is left, and the target runs on."""
    t = start(python, big=1500000)
    d = tmpfile('.dir')
    os.unlink(d)
    os.mkdir(d)
    left = []
    for i, (sig, delay) in enumerate([(signal.SIGKILL, 0.3), (signal.SIGSEGV, 0.6), (signal.SIGKILL, 0.9),
                                      (signal.SIGSEGV, 1.2), (signal.SIGKILL, 1.6)]):
        p = subprocess.Popen([HEAPINSPECT, 'attach', str(t.pid), '-e', 'dump %s/x%d.img' % (d, i)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(sig)
        p.wait()
        # A finished image may stay (the kill came after it); nothing else.
        left += [f for f in os.listdir(d) if not re.match(r'x\d\.img$', f) and f not in left]
    tap.ok(not left, 'dump: heapinspect killed while writing leaves no temporary file', left)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)
    time.sleep(0.1)
    h = held(t.pid)
    tap.ok(not h and answers(t), 'dump: after the kills nothing is held, the target answers', h)
    t.close()


def long_names(tap, python):
    """A class whose name has 307 characters: its instances and what
    they hold are counted like any other's."""
    t = start(python)
    count, strbytes = (int(x) for x in tell(t, 'longname 1000', 'made').split()[1:])
    script = ('foreach r [dict get [heap -format tcl] rows] {'
              ' if {[string match *GenericXXXX* [dict get $r kind]]} { puts "CLS [dict get $r count]" };'
              ' if {[dict get $r kind] eq "str"} { puts "STR [dict get $r size]" } }')
    p = subprocess.run([HEAPINSPECT, 'attach', str(t.pid), '-e', script], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    cls = re.search(r'^CLS (\d+)', p.stdout, re.M)
    strs = re.search(r'^STR (\d+)', p.stdout, re.M)
    tap.ok(p.returncode == 0 and cls and int(cls.group(1)) == count,
           'long class name: its %d instances are counted (%s)' % (count, cls and cls.group(1)), p.stderr)
    tap.ok(strs and int(strs.group(1)) >= strbytes,
           'long class name: the %d bytes of strs its instances hold are in the census (str row %s)' %
           (strbytes, strs and strs.group(1)), p.stderr)
    t.close()


# Runs a command and says, last on stderr, the peak RSS of its children:
# a process of its own, so that no earlier child of the test counts.
MEASURE = ('import resource, subprocess, sys\n'
           'rc = subprocess.call(sys.argv[1:])\n'
           'sys.stderr.write("PEAK %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n'
           'sys.exit(rc)\n')


def run_measured(args):
    """Run heapinspect with ARGS: (status, stdout, stderr, its peak RSS
    in MiB)."""
    p = subprocess.run([sys.executable, '-c', MEASURE, HEAPINSPECT] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    peak = re.search(r'^PEAK (\d+)$', p.stderr, re.M)
    return p.returncode, p.stdout, p.stderr, int(peak.group(1)) / 1024.0 if peak else float('inf')


def sparse(tap, python):
    """A 16 GiB mapping with one page touched: -copy and dump copy what
    is resident, not what is mapped."""
    t = start(python)
    tell(t, 'sparse 16', 'sparse')
    img = tmpfile('.img')
    rc, out, err, rss = run_measured(['-v', 'attach', str(t.pid), '-e', 'heap -copy', '-e', 'dump %s' % img])
    size = os.path.getsize(img) if os.path.exists(img) else -1
    pause = re.search(r'saved .* paused ([\d.]+) ms', err)
    tap.ok(rc == 0 and 'Partition of a set' in out, 'sparse: heap -copy and dump work', err[-600:])
    tap.ok(0 < size < 200 << 20, 'sparse: the image of a 16 GiB mapping with one page touched is %.1f MiB' %
           (size / 1048576.0))
    tap.ok(rss < 1024, 'sparse: heapinspect peaked at %.0f MiB (< 1 GiB)' % rss)
    tap.ok(pause and float(pause.group(1)) < 3000, 'sparse: dump paused the target %s ms' %
           (pause and pause.group(1)), err[-600:])
    rc, out, err, _ = run_measured(['image', img, '-e', 'heap'])
    tap.ok(rc == 0 and 'Partition of a set' in out, 'sparse: the image reads back', err)
    os.unlink(img)
    # A bound that the copy would pass: one line, a remedy, exit 1.
    env = dict(os.environ, HEAPINSPECT_COPY_MB='1')
    p = subprocess.run([HEAPINSPECT, 'attach', str(t.pid), '-e', 'heap -copy'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120, env=env)
    tap.ok(p.returncode == 1 and 'more than the 1 MiB allowed' in p.stderr and 'HEAPINSPECT_COPY_MB' in p.stderr
           and p.stderr.count('\n') == 1, 'sparse: a copy past its bound is refused in one line', p.stderr)
    h = held(t.pid)
    tap.ok(not h and answers(t), 'sparse: nothing held, it answers', h)
    t.close()


def vm_pte(pid):
    with open('/proc/%d/status' % pid) as f:
        m = re.search(r'^VmPTE:\s+(\d+)', f.read(), re.M)
    return int(m.group(1)) if m else 0


def hostile(tap, python):
    """A heap the target corrupted itself: a deque whose block links to
    itself, a list whose items run into 16 GiB of untouched memory, a
    str 2^39 long, a looping thread-state list.  The census takes
    milliseconds, not minutes, touches no untouched page, says Partial
    and adds no phantom gigabytes."""
    name = os.path.basename(python)
    t = start(python)
    tell(t, 'corrupt', 'corrupted')
    pte = vm_pte(t.pid)
    t0 = time.time()
    p = subprocess.run([HEAPINSPECT, '-v', 'attach', str(t.pid), '-e', 'heap', '-e', 'info'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    took = time.time() - t0
    grew = vm_pte(t.pid) - pte
    total = re.search(r'Total size = (\d+) bytes', p.stdout)
    pause = re.search(r'paused ([\d.]+) ms', p.stderr)
    tap.ok(p.returncode == 0 and pause and float(pause.group(1)) < 2000,
           'hostile (%s): the census paused the target %s ms (%.1f s in all)' % (name, pause and pause.group(1), took),
           p.stderr[-800:])
    tap.ok('Partial:' in p.stdout, 'hostile (%s): the census says Partial' % name, p.stdout[-400:])
    tap.ok(total and int(total.group(1)) < 1 << 30, 'hostile (%s): no phantom gigabytes (total %s bytes)' %
           (name, total and total.group(1)))
    tap.ok('loops back' in p.stdout, 'hostile (%s): info says the thread-state list loops' % name, p.stdout[-600:])
    tap.ok(grew < 4096, "hostile (%s): the target's page tables grew %d kB" % (name, grew))
    tell(t, 'restore', 'restored')
    h = held(t.pid)
    tap.ok(not h and answers(t), 'hostile (%s): nothing held, it answers' % name, h)
    t.close()


VMSIZE = ('set f [open /proc/[pid]/status]; set s [read $f]; close $f; '
          'regexp {VmSize:\\s+(\\d+)} $s -> v; set v')


def out_of_memory(tap, python):
    """heapinspect out of memory in the middle of a census (ulimit -v):
    the walk ends at once, the target runs, one line says what to do."""
    t = start(python, big=700000)
    p = subprocess.run([HEAPINSPECT, 'attach', str(t.pid), '-e', VMSIZE], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    base = int(p.stdout.split()[-1]) if p.returncode == 0 and p.stdout.split() else 0
    if not base:
        tap.skip('out of memory', 'cannot read heapinspect\'s own VmSize: %s' % p.stderr)
        t.close()
        return
    limit = (base + 20 * 1024) * 1024    # 20 MiB more than attaching takes

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    t0 = time.time()
    p = subprocess.run([HEAPINSPECT, '-v', 'attach', str(t.pid), '-e', 'heap'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=300, preexec_fn=cap)
    took = time.time() - t0
    lines = [ln for ln in p.stderr.splitlines() if not ln.startswith('heapinspect: pid %d: read ' % t.pid)]
    tap.ok(p.returncode == 1 and 'out of memory' in p.stderr and 'ulimit' in p.stderr and len(lines) == 1,
           'out of memory (ulimit -v %d MiB): exit %d, one line with a remedy' % (limit >> 20, p.returncode),
           p.stderr[-600:])
    tap.ok(took < 10, 'out of memory: over in %.1f s' % took)
    h = held(t.pid)
    tap.ok(not h and answers(t), 'out of memory: nothing held, it answers', h)
    t.close()


def pid_reuse(tap, python, pythons):
    # execve: same pid, same start time, a new program.
    other = [p for p in pythons if p != python]
    for new in [python] + other[:1]:
        t = start(python)
        s = Session(t.pid, 'try R1 heap; mark; try R2 heap; try R3 heap\n')
        cls1, _, msg1 = result(s.expect('R1 '))
        s.expect('MARK')
        t.proc.stdin.write('exec %s\n' % new)
        t.proc.stdin.flush()
        ready = t.proc.stdout.readline().strip()
        s.go()
        cls2, _, msg2 = result(s.expect('R2 '))
        cls3, _, msg3 = result(s.expect('R3 '))
        tap.ok(cls1 == 'OK' and ready == 'ready', 'exec: first census (%s)' % os.path.basename(new), msg1)
        tap.ok(cls2 == 'GONE' and 'execve' in msg2, 'exec into %s: refused as GONE' % new, msg2)
        tap.ok(cls3 == 'GONE', 'exec: and every later command too', msg3)
        s.finish()
        h = held(t.pid)
        tap.ok(not h and answers(t), 'exec: nothing held, the new program answers', h)
        t.close()
    # pid reuse: a new process on the pid, forced with ns_last_pid.
    try:
        with open('/proc/sys/kernel/ns_last_pid', 'r+'):
            pass
    except OSError as e:
        tap.skip('pid reuse', 'cannot set ns_last_pid: %s' % e)
        return
    t = start(python)
    pid = t.pid
    s = Session(pid, 'try R1 heap; setrel; mark; try R2 heap; detach; attach %d; '
                'try R3 {heap}; try R4 diff\n' % pid)
    cls1, _, _ = result(s.expect('R1 '))
    s.expect('MARK')
    before = ''.join(s.seen)
    t.proc.kill()
    t.close()
    u = None
    for _ in range(20):
        with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
            f.write(str(pid - 1))
        u = Target([python, WORKLOAD])
        if u.pid == pid:
            break
        u.close()
        u = None
    if u is None:
        tap.skip('pid reuse', 'the pid went to another process 20 times')
        s.finish()
        return
    s.go()
    cls2, _, msg2 = result(s.expect('R2 '))
    r3 = s.expect('R3 ')
    cls3, _, msg3 = result(r3)
    cls4, _, msg4 = result(s.expect('R4 '))
    rc, out, err = s.finish()
    tap.ok(cls2 == 'GONE' and 'another process' in msg2, 'pid reuse: a census of the new process is refused',
           msg2)
    m1 = re.findall(r'Partition of a set of (\d+) objects', before)
    m3 = re.findall(r'Partition of a set of (\d+) objects', ''.join(s.seen))
    # After attaching to the new process anew, the old baseline does not
    # apply: heap shows the whole heap, not "what is new".
    tap.ok(cls3 == 'OK' and m1 and m3 and int(m3[-1]) > int(m1[0]) // 2,
           'pid reuse: the old baseline does not apply to the new process', (m1, m3, msg3))
    tap.ok(cls4 == 'ERROR' or cls4 not in ('OK',) and 'earlier process' in msg4,
           'pid reuse: diff refuses the old baseline', msg4)
    h = held(u.pid)
    tap.ok(not h and answers(u), 'pid reuse: nothing held, it answers', h)
    u.close()


def suspended(tap, python):
    t = start(python, big=1500000)
    s = Session(t.pid, 'mark; try R heap; mark\n', pgrp=True)
    s.expect('MARK')
    s.go()
    time.sleep(0.1)
    os.kill(s.proc.pid, signal.SIGTSTP)
    deadline = time.time() + 10
    state = ''
    while time.time() < deadline:
        with open('/proc/%d/stat' % s.proc.pid) as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
        if state == 'T':
            break
        time.sleep(0.005)
    if state != 'T':
        tap.skip('suspended', 'SIGTSTP does not stop heapinspect here (orphaned process group?)')
        os.kill(s.proc.pid, signal.SIGCONT)
    else:
        h = held(t.pid)
        tap.ok(not h, 'suspended: heapinspect stops only once the target runs', h)
        os.kill(s.proc.pid, signal.SIGCONT)
        cls, ms, msg = result(s.expect('R '))
        tap.ok(cls == 'OK', 'suspended: the census completes after SIGCONT', msg)
    s.go()
    s.finish()
    t.close()


def stops(tap, python):
    if subprocess.run(['sh', '-c', 'command -v strace'], stdout=subprocess.DEVNULL).returncode != 0:
        tap.skip('stops per command', 'no strace')
        return
    t = start(python)
    for cmd, want in (('heap', 1), ('memory', 1), ('heap; heap', 2)):
        log = tmpfile('.strace')
        subprocess.run(['strace', '-f', '-qq', '-e', 'trace=ptrace', '-o', log, HEAPINSPECT, 'attach',
                        str(t.pid), '-e', cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
        with open(log) as f:
            n = len(re.findall(r'PTRACE_SEIZE, %d,' % t.pid, f.read()))
        os.unlink(log)
        tap.ok(n == want, 'stops: attach and %s stop the target %d times (want %d)' % (cmd, n, want))
    h = held(t.pid)
    tap.ok(not h and answers(t), 'stops: nothing held, it answers', h)
    t.close()


def zombie_leader(tap, python):
    t = start(python)
    tell(t, 'orphan', 'orphaned')
    p = subprocess.run([HEAPINSPECT, 'attach', str(t.pid), '-e', 'heap', '-e', 'memory'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    tap.ok(p.returncode == 0 and 'Partition of a set' in p.stdout,
           'main thread exited, others run: it is inspected, not called a zombie', p.stderr)
    h = held(t.pid)
    tap.ok(not h and answers(t), 'main thread exited: nothing held, it answers', h)
    t.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    python = os.environ.get('TEST_PYTHON') or ''
    if not python or not os.path.exists(python):
        python = '/usr/bin/python3.11' if '/usr/bin/python3.11' in pythons else (pythons[0] if pythons else '')
    if not python:
        tap.skip('worst day', 'no Python')
        return tap.done()
    random.seed(int(os.environ.get('HI_SEED', time.time())))
    blocked_thread(tap, python)
    killed(tap, python, int(os.environ.get('HI_ROUNDS', '12')))
    dump_killed(tap, python)
    long_names(tap, python)
    sparse(tap, python)
    out_of_memory(tap, python)
    def minor(p):
        m = re.search(r'python3\.(\d+)$', p)
        return int(m.group(1)) if m else 0
    for py in [python] + sorted([p for p in pythons if p != python], key=minor)[-1:]:
        hostile(tap, py)
    pid_reuse(tap, python, pythons)
    suspended(tap, python)
    stops(tap, python)
    zombie_leader(tap, python)
    return tap.done()


sys.exit(main())
