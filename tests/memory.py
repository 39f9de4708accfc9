"""`memory` and `shm` against what the target planted and what /proc and
pymalloc say, on every CPython 3.8+ found.

The workload (workloads/memory_target.py) plants a 64 MiB /dev/shm
segment that a second process maps too, a 100 MiB mapped data file, 200
MiB from C's malloc, 16 MiB of small mallocs from a second thread and
200,000 Python objects, every page touched; it records what it planted
and pymalloc's own statistics (sys._debugmallocstats).  Each line of the
reconciliation must match its truth within the tolerance stated by its
check.
"""
import csv
import ctypes
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import HEAPINSPECT, Tap, Target, find_pythons, heapinspect, label, tmpfile, within, SRCDIR  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'memory_target.py')
MiB = 1 << 20


def rollup_rss(pid):
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            if line.startswith('Rss:'):
                return int(line.split()[1]) * 1024
    return 0


def mapping_rss(pid, path):
    """The Rss of PID's mappings of PATH, from its smaps."""
    total, inside = 0, False
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            if re.match(r'[0-9a-f]+-[0-9a-f]+ ', line):
                inside = line.rstrip('\n').endswith(path) or line.rstrip('\n').endswith(path + ' (deleted)')
            elif inside and line.startswith('Rss:'):
                total += int(line.split()[1]) * 1024
    return total


def mallocstats(path):
    """sys._debugmallocstats' numbers: per size class (blocks in use,
    free blocks), arenas allocated now, bytes in allocated blocks."""
    classes = {}
    arenas = used_bytes = None
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$', line)
            if m:
                idx, size, pools, used, avail = map(int, m.groups())
                classes[size] = (pools, used, avail)
            m = re.match(r'# arenas allocated current\s*=\s*([\d,]+)', line)
            if m:
                arenas = int(m.group(1).replace(',', ''))
            m = re.match(r'# bytes in allocated blocks\s*=\s*([\d,]+)', line)
            if m:
                used_bytes = int(m.group(1).replace(',', ''))
    return classes, arenas, used_bytes


def cls(mem, key):
    for c in mem['classes']:
        if c['class'] == key:
            return c
    return {'rss': 0, 'size': 0, 'pss': 0, 'parts': 0, 'items': []}


def item(c, name):
    for it in c['items']:
        if it['name'] == name:
            return it
    return None


def remove_sysv(truth_path):
    """Remove the SysV segment the workload keeps, should it have been
    killed before removing it (a SysV segment outlives its process)."""
    try:
        with open(truth_path) as f:
            shmid = json.load(f).get('sysv_kept_shmid', -1)
    except (OSError, ValueError):
        return
    if shmid >= 0:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        libc.shmctl(shmid, 0, None)  # IPC_RMID; EINVAL if already gone


def check(tap, python, fallback=False):
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, WORKLOAD, truth_path])
    except Exception as e:
        tap.ok(False, '%s: start the memory workload' % name, e)
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        pid = target.pid
        # The data file's pages are clean page cache: memory pressure from
        # elsewhere may evict some.  So its truth, and RSS's, is what smaps
        # says just before and just after heapinspect reads it.
        rss_before, file_before = rollup_rss(pid), mapping_rss(pid, truth['data_path'])
        rc, out, err = heapinspect(['attach', str(pid), '-e', 'heap -format json', '-e', 'memory -format json',
                                    '-e', 'shm -format json'])
        rss_after, file_after = rollup_rss(pid), mapping_rss(pid, truth['data_path'])
        if not tap.ok(rc == 0 and len(out.splitlines()) == 3, '%s: heap, memory and shm -format json exit 0' % name,
                      out[-2000:] + err):
            return
        run, state = target.running()
        tap.ok(run, '%s: target running after memory and shm (state %s)' % (name, state))
        heap, mem, shm = [json.loads(line) for line in out.splitlines()]

        # Totals: what smaps_rollup says, and the classes add up to it.
        rss = mem['rollup']['rss']
        tap.ok(min(rss_before, rss_after) * 0.99 <= rss <= max(rss_before, rss_after) * 1.01,
               '%s: RSS %d equals smaps_rollup (%d before, %d after) within 1%%' % (name, rss, rss_before, rss_after))
        total = sum(c['rss'] for c in mem['classes'])
        tap.ok(within(total, rss, 0.01) and total == mem['total']['rss'],
               '%s: the classes add up to the RSS within 1%% (%d of %d)' % (name, total, rss))
        tap.ok(mem['measured'], '%s: shared mappings measured with pagemap' % name)

        # Shared memory: 64 MiB, all resident, by name.
        shm_c = cls(mem, 'shm')
        seg = item(shm_c, '/dev/shm/' + truth['shm_name'])
        tap.ok(seg is not None and seg.get('kind') == 'posix' and seg['size'] == truth['shm_size']
               and within(seg['rss'], truth['shm_size'], 0.01),
               '%s: shared memory lists /dev/shm/%s, 64 MiB mapped and resident within 1%%' % (name, truth['shm_name']),
               json.dumps(shm_c['items']))
        shm_total = truth['shm_size'] + truth['memfd_size'] + truth['shared_anon_size'] \
            + (truth['sysv_size'] if truth['sysv_shmid'] >= 0 else 0) \
            + (truth['sysv_kept_size'] if truth['sysv_kept_shmid'] >= 0 else 0)
        tap.ok(within(shm_c['rss'], shm_total, 0.02),
               '%s: shared memory line %d within 2%% of the %d bytes planted' % (name, shm_c['rss'], shm_total))
        mfd = item(shm_c, truth['memfd_name'])
        tap.ok(mfd is not None and mfd.get('kind') == 'memfd' and mfd['rss'] == truth['memfd_size'] and mfd['deleted'],
               '%s: shared memory lists the 1 MiB memfd' % name, json.dumps(shm_c['items']))
        if truth['sysv_shmid'] >= 0 and truth['sysv_kept_shmid'] >= 0:
            # The kernel names every SysV mapping "... (deleted)": only the
            # segment removed (IPC_RMID) may be shown so.
            gone = item(shm_c, '/SYSV00000000')
            kept = item(shm_c, '/SYSV%08x' % truth['sysv_kept_key'])
            tap.ok(gone is not None and gone.get('kind') == 'sysv' and gone['rss'] == truth['sysv_size']
                   and gone['deleted'],
                   '%s: shared memory lists the 1 MiB SysV segment, removed' % name, json.dumps(shm_c['items']))
            tap.ok(kept is not None and kept.get('kind') == 'sysv' and kept['rss'] == truth['sysv_kept_size']
                   and not kept['deleted'],
                   '%s: shared memory lists the 2 MiB SysV segment, not removed' % name, json.dumps(shm_c['items']))
        else:
            tap.skip('%s: shared memory lists the SysV segments' % name, 'shmget failed in the target')
        anon = [it for it in shm_c['items'] if it.get('kind') == 'shared-anonymous']
        tap.ok(len(anon) == 1 and anon[0]['rss'] == truth['shared_anon_size'] and not anon[0]['deleted'],
               '%s: shared memory lists 1 MiB of shared anonymous memory, not deleted' % name,
               json.dumps(shm_c['items']))
        # PSS: the peer maps every page too, so this process's share is half.
        tap.ok(seg is not None and within(seg['pss'], truth['shm_size'] // 2, 0.02),
               '%s: the segment\'s PSS is half its RSS (one peer)' % name, seg and seg['pss'])

        # The data file: 100 MiB resident, under mapped files.
        files = cls(mem, 'files')
        df = item(files, truth['data_path'])
        lo, hi = min(file_before, file_after), max(file_before, file_after)
        tap.ok(df is not None and df['size'] == truth['data_size'] and df['deleted']
               and lo * 0.99 - 64 * 1024 <= df['rss'] <= hi * 1.01 + 64 * 1024,
               '%s: mapped files list the 100 MiB data file, resident %s as smaps says (%d, %d) within 1%%'
               % (name, df and df['rss'], file_before, file_after), json.dumps(files['items']))
        if lo >= truth['data_size'] * 0.99:
            tap.ok(within(df['rss'] if df else 0, truth['data_size'], 0.01),
                   '%s: the data file, read through, is resident: 100 MiB within 1%%' % name)
        else:
            tap.skip('%s: the data file is resident' % name,
                     'memory pressure evicted part of its page cache (%d of %d bytes left)' % (lo, truth['data_size']))
        tap.ok(files['rss'] >= lo * 0.99 and files['rss'] <= hi + 8 * MiB,
               '%s: mapped files line %d is the data file and little more' % (name, files['rss']))

        # C's malloc: the 200 MiB block is an mmap'd chunk, the thread's
        # 16 MiB a thread arena; neither is a Python object.
        mm = cls(mem, 'malloc_mmap')
        tap.ok(mm['rss'] >= truth['malloc_size'] and mm['rss'] <= truth['malloc_size'] + 16 * MiB,
               '%s: malloc mmap\'d chunks %d hold the 200 MiB block' % (name, mm['rss']))
        ta = cls(mem, 'malloc_arenas')
        tap.ok(ta['rss'] >= truth['thread_malloc'] and ta['rss'] <= truth['thread_malloc'] + 8 * MiB,
               '%s: malloc thread arenas %d hold the thread\'s 16 MiB' % (name, ta['rss']))
        planted = shm_total + lo + truth['malloc_size'] + truth['thread_malloc']
        tap.ok(mem['unexplained'] >= planted * 0.99,
               '%s: not explained by Python objects %d >= what C, the file and shm hold (%d)'
               % (name, mem['unexplained'], planted))
        tap.ok(mem['unexplained'] == max(rss - mem['census']['size'], 0),
               '%s: not explained = RSS - live objects' % name)

        # Stacks: one per thread.
        st = cls(mem, 'stacks')
        tap.ok(mem['threads'] == truth['threads'] and st['parts'] == truth['threads'],
               '%s: %d thread stacks for %d threads' % (name, st['parts'], truth['threads']),
               'threads seen %d' % mem['threads'])

        # Python objects: the census is heap's.
        tap.ok(mem['census']['objects'] == heap['objects'] and mem['census']['size'] == heap['size'],
               '%s: live objects equal heap\'s total (%d objects, %d bytes)' % (name, heap['objects'], heap['size']),
               json.dumps(mem['census']))

        # pymalloc against its own _debugmallocstats.
        pm = mem['pymalloc']
        classes, arenas, used_bytes = mallocstats(truth_path + '.mallocstats')
        if not tap.ok('arenas' in pm, '%s: pymalloc state read' % name, pm.get('error')):
            return
        tap.ok(pm['arenas'] == arenas, '%s: %d arenas, as _debugmallocstats says (%s)' % (name, pm['arenas'], arenas))
        tap.ok(pm['bad_arenas'] == 0 and pm['bad_pools'] == 0, '%s: no inconsistent arena or pool' % name,
               '%d arenas, %d pools' % (pm['bad_arenas'], pm['bad_pools']))
        want_blocks = sum(u for p, u, a in classes.values())
        tap.ok(within(pm['blocks_used'], want_blocks, 0.005),
               '%s: blocks in use %d within 0.5%% of _debugmallocstats\' %d' % (name, pm['blocks_used'], want_blocks))
        tap.ok(used_bytes is not None and within(pm['used_bytes'], used_bytes, 0.005),
               '%s: bytes in blocks in use %d within 0.5%% of %s' % (name, pm['used_bytes'], used_bytes))
        bad = []
        for sc in pm['size_classes']:
            p, u, a = classes.get(sc['size'], (0, 0, 0))
            if u >= 1000 and not within(sc['used'], u, 0.05):
                bad.append('size %d: %d blocks in use, _debugmallocstats %d' % (sc['size'], sc['used'], u))
        big = sum(1 for p, u, a in classes.values() if u >= 1000)
        tap.ok(not bad and big >= 3,
               '%s: each of %d size classes with >= 1000 blocks within 5%%' % (name, big), '\n'.join(bad))
        pa = cls(mem, 'pymalloc')
        tap.ok(pa['size'] == pm['arenas'] * pm['arena_size'] and pa['rss'] <= pa['size']
               and pa['rss'] >= pm['used_bytes'] * 0.9,
               '%s: the pymalloc arenas line maps %d arenas of %d bytes, resident %d' %
               (name, pm['arenas'], pm['arena_size'], pa['rss']))

        # shm: the segment by name, its size, and the peer.
        segs = {s['name']: s for s in shm['segments']}
        s = segs.get('/dev/shm/' + truth['shm_name'])
        tap.ok(s is not None and s['size'] == truth['shm_size'] and s['kind'] == 'posix'
               and within(s['rss'], truth['shm_size'], 0.01),
               '%s: shm lists %s, 64 MiB, resident' % (name, truth['shm_name']), json.dumps(shm['segments']))
        peers = {p['pid']: p['comm'] for p in (s['peers'] if s else [])}
        tap.ok(truth['peer_pid'] in peers, '%s: shm: the peer %d maps it too' % (name, truth['peer_pid']),
               json.dumps(s))
        tap.ok(pid not in peers, '%s: shm: the target is not its own peer' % name)
        m = segs.get(truth['memfd_name'])
        tap.ok(m is not None and m['kind'] == 'memfd' and m.get('size') == truth['memfd_size'] and not m['peers'],
               '%s: shm lists the memfd, 1 MiB, no peer' % name, json.dumps(m))
        if truth['sysv_shmid'] >= 0 and truth['sysv_kept_shmid'] >= 0:
            sv = {g['inode']: g for g in shm['segments'] if g['kind'] == 'sysv'}
            g = sv.get(truth['sysv_shmid'], {})
            info = g.get('sysv', {})
            tap.ok(info.get('shmid') == truth['sysv_shmid'] and info.get('size') == truth['sysv_size']
                   and info.get('nattch') == 1 and info.get('cpid') == pid and g.get('size') == truth['sysv_size']
                   and info.get('removed') and g.get('deleted'),
                   '%s: shm lists SysV shmid %d from /proc/sysvipc/shm: 1 MiB, 1 attached, created by the target, '
                   'removed' % (name, truth['sysv_shmid']), json.dumps(list(sv.values())))
            g = sv.get(truth['sysv_kept_shmid'], {})
            info = g.get('sysv', {})
            tap.ok(info.get('key') == truth['sysv_kept_key'] and info.get('size') == truth['sysv_kept_size']
                   and info.get('removed') is False and g.get('deleted') is False,
                   '%s: shm lists SysV shmid %d, key 0x%08x, 2 MiB, not removed'
                   % (name, truth['sysv_kept_shmid'], truth['sysv_kept_key']), json.dumps(list(sv.values())))
        anon = [g for g in shm['segments'] if g['kind'] == 'shared-anonymous']
        tap.ok(len(anon) == 1 and anon[0]['rss'] == truth['shared_anon_size'] and not anon[0]['deleted'],
               '%s: shm lists the shared anonymous memory, not deleted' % name, json.dumps(anon))
        vfs = os.statvfs('/proc/%d/root/dev/shm' % pid)
        d = shm.get('devshm', {})
        tap.ok(d.get('size') == vfs.f_blocks * vfs.f_frsize and d.get('used', 0) >= truth['shm_size'],
               '%s: shm: /dev/shm size %s, used %s' % (name, d.get('size'), d.get('used')), json.dumps(d))

        # Where process_vm_readv is forbidden (seccomp), the same through
        # /proc/PID/mem: pool headers and chunk headers are gathered there.
        noreadv = os.environ.get('NOREADV')
        if fallback and noreadv and os.access(noreadv, os.X_OK) and subprocess.call([noreadv, 'true']) == 0:
            p = subprocess.run([noreadv, HEAPINSPECT, 'attach', str(pid), '-e', 'memory -format json'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
            m2 = json.loads(p.stdout) if p.returncode == 0 else {}
            same = m2 and all(cls(m2, k)['rss'] == cls(mem, k)['rss']
                              for k in ('pymalloc', 'malloc_mmap', 'malloc_arenas', 'stacks', 'shm')) \
                and m2['pymalloc'].get('blocks_used') == pm['blocks_used'] and m2['threads'] == mem['threads']
            tap.ok(same, '%s: without process_vm_readv (/proc/PID/mem) memory finds the same' % name,
                   p.stderr + p.stdout[-1500:])
        elif fallback:
            tap.skip('%s: memory without process_vm_readv' % name, 'no seccomp helper (NOREADV)')

        # The table, the CSV and the Tcl dict say the same.
        rc, out, err = heapinspect(['attach', str(pid), '-e', 'memory', '-e', 'memory -format csv',
                                    '-e', 'puts [dict get [memory -format tcl] census objects]', '-e', 'shm'])
        tap.ok(rc == 0 and 'shared memory' in out and ('/dev/shm/' + truth['shm_name']) in out
               and 'not explained by Python objects' in out and 'pymalloc arenas' in out,
               '%s: memory prints its table' % name, out + err)
        csv = [line.split(',') for line in out.splitlines() if line.startswith('class,')]
        tap.ok(len(csv) == len(mem['classes']) and any(r[1] == 'shm' and within(int(r[4]), shm_total, 0.02)
                                                       for r in csv),
               '%s: memory -format csv has every class' % name, out)
        tap.ok(('\n%d\n' % heap['objects']) in out, '%s: memory -format tcl returns the census count' % name)
        tap.ok(('Also mapped by' in out) and ('%d (' % truth['peer_pid']) in out and '/dev/shm as pid' in out,
               '%s: shm prints the segment, its peer and /dev/shm' % name)
        if truth['sysv_shmid'] >= 0 and truth['sysv_kept_shmid'] >= 0:
            kept = '/SYSV%08x' % truth['sysv_kept_key']
            tables = [line for line in out.splitlines() if not line.startswith('item,')]  # not the CSV
            kept_lines = [line for line in tables if kept in line]
            gone_lines = [line for line in tables if '/SYSV00000000' in line]
            # memory's table ("sysv" or "sysv, removed"), then shm's.
            tap.ok(len(kept_lines) == 2 and not any('removed' in line for line in kept_lines)
                   and len(gone_lines) == 2 and all('removed' in line for line in gone_lines),
                   '%s: the tables show the removed SysV segment removed, the kept one not' % name,
                   '\n'.join(kept_lines + gone_lines))
        tap.ok(not any('/dev/zero' in line and 'deleted' in line for line in out.splitlines()),
               '%s: the tables do not call shared anonymous memory deleted' % name)
        run, state = target.running()
        tap.ok(run, '%s: target running after the tables (state %s)' % (name, state))
    finally:
        target.close()
        remove_sysv(truth_path)
        for p in (truth_path, truth_path + '.mallocstats'):
            if os.path.exists(p):
                os.unlink(p)


NO_PYMALLOC = ('import sys\n'
               'data = [bytes(100) for i in range(10000)]\n'
               'print("ready", flush=True)\n'
               'sys.stdin.readline()\n')


def check_without_pymalloc(tap, python):
    """PYTHONMALLOC=malloc: no arenas, and memory says so."""
    name = label(python)
    saved = os.environ.get('PYTHONMALLOC')
    os.environ['PYTHONMALLOC'] = 'malloc'
    try:
        target = Target([python, '-c', NO_PYMALLOC], timeout=30)
    finally:
        if saved is None:
            del os.environ['PYTHONMALLOC']
        else:
            os.environ['PYTHONMALLOC'] = saved
    image = tmpfile('.img')
    try:
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'memory -format json',
                                    '-e', 'dump %s' % image])
        mem = json.loads(out.splitlines()[0]) if rc == 0 and out else {}  # then dump's byte count
        pm = mem.get('pymalloc', {})
        tap.ok(rc == 0 and pm.get('arenas') == 0 and cls(mem, 'pymalloc')['size'] == 0
               and mem['census']['objects'] >= 10000,
               '%s (PYTHONMALLOC=malloc): no pymalloc arenas, objects still counted' % name, out[-1500:] + err)
        # A saved image has no /proc: one line naming the image and its
        # pid, no table, and an errorCode scripts can test.
        who = '%s (pid %d)' % (os.path.basename(image), target.pid)
        for cmd in ('memory', 'shm'):
            rc, out, err = heapinspect(['image', image, '-e', cmd])
            tap.ok(rc == 1 and not out and len(err.strip().splitlines()) == 1 and 'an image has no /proc' in err
                   and who in err,
                   '%s: %s on an image says, naming %s, it needs the live process' % (name, cmd, who), out + err)
            rc, out, err = heapinspect(['image', image, '-e', 'catch {%s} m o; puts [dict get $o -errorcode]' % cmd])
            tap.ok(rc == 0 and out.strip() == 'HEAPINSPECT RUNTIME',
                   '%s: %s on an image sets errorCode HEAPINSPECT RUNTIME' % (name, cmd), out + err)
    finally:
        target.close()
        os.unlink(image)


SPARSE = ('import mmap, struct, sys\n'
          'size, chunk_at = int(sys.argv[1]), int(sys.argv[2])\n'
          'flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0x4000)\n'
          'm = mmap.mmap(-1, size, flags=flags)\n'
          'for off in range(0, size, size // 64):\n'
          '    m[off] = 1\n'
          '# A page that looks like a 1 MiB chunk of glibc mmap\'d: prev_size 0, size | IS_MMAPPED\n'
          'm[chunk_at:chunk_at + 16] = struct.pack("QQ", 0, (1 << 20) | 2)\n'
          'for off in range(chunk_at, chunk_at + (1 << 20), mmap.PAGESIZE):\n'
          '    m[off + 64] = 1\n'
          'print("ready", flush=True)\n'
          'sys.stdin.readline()\n')


SHMID0 = ('import ctypes, json, os, sys\n'
          'libc = ctypes.CDLL(None, use_errno=True)\n'
          'libc.shmat.restype = ctypes.c_void_p\n'
          'libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]\n'
          'libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]\n'
          'shmid = libc.shmget(0, 1 << 20, 0o1000 | 0o600)\n'
          'addr = libc.shmat(shmid, None, 0)\n'
          'ctypes.memset(addr, 1, 1 << 20)\n'
          'libc.shmctl(shmid, 0, None)\n'
          'r, w = os.pipe()\n'
          'child = os.fork()\n'
          'if child == 0:\n'
          '    os.close(w)\n'
          '    os.read(r, 1)  # until the parent exits; the attachment was inherited\n'
          '    os._exit(0)\n'
          'with open(sys.argv[1], "w") as f:\n'
          '    json.dump({"shmid": shmid, "child": child}, f)\n'
          'print("ready", flush=True)\n'
          'sys.stdin.readline()\n')


def check_shmid0(tap, python):
    """In a new IPC namespace the first SysV segment gets shmid 0, which
    its mappings show as inode 0: it is a segment all the same, and a
    forked child that inherited the attachment is its peer."""
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target(['unshare', '--ipc', python, '-c', SHMID0, truth_path], timeout=30)
    except Exception as e:
        tap.skip('%s: shm finds the peer of SysV shmid 0' % name, 'cannot start in a new IPC namespace: %s'
                 % str(e)[-200:])
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        if truth['shmid'] != 0:
            tap.skip('%s: shm finds the peer of SysV shmid 0' % name, 'shmid %d, not 0' % truth['shmid'])
            return
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'shm -format json'])
        shm = json.loads(out) if rc == 0 and out else {}
        sv = [g for g in shm.get('segments', []) if g['kind'] == 'sysv']
        tap.ok(len(sv) == 1 and sv[0]['inode'] == 0 and [p['pid'] for p in sv[0]['peers']] == [truth['child']],
               '%s: shm finds the peer (pid %d) of SysV shmid 0' % (name, truth['child']), out[-1500:] + err)
    finally:
        target.close()
        os.unlink(truth_path)


ODD_NAMES = ('import json, mmap, os, shutil, sys, tempfile\n'
             'top = tempfile.mkdtemp(prefix="heapinspect-csv-", dir=os.environ.get("HI_DATA_DIR"))\n'
             'deep = os.path.join(top, "x" * 200, "y" * 200, "z" * 200)\n'
             'os.makedirs(deep)\n'
             'path = os.path.join(deep, \'a "quoted", name.dat\')\n'
             'with open(path, "wb") as f:\n'
             '    f.write(b"z" * 65536)\n'
             'fd = os.open(path, os.O_RDONLY)\n'
             'data = mmap.mmap(fd, 65536, prot=mmap.PROT_READ)\n'
             'os.close(fd)\n'
             'shm = \'/dev/shm/heapinspect "csv", %d\' % os.getpid()\n'
             'fd = os.open(shm, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)\n'
             'os.ftruncate(fd, 65536)\n'
             'seg = mmap.mmap(fd, 65536)\n'
             'os.close(fd)\n'
             'seg[0] = data[0]\n'
             'os.unlink(shm)  # the mappings keep both: nothing to leak\n'
             'shutil.rmtree(top)\n'
             'with open(sys.argv[1], "w") as f:\n'
             '    json.dump({"data": path, "shm": shm}, f)\n'
             'print("ready", flush=True)\n'
             'sys.stdin.readline()\n')


def check_csv_names(tap, python):
    """Names with a quote and commas, and a path of over 600 bytes: the
    CSV of memory and shm must give them whole, as a CSV reader reads
    them back."""
    name = label(python)
    truth_path = tmpfile('.json')
    try:
        target = Target([python, '-c', ODD_NAMES, truth_path], timeout=30)
    except Exception as e:
        tap.ok(False, '%s: start the odd-names target' % name, e)
        return
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'memory -format csv', '-e', 'shm -format csv'])
        rows = list(csv.reader(io.StringIO(out)))
        items = [r[2] for r in rows if len(r) == 8 and r[0] == 'item']
        segs = [r[0] for r in rows if len(r) == 8 and r[1] == 'posix']
        tap.ok(rc == 0 and truth['data'] in items and truth['shm'] in items,
               '%s: memory -format csv gives a %d-byte path with a quote and commas whole'
               % (name, len(truth['data'])), out[-1500:] + err)
        tap.ok(rc == 0 and truth['shm'] in segs, '%s: shm -format csv gives %s whole' % (name, truth['shm']),
               out[-1500:] + err)
    finally:
        target.close()
        os.unlink(truth_path)


def kernel_has_pagemap_scan():
    """Linux 6.7 and later answer PAGEMAP_SCAN: holes skipped in bulk."""
    m = re.match(r'(\d+)\.(\d+)', os.uname().release)
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (6, 7)


def check_sparse(tap, python):
    """A 1 TiB private mapping, 64 pages and a 1 MiB look-alike chunk
    touched: memory must not stop the target for long walking its absent
    pages, and the classes must still add up to smaps."""
    name = label(python)
    size, chunk_at = 1 << 40, 768 << 30
    try:
        target = Target([python, '-c', SPARSE, str(size), str(chunk_at)], timeout=30)
    except Exception as e:
        tap.skip('%s: memory on a sparse 1 TiB mapping' % name, 'cannot map 1 TiB: %s' % str(e)[-200:])
        return
    try:
        # -v reports the pause of memory's second stop, the one that
        # reads pagemap and the mappings' contents.
        rc, out, err = heapinspect(['-v', 'attach', str(target.pid), '-e', 'memory -format json'])
        pause = re.search(r'pagemap read in a pause of ([\d.]+) ms', err)
        if not tap.ok(rc == 0 and len(out.splitlines()) == 1 and pause,
                      '%s: memory on a sparse 1 TiB mapping exits 0' % name, out[-1500:] + err):
            return
        mem, pause_ms = json.loads(out), float(pause.group(1))
        tap.ok(pause_ms < 2000, '%s: the target stopped %.0f ms for 1 TiB of address space (bound 2 s)'
               % (name, pause_ms))
        total = sum(c['rss'] for c in mem['classes'])
        tap.ok(total == mem['total']['rss'] and within(total, mem['rollup']['rss'], 0.01),
               '%s: sparse: the classes add up to the RSS (%d of %d)' % (name, total, mem['rollup']['rss']))
        mm = cls(mem, 'malloc_mmap')
        if kernel_has_pagemap_scan():
            tap.ok(mm['rss'] >= 1 << 20 and mem['unscanned'] == 0 and not mem.get('bounded'),
                   '%s: sparse: PAGEMAP_SCAN passes over the holes, the chunk 768 GiB in is found, nothing unscanned'
                   % name, 'malloc_mmap %d, unscanned %d' % (mm['rss'], mem['unscanned']))
        else:
            tap.ok(mem['unscanned'] > 0 and mem.get('bounded'),
                   '%s: sparse: without PAGEMAP_SCAN the search stops at its bound and says so' % name,
                   'unscanned %d' % mem['unscanned'])
    finally:
        target.close()


def main():
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('memory', 'no CPython 3.8+ found')
    for i, python in enumerate(pythons):
        check(tap, python, fallback=i == 0)
    if pythons:
        check_without_pymalloc(tap, pythons[0])
        check_sparse(tap, pythons[0])
        check_shmid0(tap, pythons[0])
        check_csv_names(tap, pythons[0])
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
