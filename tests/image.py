"""Memory images: `dump FILE`, then `heapinspect image FILE`, on every
CPython 3.8+ found.

The target (workloads/census_target.py, a varied heap) is stopped with
SIGSTOP so that it cannot change between the live census and the dump;
then it is killed, so the image must stand alone: the census of the image
must equal the live census row for row, by kind and by type.  Then the
ways an image file can be wrong: each must give one line naming the file,
and never a crash.
"""
import json
import os
import random
import shutil
import signal
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import SRCDIR, Tap, Target, find_pythons, heapinspect, label, proc_state  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'census_target.py')
HEADER = struct.Struct('<8sIIQqQII64s32s4096s4096s')


def rows(out):
    d = json.loads(out)
    return d['objects'], d['size'], [(r['kind'], r['count'], r['size']) for r in d['rows']]


def one_line_error(t, what, path, args, want_status=1, mention=None):
    rc, out, err = heapinspect(['image', path] + args)
    lines = [l for l in err.splitlines() if l.strip()]
    ok = rc == want_status and len(lines) == 1 and os.path.basename(path) in lines[0]
    if mention:
        ok = ok and mention in lines[0]
    t.ok(ok, '%s: exit %d with one line naming the file' % (what, want_status),
         'status %d, stderr:\n%s' % (rc, err))


# A target that corrupts its own heap: two items of a list replaced (with
# the C API, no offsets) by an unmapped address and by a pointer to bytes
# that are not an object.  The collector is off and the list never touched
# again, so the target lives on; heapinspect must skip both, count the rest
# exactly, and say the census is partial.
CORRUPT = r"""
import ctypes, gc, os, sys
gc.disable()
class Marker: pass
keep = [Marker() for _ in range(1000)]
victim = [Marker() for _ in range(10)]
holes = set(range(200))
for i in range(0, 200, 3):
    holes.discard(i)    # deleted entries: the set's dummy marker, not bad memory
junk = ctypes.create_string_buffer(b'\xa5' * 256)
setitem = ctypes.pythonapi.PyList_SetItem
setitem.argtypes = (ctypes.py_object, ctypes.c_ssize_t, ctypes.c_void_p)
setitem(victim, 3, 0x10)
setitem(victim, 7, ctypes.addressof(junk) + 64)
print('ready', flush=True)
sys.stdin.readline()
os._exit(0)
"""


def corrupt_heap(t, python):
    name = label(python)
    target = Target([python, '-c', CORRUPT])
    try:
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -all', '-e', 'puts #',
                                    '-e', 'heap -format json'])
        table, js = out.split('#\n', 1)
        d = json.loads(js)
        markers = [r for r in d['rows'] if r['kind'] == '__main__.Marker']
        t.ok(rc == 0 and markers and markers[0]['count'] == 1008,
             '%s: corrupt list: the 1008 intact Marker objects counted exactly' % name, err + table[:3000])
        t.ok(d.get('skipped', 0) == 2 and 'Partial: 2 ' in table,
             '%s: ... and the census says it is partial, with exactly the 2 planted pointers skipped (%s)' %
             (name, d.get('skipped')), table[-500:])
        t.ok(target.running()[0], '%s: ... and the target runs on' % name)
    finally:
        target.close()


def main():
    t = Tap()
    tmp = tempfile.mkdtemp(prefix='heapinspect-image-')
    pythons = find_pythons()
    images = {}
    try:
        for python in pythons:
            name = label(python)
            truth = os.path.join(tmp, name + '.truth')
            img = os.path.join(tmp, name + '.img')
            target = Target([python, WORKLOAD, truth])
            try:
                os.kill(target.pid, signal.SIGSTOP)
                # A stop signal takes effect asynchronously: attach once
                # the process is stopped, as the scenario says.
                for _ in range(200):
                    if proc_state(target.pid) == 'T':
                        break
                    time.sleep(0.01)
                rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap -all -format json',
                                            '-e', 'puts "#by type"', '-e', 'heap -all -by type -format json',
                                            '-e', 'puts "#saved [dump %s]"' % img])
                t.ok(rc == 0, '%s: live census and dump' % name, err)
                t.ok(proc_state(target.pid) == 'T', '%s: target still stopped (state %s) after dump' %
                     (name, proc_state(target.pid)))
                os.kill(target.pid, signal.SIGKILL)
            finally:
                target.close()
            if rc != 0:
                continue
            parts = out.split('#by type\n')
            live_kind = rows(parts[0])
            live_type = rows(parts[1].split('#saved')[0])
            saved = int(out.rsplit('#saved ', 1)[1].split()[0])
            t.ok(saved > 0 and os.path.getsize(img) >= saved, '%s: dump reports %d bytes, file holds them' %
                 (name, saved))
            images[name] = (python, img)
            rc, out, err = heapinspect(['image', img, '-e', 'heap -all -format json',
                                        '-e', 'puts "#by type"', '-e', 'heap -all -by type -format json'])
            t.ok(rc == 0, '%s: census of the image, the process gone' % name, err)
            if rc != 0:
                continue
            parts = out.split('#by type\n')
            img_kind, img_type = rows(parts[0]), rows(parts[1])
            t.ok(img_kind == live_kind, '%s: image census equals the live one by kind (%d objects, %d bytes)' %
                 (name, live_kind[0], live_kind[1]),
                 'live %s\nimage %s' % (live_kind[:2], img_kind[:2]))
            t.ok(img_type == live_type, '%s: ... and by type (%d rows)' % (name, len(live_type[2])))
            rc, out, err = heapinspect(['image', img, '-e', 'puts [info -format tcl]', '-e', 'dump %s.2' % img])
            t.ok(rc == 1 and 'already an image' in err and not os.path.exists(img + '.2'),
                 '%s: dump on an image is refused' % name, err)
            rc, out, err = heapinspect(['-e', 'attach -image %s' % img, '-e', 'heap -format json'])
            said, _, out = out.partition('\n')
            t.ok(rc == 0 and said.startswith('attached to ') and
                 rows(out) == (live_kind[0], live_kind[1], live_kind[2][:len(rows(out)[2])]),
                 '%s: attach -image from a script says what it opened, then reads it' % name, said + '\n' + err)

        for python in pythons:
            corrupt_heap(t, python)

        if not images:
            t.ok(False, 'no image to corrupt')
            return t.done()
        python, good = next(iter(images.values()))
        data = open(good, 'rb').read()
        fields = list(HEADER.unpack_from(data))

        def variant(what, blob):
            p = os.path.join(tmp, what.replace(' ', '-'))
            with open(p, 'wb') as f:
                f.write(blob)
            return p

        one_line_error(t, 'missing file', os.path.join(tmp, 'nonexistent'), ['-e', 'heap'])
        one_line_error(t, 'empty file', variant('empty', b''), ['-e', 'heap'])
        one_line_error(t, 'not an image', variant('text', b'hello world\n' * 2000), ['-e', 'heap'],
                       mention='not a heapinspect image')
        one_line_error(t, 'truncated header', variant('short', data[:100]), ['-e', 'heap'])
        one_line_error(t, 'truncated data', variant('cut', data[:HEADER.size + 4096]), ['-e', 'heap'],
                       mention='truncated')
        f2 = list(fields)
        f2[1] = 99
        one_line_error(t, 'future format', variant('format99', HEADER.pack(*f2) + data[HEADER.size:]),
                       ['-e', 'heap'], mention='format 99')
        f2 = list(fields)
        f2[6] = 1 << 31
        one_line_error(t, 'huge range count', variant('huge', HEADER.pack(*f2) + data[HEADER.size:]),
                       ['-e', 'heap'])
        # Two ranges swapped: out of order.
        tab = HEADER.size
        r0, r1 = data[tab:tab + 24], data[tab + 24:tab + 48]
        one_line_error(t, 'ranges out of order', variant('order', data[:tab] + r1 + r0 + data[tab + 48:]),
                       ['-e', 'heap'], mention='out of order')
        # The module replaced by another build: its build id differs.
        others = [img for (p, img) in images.values() if img != good]
        other_module = None
        for img in others:
            m = HEADER.unpack_from(open(img, 'rb').read(HEADER.size))[10].rstrip(b'\0')
            if m != fields[10].rstrip(b'\0'):
                other_module = m
                break
        if other_module:
            f2 = list(fields)
            f2[10] = other_module
            one_line_error(t, 'another build of Python', variant('other', HEADER.pack(*f2) + data[HEADER.size:]),
                           ['-e', 'heap'], want_status=6, mention='build')
        else:
            t.skip('another build of Python', 'only one interpreter')
        # Garbage in every range: one random byte per page.  The walk must
        # give a census or one error, never crash or hang.
        blob = bytearray(data)
        rnd = random.Random(1234)
        for i in range(fields[6]):
            addr, ln, off = struct.unpack_from('<QQQ', data, HEADER.size + 24 * i)
            for _ in range(max(1, ln // 4096)):
                k = off + rnd.randrange(ln)
                blob[k] = rnd.randrange(256)
        p = variant('scribbled', bytes(blob))
        rc, out, err = heapinspect(['image', p, '-e', 'heap'])
        errs = [l for l in err.splitlines() if l.strip()]
        t.ok((rc == 0 and 'Partition of a set' in out) or (rc in (1, 5) and len(errs) == 1),
             'one random byte per page changed: a census or one error, no crash (status %d)' % rc, err[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()



if __name__ == '__main__':
    sys.exit(main())
