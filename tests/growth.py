"""growth: the kinds that grew, over a watch file and since the previous
call, on every CPython 3.8+ found.

workloads/growth_target.py leaks 1000 Leaked objects a step for ever and
puts 4000 Cached objects a step into a cache bounded at 12000.  A watch
steps it between samples (in lock-step, through -command), so after 11
steps the cache has grown more than the leak over the whole file, and
nothing in the second half (its OrderedDict, whose table grows in jumps
as it churns, grows unsteadily).  growth -from the file must rank the
leak first, by size and by count, say it grows steadily with its count and
bytes exactly the target's, and say the cache levels off.  Then, live:
growth, one more step, growth again: the leak's 1000 new objects and
their bytes exactly, first, and the full cache not at all.
"""
import json
import os
import re
import sys
import tempfile
import shutil
import struct
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import SRCDIR, FifoTarget, Tap, find_pythons, heapinspect, label  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'growth_target.py')
SAMPLES = 12
SCRIPT = r'''
lassign $argv cmdfifo outfifo csv count
set to [open $cmdfifo w]
set from [open $outfifo r]
proc step {} {
    puts $::to step
    flush $::to
    puts "@@ [gets $::from]"
    flush stdout
}
watch -out $csv -count $count -interval 0.2 -top 10 -quiet -command step
puts "#--"
puts [growth -from $csv -format json]
puts "#--"
puts [growth -from $csv -by count -format json]
puts "#--"
puts [growth -from $csv]
set first [growth -format json]
step
puts "#--"
puts [growth -format json]
close $to
close $from
'''


def png_pixels(path):
    """(width, height, {(r, g, b): how many}) of an 8-bit RGB or RGBA
    PNG, its rows unfiltered as the PNG specification says."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        return 0, 0, {}
    at, idat, w, h, kind = 8, b'', 0, 0, 2
    while at + 8 <= len(data):
        n, tag = struct.unpack('>I4s', data[at:at + 8])
        body = data[at + 8:at + 8 + n]
        if tag == b'IHDR':
            w, h, depth, kind = struct.unpack('>IIBB', body[:10])
        elif tag == b'IDAT':
            idat += body
        at += 12 + n
    bpp = 4 if kind == 6 else 3
    raw = zlib.decompress(idat)
    stride, prev, count = w * bpp, bytearray(w * bpp), {}
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                row[i] = (row[i] + a) & 255
            elif f == 2:
                row[i] = (row[i] + b) & 255
            elif f == 3:
                row[i] = (row[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for i in range(0, stride, bpp):
            px = tuple(row[i:i + 3])
            count[px] = count.get(px, 0) + 1
        prev = row
    return w, h, count


def truth(line):
    return {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', line)}


def check(tap, python, tmp):
    name = label(python)
    script = os.path.join(tmp, 'growth.tcl')
    with open(script, 'w') as f:
        f.write(SCRIPT)
    csv = os.path.join(tmp, 'growth.csv')
    target = FifoTarget([python, WORKLOAD], tmp)
    try:
        rc, out, err = heapinspect(['attach', str(target.pid), '-f', script, target.cmd, target.out, csv,
                                    str(SAMPLES)], timeout=300)
    finally:
        target.close()
    truths = [truth(l) for l in out.splitlines() if l.startswith('@@ done')]
    parts = out.split('#--\n')
    if not tap.ok(rc == 0 and len(parts) == 5 and len(truths) == SAMPLES, '%s: watch, growth -from, growth live'
                  % name, err + out[-2000:]):
        return
    by_size, by_count, table, live = json.loads(parts[1]), json.loads(parts[2]), parts[3], json.loads(parts[4])
    rows = {r['kind']: r for r in by_size['rows']}
    leak, cache = rows.get('__main__.Leaked', {}), rows.get('__main__.Cached', {})
    end = truths[-2]	# the watch's last sample: after SAMPLES - 1 steps
    tap.ok(cache.get('dsize', 0) > leak.get('dsize', 0) and cache.get('count') == end['cached'],
           '%s: over the whole file the cache grew more than the leak (%s against %s bytes)'
           % (name, cache.get('dsize'), leak.get('dsize')), json.dumps(by_size)[:1500])
    tap.ok(by_size['rows'] and by_size['rows'][0]['kind'] == '__main__.Leaked',
           '%s: yet growth -from ranks the leak first: steady growth, then the rate in the second half' % name,
           [(r['kind'], r['size_per_min'], r['trend']) for r in by_size['rows']])
    tap.ok(leak.get('trend') == 'grows steadily' and leak.get('count') == end['leaked'] and
           leak.get('dcount') == end['leaked'] and leak.get('size') == end['leaked_bytes'],
           '%s: the leak grows steadily, its count and bytes the target\'s own (%d, %d bytes)'
           % (name, end['leaked'], end['leaked_bytes']), leak)
    tap.ok(cache.get('trend') == 'levels off' and cache.get('size') == end['cached_bytes'],
           '%s: the cache levels off, its bytes the target\'s own (%d)' % (name, end['cached_bytes']), cache)
    tap.ok(by_count['rows'] and by_count['rows'][0]['kind'] == '__main__.Leaked' and by_count['by'] == 'count',
           '%s: by count too the leak comes first' % name, [(r['kind'], r['count_per_min']) for r in by_count['rows']])
    first = [l for l in table.splitlines() if re.match(r'^\s+0\s', l)]
    tap.ok(table.startswith('Growth in %s: %d samples over ' % (csv, SAMPLES)) and first and
           first[0].rstrip().endswith('grows steadily   __main__.Leaked'),
           '%s: the table says over what, and its first row is the leak, growing steadily' % name, table)
    lrows = live['rows']
    step = truths[-1]['leaked'] - end['leaked']
    tap.ok(lrows and lrows[0]['kind'] == '__main__.Leaked' and lrows[0]['dcount'] == step and
           lrows[0]['dsize'] == truths[-1]['leaked_bytes'] - end['leaked_bytes'] and
           'since the previous call' in live['from'],
           '%s: live, since the previous call: the leak\'s %d new objects and their bytes, first' % (name, step),
           lrows[:3])
    tap.ok(not any(r['kind'] == '__main__.Cached' for r in lrows),
           '%s: ... and the full cache, which did not grow, not at all' % name, lrows)
    # plot ranks the kinds as growth does: the leak's is the first line
    # after the totals; -by size orders by peaks.
    svg = os.path.join(tmp, 'growth.svg')
    order = {}
    for by in ('growth', 'size'):
        rc, out, err = heapinspect(['-e', 'plot %s -out %s -by %s' % (csv, svg, by)])
        try:
            root = ET.parse(svg).getroot()
        except (OSError, ET.ParseError):
            root = None
        ns = '{http://www.w3.org/2000/svg}'
        order[by] = [p.find(ns + 'title').text for p in root.iter(ns + 'polyline')] if rc == 0 and root is not None else []
        ticks = [t.text for t in root.iter(ns + 'text') if t.get('class') == 'ytick'] if root is not None else []
    tap.ok(order['growth'][:3] == ['RSS', 'census', '__main__.Leaked'],
           '%s: plot draws the leak first after the totals' % name, order['growth'])
    peaks = [k for k in order['size'][2:]]
    # (the cache's OrderedDict, over 2 MiB, peaks higher than the leak)
    tap.ok(order['size'][:2] == ['RSS', 'census'] and peaks and peaks[0] != '__main__.Leaked',
           '%s: plot -by size orders the kinds by their peaks instead' % name, order)
    tap.ok(ticks and all(re.match(r'^[\d.]+ (B|KiB|MiB|GiB)$', t) for t in ticks),
           '%s: the byte axis in binary units, as the tables: %s' % (name, ticks[-1:]), ticks)
    # The same chart as a PNG: its size, and the first kind's colour (the
    # SVG's third line) drawn, in more pixels than its legend's 24 (the
    # rest of its line is blended with the white by antialiasing).
    png = os.path.join(tmp, 'growth.png')
    rc, out, err = heapinspect(['-e', 'plot %s -out %s' % (csv, png)])
    w, h, pixels = png_pixels(png) if rc == 0 else (0, 0, {})
    first = [p for p in root.iter('{http://www.w3.org/2000/svg}polyline')][2].get('stroke') if root is not None else ''
    rgb = tuple(int(first[i:i + 2], 16) for i in (1, 3, 5)) if first else None
    tap.ok((w, h) == (1000, 560) and rgb and pixels.get(rgb, 0) > 50 and pixels.get((255, 255, 255), 0) > 400000,
           '%s: plot -out FILE.png writes a 1000x560 PNG with the leak\'s line in its colour (%d pixels of %s)'
           % (name, pixels.get(rgb, 0) if rgb else 0, first), 'exit %d %s %s' % (rc, err, (w, h)))


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('growth', 'no CPython 3.8+ found')
    for python in pythons:
        tmp = tempfile.mkdtemp(prefix='heapinspect-growth-')
        try:
            check(tap, python, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
