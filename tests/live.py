"""live: the heap refreshed in a terminal, driven in a real pseudo-terminal
(tmux), on Debian's python3.11 and one pyenv CPython.

workloads/drip_target.py keeps 3000 more Drip objects a second and writes
its own count.  `heapinspect live PID -interval 1` runs in a tmux pane:
within three refreshes the Drip row is first (sorted by growth), its
count within one refresh's dripping of the target's own count, its size
that count times the target's sys.getsizeof, its rate per minute near
the target's; `s` and `c` sort by
size and count; Down and `p` show the selected kind's retention path;
`q` leaves with status 0 (Ctrl-C with 130) and the target runs on.  With stdout not a
terminal, live prints one block of plain lines a refresh.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import HEAPINSPECT, SRCDIR, Tap, Target, find_pythons, heapinspect, label  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'drip_target.py')
RATE = 3000
ROW = re.compile(r'^\s*(\d+)\s+([+-]\d+)\s+([+-]\d+)\s+(\d+)\s+([+-]\d+)\s+([+-]\d+)\s+\S*\s+(\S.*)$')


# A tmux server of this test's own: two runs at once (a build tree and a
# distcheck) must not kill each other's panes.
SOCKET = 'heapinspect-live-%d' % os.getpid()


def tmux(*args):
    return subprocess.run(['tmux', '-L', SOCKET] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True).stdout


def start_pane(command):
    """A new server with one 160x40 pane running COMMAND.  A server just
    killed may still hold its socket: retry until the session is there."""
    tmux('kill-server')
    for _ in range(50):
        tmux('new-session', '-d', '-s', 'live', '-x', '160', '-y', '40', command)
        if subprocess.run(['tmux', '-L', SOCKET, 'has-session', '-t', 'live'], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.1)


def screen():
    return tmux('capture-pane', '-p', '-t', 'live')


def rows(text):
    """(count, size, kind, count per minute, count grown) of each row shown."""
    return [(int(m.group(1)), int(m.group(4)), m.group(7).strip(), int(m.group(3)), int(m.group(2)))
            for m in map(ROW.match, text.splitlines()) if m]


def wait_screen(pred, timeout=10):
    """Poll the pane until PRED holds of its text: (True, text), or
    (False, the last text) after TIMEOUT seconds."""
    deadline, shown = time.time() + timeout, ''
    while time.time() < deadline:
        shown = screen()
        if pred(shown):
            return True, shown
        time.sleep(0.2)
    return False, shown


def truth(path):
    with open(path) as f:
        count, size = map(int, f.read().split())
    return count, size


def check(tap, python, tmp):
    name = label(python)
    countfile = os.path.join(tmp, 'count')
    target = Target([python, WORKLOAD, countfile, str(RATE)])
    try:
        start_pane('env LANG=C.UTF-8 %s live %d -interval 1; echo "EXIT=$?"; sleep 60' % (HEAPINSPECT, target.pid))
        # The screen is polled: on a loaded machine a census takes longer
        # and live stretches its interval (the header says by how much).
        first, shown, want = None, '', None
        deadline = time.time() + 20
        while time.time() < deadline:
            before = truth(countfile)[0]
            shown = screen()
            want = truth(countfile)
            r = rows(shown)
            m = re.search(r'\), (\d+) s; stopped [\d.]+ ms every ([\d.]+) s', shown)
            # After the first refresh: at the first, nothing has grown yet
            # and the order is by size (Drip may lead by then).
            if r and m and r[0][2] == '__main__.Drip' and int(m.group(1)) >= 1:
                first = (r[0], int(m.group(1)), float(m.group(2)), before)
                break
            time.sleep(0.2)
        tap.ok(first is not None and first[1] <= 3 * first[2],
               '%s: within three refreshes the dripping kind is first, sorted by growth (%s s in)'
               % (name, first and first[1]), shown)
        if first:
            (count, size, kind, rate, _), _, every, before = first
            # The census saw the target at most one refresh (and the
            # census itself) before the screen was read.
            tap.ok(before - RATE * (every + 1) <= count <= want[0] and size == count * want[1],
                   '%s: its count %d within one refresh of the target\'s own (%d), its size count x %d bytes'
                   % (name, count, want[0], want[1]), shown)
            # Its rate: the target's 3000 a second, give or take one drip
            # (300) over the time it was measured on, and the timing.
            tap.ok(abs(rate - RATE * 60) <= RATE * 60 * 0.25,
                   '%s: its growth per minute %d near the target\'s %d' % (name, rate, RATE * 60), shown)
        tmux('send-keys', '-t', 'live', 's')
        ok, shown = wait_screen(lambda t: 'sorted by size' in t and rows(t) and
                                rows(t)[0][1] == max(x[1] for x in rows(t)))
        tap.ok(ok, '%s: s sorts by size' % name, shown)
        tmux('send-keys', '-t', 'live', 'c')
        ok, shown = wait_screen(lambda t: 'sorted by count' in t and rows(t) and
                                rows(t)[0][0] == max(x[0] for x in rows(t)))
        tap.ok(ok, '%s: c sorts by count' % name, shown)
        tmux('send-keys', '-t', 'live', 'g')
        # b: a baseline, as setrel; growth counts from it.  Taken 5 s in,
        # when the growth since the start is well above a refresh's.
        since = re.compile(r'\), (\d+) s; stopped [\d.]+ ms every ([\d.]+) s')
        ok, shown = wait_screen(lambda t: 'sorted by growth' in t and since.search(t) and
                                int(since.search(t).group(1)) >= 5, 20)
        drip = [x for x in rows(shown) if x[2] == '__main__.Drip']
        tmux('send-keys', '-t', 'live', 'b')
        ok, shown = wait_screen(lambda t: 'setrel: baseline of pid %d' % target.pid in t and since.search(t) and
                                int(since.search(t).group(1)) >= 1, 20)
        m = re.search(r'^\s*\d+\s+([+-]\d+)\s.*__main__\.Drip\s*$', shown, re.M)
        secs = since.search(shown)
        tap.ok(ok and drip and m and secs and
               0 <= int(m.group(1)) <= RATE * (int(secs.group(1)) + 1) < drip[0][4],
               '%s: b takes a baseline (setrel), and the growth counts from it (%s in %s s)'
               % (name, m and m.group(1), secs and secs.group(1)), shown)
        r = rows(shown)
        at = [x[2] for x in r].index('__main__.Drip') if r and '__main__.Drip' in [x[2] for x in r] else -1
        for _ in range(max(at, 0)):
            tmux('send-keys', '-t', 'live', 'Down')
        tmux('send-keys', '-t', 'live', 'p')
        ok, shown = wait_screen(lambda t: 'of kind __main__.Drip' in t and '__main__.DRIPS[*]' in t)
        tap.ok(at >= 0 and ok, '%s: p shows the selected kind\'s retention path (__main__.DRIPS[*])' % name, shown)
        tmux('send-keys', '-t', 'live', 'q')
        ok, shown = wait_screen(lambda t: 'EXIT=' in t)
        tap.ok('EXIT=0' in shown, '%s: q leaves, status 0' % name, shown)
        run, state = target.running()
        tap.ok(run, '%s: the target runs on (state %s)' % (name, state))
        # Ctrl-C leaves too, as any interrupted command: status 130.
        start_pane('env LANG=C.UTF-8 %s live %d -interval 1; echo "EXIT=$?"; sleep 60' % (HEAPINSPECT, target.pid))
        wait_screen(lambda t: 'sorted by growth' in t and rows(t), 20)
        tmux('send-keys', '-t', 'live', 'C-c')
        ok, shown = wait_screen(lambda t: 'EXIT=' in t)
        run, state = target.running()
        tap.ok('EXIT=130' in shown and run, '%s: Ctrl-C leaves, status 130, and the target runs on (state %s)'
               % (name, state), shown)
        rc, out, err = heapinspect(['live', str(target.pid), '-count', '2', '-interval', '0.5', '-n', '5'])
        blocks = [b for b in out.split('\n\n') if b.startswith('heapinspect live pid %d' % target.pid)]
        tap.ok(rc == 0 and len(blocks) == 2 and '__main__.Drip' in blocks[1] and
               out.rstrip().endswith('2 refreshes over %s s' % out.rstrip().rsplit(' ', 2)[-2]),
               '%s: without a terminal, one block of plain lines a refresh' % name, out + err)
    finally:
        tmux('kill-server')
        target.close()


def main():
    tap = Tap()
    if not shutil.which('tmux'):
        tap.skip('live', 'tmux is not installed (apt-get install tmux)')
        return tap.done()
    pythons = find_pythons()
    chosen = [p for p in pythons if p.startswith('/usr/bin/')] + [p for p in pythons if '/.pyenv/' in p][-1:]
    for python in chosen or pythons[:1]:
        tmp = tempfile.mkdtemp(prefix='heapinspect-live-')
        try:
            check(tap, python, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
