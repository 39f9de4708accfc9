"""watch and plot, on every CPython 3.8+ found (about 3 s each).

A target (workloads/grow_target.py) plants a population of a class and
grows it by a known number of instances when told.  data/watch.tcl runs
one `watch` whose -command tells it to grow between samples, so every
sample sees an exact, known population whatever the timing; the target
reports its own truth (the sum of sys.getsizeof, VmRSS) after each
growth.  Then the CSV is judged row by row, `plot` draws it and the SVG
is parsed, a malformed CSV is refused, and Ctrl-C (SIGINT) and SIGTERM
end watches that would run for long, keeping what they took.
"""
import csv
import datetime
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import HEAPINSPECT, SRCDIR, FifoTarget, Tap, find_pythons, heapinspect, label  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'grow_target.py')
SCRIPT = os.path.join(SRCDIR, 'data', 'watch.tcl')
GROWTH = 20000          # instances per growth
COUNT = 3               # samples
INTERVAL = 0.5          # seconds
TOP = 5
# RSS is read while the target idles, VmRSS by the target before it
# answers; a kB read as 1000 bytes instead of 1024 would be 2.4% off,
# about 300 KiB here.
RSS_SLACK = 128 * 1024
KIND = '__main__.Leak, "quoted" <&>'
FIXED = ['rss_bytes', 'pss_bytes', 'swap_bytes', 'census_objects', 'census_bytes', 'pause_ms']
SVG = '{http://www.w3.org/2000/svg}'
UNITS = {'B': 1, 'KiB': 2 ** 10, 'MiB': 2 ** 20, 'GiB': 2 ** 30, 'TiB': 2 ** 40, 's': 1, 'min': 60, 'h': 3600}


def truth(line):
    """{'count': C, 'bytes': B, 'rss': R} from the target's answer."""
    return {k: int(v) for k, v in re.findall(r'(\w+)=(-?\d+)', line)}


def read_csv(path):
    """(header, {sample: {(series, kind): value}}, [(sample, time, seconds)])."""
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    samples, stamps = {}, []
    for r in rows[1:]:
        if len(r) != 6:
            raise ValueError('row %r' % r)
        n = int(r[0])
        if n not in samples:
            samples[n] = {}
            stamps.append((n, r[1], float(r[2])))
        samples[n][(r[3], r[4])] = float(r[5])
    return rows[0] if rows else None, samples, stamps


def complete(samples):
    """Every sample has the six totals."""
    return all(all((s, '') in v for s in FIXED) for v in samples.values())


def parse_label(text):
    m = re.match(r'^(-?[\d.]+) (\w+)$', text or '')
    return float(m.group(1)) * UNITS[m.group(2)] if m and m.group(2) in UNITS else None


def fmt_bytes(v):
    """Bytes as every heapinspect table prints them: '512 B', '11.4 MiB'."""
    if v < 1024:
        return '%d B' % v
    x, units = v / 1024.0, ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
    u = 0
    while x >= 1024 and u < 4:
        x /= 1024
        u += 1
    return '%.1f %s' % (x, units[u])


def check_watch(tap, name, python, tmp):
    """The main run; returns the CSV's path for the plot checks, or None."""
    target = FifoTarget([python, WORKLOAD, str(GROWTH)], tmp)
    csv_path = os.path.join(tmp, 'watch.csv')
    try:
        truths = [truth(target.ready)]
        rc, out, err = heapinspect(['attach', str(target.pid), '-f', SCRIPT, target.cmd, target.out, csv_path,
                                    str(COUNT), str(INTERVAL), str(TOP)], timeout=120)
        truths += [truth(l) for l in out.splitlines() if l.startswith('@@ REPLY done')]
        run, st = target.running()
        tap.ok(rc == 0 and not err and len(truths) == COUNT,
               '%s: watch -count %d with a -command between samples exits 0, nothing on stderr' % (name, COUNT),
               'exit %d\n%s%s' % (rc, out, err))
        tap.ok(run, '%s: the target runs on after the watch (state %s)' % (name, st))
        reply = target.tell('grow')
        tap.ok(reply.startswith('done count=%d ' % ((COUNT + 1) * GROWTH)),
               '%s: and still answers: %s' % (name, reply))
    finally:
        target.close()

    progress = [l for l in out.splitlines() if re.match(r'^\s+\d+\s+\d+\.\d{3}\s', l)]
    tap.ok(len(progress) == COUNT and re.search(r'^%d samples over [\d.]+ s in ' % COUNT, out, re.M),
           '%s: one progress line per sample, and a summary' % name, out)
    try:
        header, samples, stamps = read_csv(csv_path)
    except (OSError, ValueError) as e:
        tap.ok(False, '%s: the CSV parses' % name, e)
        return None
    tap.ok(header == ['sample', 'time', 'seconds', 'series', 'kind', 'value'] and
           sorted(samples) == list(range(COUNT)) and complete(samples),
           '%s: the CSV: its header, samples 0..%d, each with the six totals' % (name, COUNT - 1),
           '%s %s' % (header, samples))
    if len(samples) != COUNT or len(truths) != COUNT:
        return csv_path

    # The progress lines print the CSV's RSS, PSS, swap and census bytes in
    # MiB, as the other tables do.
    shown = {}
    for line in progress:
        m = re.match(r'^\s*(\d+)\s+[\d.]+\s+([\d.]+ \w+)\s+([\d.]+ \w+)\s+([\d.]+ \w+)\s+\d+\s+([\d.]+ \w+)\s', line)
        if m:
            shown[int(m.group(1))] = m.group(2, 3, 4, 5)
    want_shown = {i: tuple(fmt_bytes(samples[i][(s, '')]) for s in ('rss_bytes', 'pss_bytes', 'swap_bytes',
                                                                     'census_bytes')) for i in samples}
    tap.ok(shown == want_shown, '%s: each progress line shows its sample\'s RSS, PSS, swap and census in binary '
           'units (%s)' % (name, ', '.join(shown.get(0, ()))), 'shown %r\nwant %r' % (shown, want_shown))

    # The planted kind: exactly the target's own sum of sys.getsizeof.
    got = [samples[i].get(('kind_bytes', KIND)) for i in range(COUNT)]
    want = [t['bytes'] for t in truths]
    tap.ok(got == want and all(t['count'] == (i + 1) * GROWTH for i, t in enumerate(truths)),
           '%s: the planted kind\'s bytes in each sample equal the target\'s sum of sys.getsizeof (%s)'
           % (name, want), 'csv %s' % got)
    got = [samples[i].get(('kind_count', KIND)) for i in range(COUNT)]
    want = [t['count'] for t in truths]
    tap.ok(got == want, '%s: ... and its count in each sample the target\'s own count (%s)' % (name, want),
           'csv %s' % got)
    steps = [want[i] - want[i - 1] for i in range(1, COUNT)]
    tap.ok(all(s > 0 and s % GROWTH == 0 for s in steps),
           '%s: so it grows by %s bytes a step: %d instances of %s bytes' % (
               name, steps, GROWTH, steps and steps[0] // GROWTH))

    # Totals against /proc and each other.
    bad, off = [], []
    for i, t in enumerate(truths):
        v = samples[i]
        rss, pss, swap = v[('rss_bytes', '')], v[('pss_bytes', '')], v[('swap_bytes', '')]
        off.append(rss - t['rss'])
        if abs(rss - t['rss']) > RSS_SLACK:
            bad.append('sample %d: rss %d, VmRSS %d' % (i, rss, t['rss']))
        if not 0 < pss <= rss or swap < 0:
            bad.append('sample %d: pss %d swap %d' % (i, pss, swap))
        if not (v[('census_bytes', '')] > t['bytes'] and v[('census_objects', '')] > t['count']):
            bad.append('sample %d: census %s' % (i, v))
        if not 0 < v[('pause_ms', '')] < 10000:
            bad.append('sample %d: pause %s' % (i, v[('pause_ms', '')]))
        kinds = sorted(((b, k) for (s, k), b in v.items() if s == 'kind_bytes'), reverse=True)
        if len(kinds) < TOP or KIND not in [k for b, k in kinds[:TOP]]:
            bad.append('sample %d: kinds %s' % (i, kinds))
    tap.ok(not bad, '%s: RSS within %d KiB of the target\'s VmRSS (off by %s KiB); 0 < PSS <= RSS; census above '
           'the planted population; a pause; at least %d kinds' % (name, RSS_SLACK // 1024, [int(o) // 1024 for o in off],
                                                                   TOP), '\n'.join(bad))

    # Time: ISO 8601 wall clock, seconds on the grid of the interval.
    try:
        walls = [datetime.datetime.fromisoformat(t) for n, t, s in stamps]
        iso = all(w.tzinfo is not None for w in walls) and walls == sorted(walls)
    except ValueError:
        iso = False
    tap.ok(iso, '%s: time is ISO 8601 with an offset, in order' % name, stamps)
    # On the grid, a sample is late only by its own wake-up; off the grid
    # (sleeping an interval after each sample) the 200 ms spent between
    # samples plus the census would put sample 1 near 0.75 s, between two
    # ticks.
    secs = [s for n, t, s in stamps]
    off = [abs(s - round(s / INTERVAL) * INTERVAL) for s in secs]
    tap.ok(secs[0] == 0 and all(b > a for a, b in zip(secs, secs[1:])) and max(off) < 0.15,
           '%s: seconds from 0, each sample on the %g s grid although 200+ ms pass between samples: %s'
           % (name, INTERVAL, secs))
    return csv_path


def check_late(tap, name, python, tmp):
    """-top 1 on a target whose planted kind starts small and becomes the
    largest after some growths: its series, bytes and counts, still runs
    from the first sample, each equal to the target's truth then."""
    # Starts under every version's largest kind (str: 0.3 MB, 1.07 MB on
    # pyenv's 3.11), ends above it: 24000 instances of 48-56 bytes.
    n, count = 3000, 8
    target = FifoTarget([python, WORKLOAD, str(n)], tmp)
    csv_path = os.path.join(tmp, 'late.csv')
    try:
        truths = [truth(target.ready)]
        rc, out, err = heapinspect(['attach', str(target.pid), '-f', SCRIPT, target.cmd, target.out, csv_path,
                                    str(count), '0.3', '1'], timeout=120)
        truths += [truth(l) for l in out.splitlines() if l.startswith('@@ REPLY done')]
    finally:
        target.close()
    if not tap.ok(rc == 0 and len(truths) == count, '%s: watch -top 1 while a small kind grows' % name, err):
        return
    _, samples, _ = read_csv(csv_path)
    first = [max((b, k) for (s, k), b in samples[i].items() if s == 'kind_bytes')[1] for i in range(count)]
    tap.ok(first[0] != KIND and first[-1] == KIND,
           '%s: the planted kind is not the largest in the first sample and is in the last' % name, first)
    got = [(samples[i].get(('kind_count', KIND)), samples[i].get(('kind_bytes', KIND))) for i in range(count)]
    want = [(t['count'], t['bytes']) for t in truths]
    tap.ok(got == want, '%s: yet its counts and bytes run from the first sample, each the target\'s own (%s)'
           % (name, [c for c, b in want]), 'csv %s\ntruth %s' % (got, want))
    rc, out, err = heapinspect(['-e', 'plot %s -out %s' % (csv_path, os.path.join(tmp, 'late.svg'))])
    tap.ok(rc == 0, '%s: plot reads the rows a late kind brought with it' % name, err)


def check_plot(tap, name, csv_path, tmp):
    svg = os.path.join(tmp, 'watch.svg')
    title = 'Leak <&> "test"'
    rc, out, err = heapinspect(['-e', 'plot %s -out %s -title {%s}' % (csv_path, svg, title)])
    tap.ok(rc == 0 and not err and out.startswith(svg + ': RSS, census, '),
           '%s: plot, without a target, exits 0 and says what it drew' % name, out + err)
    try:
        root = ET.parse(svg).getroot()
    except (OSError, ET.ParseError) as e:
        tap.ok(False, '%s: the SVG is well-formed XML' % name, e)
        return
    tap.ok(root.tag == SVG + 'svg', '%s: the SVG is well-formed XML with an <svg> root' % name)
    _, samples, stamps = read_csv(csv_path)
    want = {'RSS': [v[('rss_bytes', '')] for v in samples.values()],
            'census': [v[('census_bytes', '')] for v in samples.values()]}
    for v in samples.values():
        for (s, k), b in v.items():
            if s == 'kind_bytes':
                want.setdefault(k, []).append(b)
    lines = {}
    for p in root.iter(SVG + 'polyline'):
        t = p.find(SVG + 'title')
        lines[t.text if t is not None else None] = p.get('points', '').split()
    got = {k: len(v) for k, v in lines.items()}
    tap.ok(len(want) <= 10 and got == {k: len(v) for k, v in want.items()},
           '%s: one polyline per series (RSS, census, %d kinds), one point per sample it has'
           % (name, len(want) - 2), 'svg %s\ncsv %s' % (got, {k: len(v) for k, v in want.items()}))
    texts = {e.get('class'): [] for e in root.iter(SVG + 'text')}
    for e in root.iter(SVG + 'text'):
        texts[e.get('class')].append(e.text)
    ys = [parse_label(t) for t in texts.get('ytick', [])]
    xs = [parse_label(t) for t in texts.get('xtick', [])]
    top = max(max(v) for v in want.values())
    last = max(s for n, t, s in stamps)
    tap.ok(len(ys) >= 3 and None not in ys and ys[0] <= 0 and ys[-1] >= top and ys == sorted(ys),
           '%s: the byte axis\'s labels cover 0 to the largest value (%d): %s' % (name, top, texts.get('ytick')))
    tap.ok(len(xs) >= 2 and None not in xs and xs[0] <= 0 and xs[-1] >= last,
           '%s: the time axis\'s labels cover 0 to the last sample (%.3f s): %s' % (name, last, texts.get('xtick')))
    tap.ok(texts.get('title') == [title] and KIND in lines,
           '%s: the title and the planted kind\'s name survive XML escaping' % name,
           '%s %s' % (texts.get('title'), list(lines)))

    # A malformed CSV: line 5 loses a field.
    with open(csv_path) as f:
        text = f.read().split('\n')
    text[4] = text[4].rsplit(',', 1)[0]
    bad = os.path.join(tmp, 'bad.csv')
    with open(bad, 'w') as f:
        f.write('\n'.join(text))
    badsvg = os.path.join(tmp, 'bad.svg')
    rc, out, err = heapinspect(['-e', 'plot %s -out %s' % (bad, badsvg)])
    tap.ok(rc == 1 and err.count('\n') == 1 and ('%s:5: 5 fields, expected 6' % bad) in err
           and not os.path.exists(badsvg),
           '%s: plot of a malformed CSV exits 1 with one line naming the file and line, writes nothing'
           % name, 'exit %d\n%s' % (rc, err))


def check_signal(tap, name, python, tmp, sig, interval, wait_for):
    """watch -count 1000, then SIG once WAIT_FOR progress lines showed."""
    target = FifoTarget([python, WORKLOAD, '1000'], tmp)
    csv_path = os.path.join(tmp, 'sig.csv')
    signame = 'SIGINT' if sig == signal.SIGINT else 'SIGTERM'
    try:
        p = subprocess.Popen([HEAPINSPECT, 'attach', str(target.pid), '-e',
                              'watch -out %s -count 1000 -interval %g' % (csv_path, interval)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        lines = []
        deadline = time.time() + 60
        while len(lines) < wait_for and time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            if re.match(r'^\s+\d+\s+\d+\.\d{3}\s', line):
                lines.append(line)
        sent = time.time()
        p.send_signal(sig)
        try:
            rest, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            rest, err = p.communicate()
        took = time.time() - sent
        lines += [l for l in rest.splitlines() if re.match(r'^\s+\d+\s+\d+\.\d{3}\s', l)]
        run, st = target.running()
        reply = target.tell('grow')
    finally:
        target.close()
    try:
        header, samples, _ = read_csv(csv_path)
    except (OSError, ValueError) as e:
        header, samples = str(e), {}
    n = len(lines)
    what = 'Ctrl-C' if sig == signal.SIGINT else 'Terminated'
    tap.ok(p.returncode == 128 + sig and err.count('\n') == 1 and
           ('watch interrupted by %s after %d sample' % (what, n)) in err,
           '%s: %s after %d samples (every %g s): exit %d, one line saying how many were kept'
           % (name, signame, n, interval, 128 + sig), 'exit %s\n%s' % (p.returncode, err))
    tap.ok(n >= wait_for and sorted(samples) == list(range(n)) and complete(samples),
           '%s: after %s the CSV is whole: all %d samples shown, each with every total' % (name, signame, n),
           '%s %s' % (header, sorted(samples)))
    tap.ok(run and reply.startswith('done count=2000'),
           '%s: after %s the target runs (state %s) and answers' % (name, signame, st), reply)
    return took


def check_errors(tap, python, tmp):
    """Once: usage errors, a -command error, a target that exits."""
    rc, out, err = heapinspect(['-e', 'watch -out %s' % os.path.join(tmp, 'x.csv')])
    tap.ok(rc != 0 and 'not attached' in err, 'watch without a target: an error saying so', err)
    rc, out, err = heapinspect(['-e', 'watch -count 2'])
    tap.ok(rc != 0 and 'watch: -out FILE is required' in err, 'watch without -out: an error naming it', err)
    rc, out, err = heapinspect(['-e', 'watch -out x -interval 0'])
    tap.ok(rc != 0 and '-interval' in err, 'watch -interval 0: refused', err)
    rc, out, err = heapinspect(['-e', 'plot %s -out x.svg' % os.path.join(tmp, 'missing.csv')])
    tap.ok(rc == 1 and 'cannot read' in err and 'missing.csv' in err, 'plot of a missing file: exit 1', err)

    target = FifoTarget([python, WORKLOAD, '1000'], tmp)
    csv_path = os.path.join(tmp, 'err.csv')
    try:
        # An image of a process that still runs: watch must not mix that
        # process's /proc/PID/smaps_rollup with the image's frozen census.
        img = os.path.join(tmp, 'target.img')
        img_csv = os.path.join(tmp, 'image.csv')
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'dump %s' % img])
        tap.ok(rc == 0 and os.path.exists(img), 'dump an image of a live target for watch', err)
        rc, out, err = heapinspect(['image', img, '-e', 'watch -out %s -count 1' % img_csv])
        tap.ok(rc == 1 and err.count('\n') == 1 and 'saved image' in err and 'pid %d' % target.pid in err
               and not os.path.exists(img_csv),
               'watch on an image (its process still running) is refused: exit 1, one line, no CSV written',
               'exit %d\n%s%s' % (rc, out, err))
        os.unlink(img)
        rc, out, err = heapinspect(['attach', str(target.pid), '-e',
                                    'watch -out %s -count 5 -interval 0.1 -command {error boom}' % csv_path])
        _, samples, _ = read_csv(csv_path)
        run, st = target.running()
        tap.ok(rc == 1 and err.startswith('heapinspect: boom; watch stopped after 1 sample, kept in ')
               and len(samples) == 1 and run,
               'an error in -command ends the watch: exit 1, the reason, 1 sample kept, target running',
               'exit %d %s %s' % (rc, err, st))
        # Writes that fail: one line with the pid, what failed and why.
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'watch -out /dev/full -count 2 -quiet'])
        tap.ok(rc == 1 and err.count('\n') == 1 and 'pid %d: watch: cannot write sample 0 to /dev/full: No space '
               'left on device' % target.pid in err,
               'watch into a full disk (/dev/full): exit 1, one line with the pid and the cause', 'exit %d %s' % (rc, err))
        rc, out, err = heapinspect(['-e', 'plot %s -out /dev/full' % csv_path])
        tap.ok(rc == 1 and err.count('\n') == 1 and 'plot: cannot write /dev/full: No space left on device' in err,
               'plot onto a full disk (/dev/full): exit 1, one line with the cause', 'exit %d %s' % (rc, err))
        # The target exits between samples: exit 7, what was taken kept.
        rc, out, err = heapinspect(['attach', str(target.pid), '-e',
                                    'watch -out %s -count 5 -interval 0.1 -command {exec kill %d}'
                                    % (csv_path, target.pid)])
        _, samples, _ = read_csv(csv_path)
        tap.ok(rc == 7 and err.count('\n') == 1 and 'watch stopped after 1 sample, kept in' in err
               and 'pid %d' % target.pid in err and len(samples) == 1 and complete(samples),
               'a target that exits ends the watch: exit 7, one line, the samples kept',
               'exit %d %s %s' % (rc, err, samples))
    finally:
        target.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('watch', 'no CPython 3.8+ found')
    for i, python in enumerate(pythons):
        name = label(python)
        tmp = tempfile.mkdtemp(prefix='heapinspect-test-')
        try:
            try:
                csv_path = check_watch(tap, name, python, tmp)
            except Exception as e:
                tap.ok(False, '%s: the watch run' % name, e)
                csv_path = None
            if csv_path and os.path.exists(csv_path):
                check_plot(tap, name, csv_path, tmp)
            os.makedirs(os.path.join(tmp, 'late'))
            check_late(tap, name, python, os.path.join(tmp, 'late'))
            for sub in ('int', 'term', 'err'):
                os.makedirs(os.path.join(tmp, sub))
            check_signal(tap, name, python, os.path.join(tmp, 'int'), signal.SIGINT, 0.2, 3)
            # A long interval: SIGTERM must cut the sleep short.
            took = check_signal(tap, name, python, os.path.join(tmp, 'term'), signal.SIGTERM, 30, 1)
            tap.ok(took < 5, '%s: SIGTERM during a 30 s sleep between samples ends it at once (%.2f s)'
                   % (name, took))
            if i == 0:
                check_errors(tap, python, os.path.join(tmp, 'err'))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
