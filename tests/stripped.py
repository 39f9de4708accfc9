"""Pythons without debug information are read with a layout pack.

For every CPython here, a copy with its debug information stripped
(strip --strip-debug, and --strip-all as container images do) runs the
census workload.  The same process is inspected twice with the cache of
DWARF answers off: once with the DWARF of the original build (found by
build id under a directory given as HEAPINSPECT_DEBUGINFO_PATH; for
Debian's python3.11, its -dbg package), once with the debug information
hidden, so that heapinspect must use the build's layout pack from
data/layouts.  heap by kind and by type, top, memory's accounting of
Python's own memory, setrel/diff, and dump + image must agree row for
row; `info` must say the layouts came from the pack and were checked.

A pack of another build of the same version (the build's own pack with
its build id changed) gives the same census: its layouts serve, and the
addresses it leaves out (static types, subtype_dealloc, lookdict, the
thread-local thread state) are found in the process.  A pack that does
not fit is refused before any census, with one line and exit status 6,
and the target runs on: the pack of another minor version forced with
HEAPINSPECT_LAYOUT, and the right pack with one member offset changed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, build_id, find_pythons, heapinspect, label, SRCDIR  # noqa: E402

WORKLOAD = os.path.join(SRCDIR, 'workloads', 'census_target.py')
LAYOUTS = os.path.join(os.path.dirname(SRCDIR), 'data', 'layouts')

# What is compared, one JSON document a line.
SCRIPT = r'''
set img [lindex $argv 0]
puts [info -format json]
foreach by {kind type} { puts [heap -by $by -format json] }
puts [heap -inplace -format json]
puts [top 30 -format json]
set m [memory -format tcl]
puts [list [dict get $m census] [dict get $m pymalloc]]
set b [setrel]
puts [heap -format json]
puts [diff -format json]
clearrel
set n [dump $img]
puts done
'''

def python_module(python):
    """The file holding the Python runtime: libpython, or the executable."""
    prefix = os.path.dirname(os.path.dirname(python))
    libs = [os.path.join(prefix, 'lib', f) for f in os.listdir(os.path.join(prefix, 'lib'))
            if f.startswith('libpython3') and f.endswith('.so.1.0')] if os.path.isdir(os.path.join(prefix, 'lib')) else []
    ldd = subprocess.run(['ldd', python], stdout=subprocess.PIPE, universal_newlines=True).stdout
    return libs[0] if libs and 'libpython' in ldd else None


def stripped_copy(python, mode, root):
    """A prefix in ROOT whose executable and libpython are stripped copies
    of PYTHON's; the standard library is linked.  Returns (argv prefix
    to run it, the module holding the runtime, the original module)."""
    prefix = os.path.dirname(os.path.dirname(python))
    os.makedirs(os.path.join(root, 'bin'))
    os.makedirs(os.path.join(root, 'lib'))
    exe = os.path.join(root, 'bin', os.path.basename(python))
    shutil.copy2(python, exe)
    files = [exe]
    lib = python_module(python)
    if lib:
        copy = os.path.join(root, 'lib', os.path.basename(lib))
        shutil.copy2(lib, copy)
        files.append(copy)
        for d in os.listdir(os.path.join(prefix, 'lib')):
            if d.startswith('python3.'):
                os.symlink(os.path.join(prefix, 'lib', d), os.path.join(root, 'lib', d))
    subprocess.run(['strip', mode] + files, check=True)
    argv = ['env', 'LD_LIBRARY_PATH=' + os.path.join(root, 'lib'), exe] if lib else \
        ['env', 'PYTHONHOME=/usr', exe]
    return argv, files[-1], lib or python


def debug_dir(original, root):
    """A directory where libdwfl finds ORIGINAL's DWARF by build id, as
    it finds a -dbg package's under /usr/lib/debug."""
    bid = build_id(original)
    d = os.path.join(root, 'debug')
    os.makedirs(os.path.join(d, '.build-id', bid[:2]))
    os.symlink(original, os.path.join(d, '.build-id', bid[:2], bid[2:] + '.debug'))
    return d


def run(pid, env, image):
    rc, out, err = heapinspect(['attach', str(pid), '-f', SCRIPT_FILE, image], env=env)
    return rc, [ln for ln in out.splitlines()], err


def rows(doc):
    """A census without what differs between two runs of it (the time a
    baseline was taken)."""
    d = json.loads(doc)
    d.pop('from', None)
    return d


def compare(tap, name, truth, packed, memory=True):
    labels = ['heap by kind', 'heap by type', 'heap -inplace', 'top', 'memory: census and pymalloc',
              'relative heap after setrel', 'diff']
    for i, what in enumerate(labels, start=1):
        if not memory and what.startswith('memory'):
            continue
        a = truth[i] if i < len(truth) else ''
        b = packed[i] if i < len(packed) else ''
        try:
            same = rows(a) == rows(b)
        except ValueError:
            same = a == b and a != ''
        tap.ok(same, '%s: %s equals the DWARF\'s' % (name, what), 'DWARF: %s\npack:  %s' % (a[:600], b[:600]))


def has_pack(python):
    """Is there a pack of PYTHON's own build in data/layouts?  A distro
    update replaces the build (and its id): scripts/make-layouts then
    writes its pack."""
    module = python_module(python) or python
    bid = build_id(os.path.realpath(module))
    for f in os.listdir(LAYOUTS):
        with open(os.path.join(LAYOUTS, f)) as g:
            for line in g:
                if line.startswith('build-id ') and line.split()[1] == bid:
                    return True
                if line.startswith('--'):
                    break
    return False


def check(tap, python, mode, tmp):
    name = '%s %s' % (label(python), mode)
    root = os.path.join(tmp, mode.strip('-'))
    argv, module, original = stripped_copy(python, mode, root)
    if label(python).startswith('debian'):
        truth_env = {}		# its -dbg package, where libdwfl looks by default
    else:
        truth_env = {'HEAPINSPECT_DEBUGINFO_PATH': debug_dir(original, root)}
    base = {'HEAPINSPECT_CACHE_DIR': '', 'DEBUGINFOD_URLS': '', 'HEAPINSPECT_LAYOUT_PATH': LAYOUTS}
    hidden = dict(base, HEAPINSPECT_DEBUGINFO_PATH=os.path.join(root, 'nothing'))
    truthfile = os.path.join(root, 'truth.json')
    target = Target(argv + [WORKLOAD, truthfile])
    try:
        rc1, truth, err1 = run(target.pid, dict(base, **truth_env), os.path.join(root, 'dwarf.img'))
        info = json.loads(truth[0]) if rc1 == 0 and truth else {}
        tap.ok(rc1 == 0 and info.get('layout_from') in ('dwarf', 'cache'),
               '%s: with the original build\'s DWARF, every command exits 0 (layouts from %s)'
               % (name, info.get('layout_from')), err1[-800:])
        rc2, packed, err2 = run(target.pid, hidden, os.path.join(root, 'pack.img'))
        info = json.loads(packed[0]) if rc2 == 0 and packed else {}
        tap.ok(rc2 == 0 and info.get('layout_from') == 'pack' and info.get('layout_pack', '').startswith(LAYOUTS)
               and 'agree' in info.get('layout_checked', ''),
               '%s: with no debug information, the layouts come from its pack, checked (%s; %s)'
               % (name, os.path.basename(info.get('layout_pack', '')), info.get('layout_checked')), err2[-800:])
        compare(tap, name, truth, packed)
        # The image of a stripped build is read with the pack too.
        img = os.path.join(root, 'pack.img')
        rc3, out3, err3 = heapinspect(['image', img, '-e', 'heap -by type -format json'], env=hidden)
        tap.ok(rc3 == 0 and len(packed) > 2 and rows(out3.strip()) == rows(packed[2]),
               '%s: the image dumped from it reads with the pack, heap by type as live' % name, err3[-800:])
        # So is a core of it.
        if shutil.which('gcore'):
            prefix = os.path.join(root, 'gcore')
            subprocess.run(['gcore', '-o', prefix, str(target.pid)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
            rc3, out3, err3 = heapinspect(['core', '%s.%d' % (prefix, target.pid), '-e', 'heap -by type -format json',
                                           '-e', 'info -format json'], env=hidden)
            docs = out3.strip().splitlines()
            ci = json.loads(docs[-1]) if rc3 == 0 and len(docs) == 2 else {}
            tap.ok(rc3 == 0 and len(packed) > 2 and rows(docs[0]) == rows(packed[2]) and ci.get('layout_from') == 'pack',
                   '%s: gcore\'s core of it reads with the pack, heap by type as live' % name, err3[-800:])
        # A pack that does not fit: another minor version's, and this
        # build's own with tp_name's offset moved.
        mine = info.get('layout_pack', '')
        others = sorted(f for f in os.listdir(LAYOUTS) if f.endswith('.layout')
                        and f.split('-')[1].rsplit('.', 1)[0] != os.path.basename(mine).split('-')[1].rsplit('.', 1)[0])
        if others and mine:
            rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap'],
                                       env=dict(hidden, HEAPINSPECT_LAYOUT=os.path.join(LAYOUTS, others[0])))
            tap.ok(rc == 6 and 'does not fit' in err and len(err.strip().splitlines()) == 1 and not out,
                   '%s: the pack of another minor version (%s) is refused: exit 6, one line' % (name, others[0]),
                   'exit %d: %s' % (rc, err[-600:]))
            bad = os.path.join(root, 'moved.layout')
            with open(mine) as f, open(bad, 'w') as g:
                for line in f:
                    if line.startswith('field\tPyTypeObject\ttp_name\t'):
                        parts = line.split('\t')
                        nums = parts[3].split()
                        nums[0] = str(int(nums[0]) + 8)
                        parts[3] = ' '.join(nums) + '\n'
                        line = '\t'.join(parts)
                    g.write(line)
            rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'heap'],
                                       env=dict(hidden, HEAPINSPECT_LAYOUT=bad))
            tap.ok(rc == 6 and 'does not fit' in err and 'tp_name' in err and len(err.strip().splitlines()) == 1,
                   '%s: its own pack with tp_name moved 8 bytes is refused, naming it' % name,
                   'exit %d: %s' % (rc, err[-600:]))
            # A pack of another build of the same version (this build's
            # pack with another build id): its layouts serve, its
            # addresses are left out, and what they named is found in the
            # process instead; the census is the DWARF's all the same.
            elsewhere_dir = os.path.join(root, 'elsewhere')
            os.makedirs(elsewhere_dir)
            other = os.path.join(elsewhere_dir, 'other-build.layout')
            with open(mine) as f, open(other, 'w') as g:
                for line in f:
                    if line.startswith('build-id '):
                        line = 'build-id ' + '0' * 40 + '\n'
                    g.write(line)
            # Found by version on the search path (before 3.11 the file
            # tells only the minor; sys.version must then agree).
            rc4, elsewhere, err4 = run(target.pid, dict(hidden, HEAPINSPECT_LAYOUT_PATH=elsewhere_dir),
                                       os.path.join(root, 'other.img'))
            info = json.loads(elsewhere[0]) if rc4 == 0 and elsewhere else {}
            tap.ok(rc4 == 0 and info.get('layout_pack') == other and info.get('layout_pack_same_build') is False,
                   '%s: a pack of another build of the same version is found by version, and said to be (%s)'
                   % (name, info.get('layout_checked')), err4[-800:])
            # pymalloc's state is statics of obmalloc.c up to 3.11: a pack
            # of another build cannot place them, and memory says so.
            minor = int(info.get('python', '3.0').split('.')[1])
            compare(tap, name + ' (another build\'s pack)', truth, elsewhere, memory=minor >= 12)
        run_ok, state = target.running()
        tap.ok(run_ok, '%s: the target runs on (state %s)' % (name, state))
    finally:
        target.close()
    if label(python).startswith('debian'):
        check_numpy(tap, name, argv, root, dict(base, **truth_env), hidden)


NUMPY_WORKLOAD = os.path.join(SRCDIR, 'workloads', 'numpy_target.py')


def check_numpy(tap, name, argv, root, truth_env, hidden):
    """numpy's arrays, views and bases, read through the pack as through
    the DWARF (numpy's own layouts come from its module either way)."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        tap.skip('%s: numpy with the pack' % name, 'numpy is not installed (python3-numpy)')
        return
    target = Target(argv + [NUMPY_WORKLOAD, os.path.join(root, 'numpy-truth.json')])
    try:
        for cmd in ('import', 'plant'):
            target.proc.stdin.write(cmd + '\n')
            target.proc.stdin.flush()
            target.proc.stdout.readline()
        outs = []
        for env in (truth_env, hidden):
            rc, out, err = heapinspect(['attach', str(target.pid), '-e', 'numpy -n 100 -format json'], env=env)
            outs.append(json.loads(out) if rc == 0 else {'error': err})
        tap.ok(outs[0] == outs[1] and outs[0].get('arrays', 0) > 0,
               '%s: numpy -n 100 with the pack equals the DWARF\'s (%s arrays)' % (name, outs[0].get('arrays')),
               'DWARF: %s\npack:  %s' % (str(outs[0])[:500], str(outs[1])[:500]))
    finally:
        target.close()


def answers(path, with_symbols):
    """A pack's answers (the lines after its header)."""
    with open(path) as f:
        lines = f.read().split('--\n', 1)[1].splitlines()
    return [ln for ln in lines if with_symbols or not ln.startswith('symbol\t')]


def check_saved_from_file(tap, python, tmp):
    """layout -save -from ELF: the pack of the Python in a file, no
    process, answers as the pack in data/layouts (saved from a process
    by scripts/make-layouts) does: the packs are up to date with the
    questions this heapinspect asks, and a file serves as well."""
    name = label(python)
    module = python_module(python) or python
    theirs = None
    bid = build_id(os.path.realpath(module))
    for f in os.listdir(LAYOUTS):
        with open(os.path.join(LAYOUTS, f)) as g:
            if any(ln.strip() == 'build-id ' + bid for ln in g.read().split('--\n')[0].splitlines()):
                theirs = os.path.join(LAYOUTS, f)
    if not theirs:
        tap.skip('%s: a pack saved from its file' % name, 'no pack of this build in data/layouts')
        return
    with open(theirs) as g:
        version = [ln.split()[1] for ln in g if ln.startswith('python ')][0]
    mine = os.path.join(tmp, label(python) + '-from-file.layout')
    rc, out, err = heapinspect(['-e', 'layout -save %s -from %s -version %s' % (mine, module, version)],
                               env={'HEAPINSPECT_CACHE_DIR': '', 'DEBUGINFOD_URLS': ''})
    same = rc == 0 and answers(mine, False) == answers(theirs, False)
    tap.ok(same, '%s: layout -save -from its file answers as data/layouts/%s does (%d answers)'
           % (name, os.path.basename(theirs), len(answers(theirs, False))),
           err[-600:] if rc else 'differs from the saved pack: run scripts/make-layouts')


def main():
    global SCRIPT_FILE
    tap = Tap()
    pythons = find_pythons()
    if not pythons:
        tap.skip('stripped', 'no CPython 3.8+ found')
        return tap.done()
    if not shutil.which('strip') or not shutil.which('readelf'):
        tap.skip('stripped', 'binutils (strip, readelf) not installed')
        return tap.done()
    tmp = tempfile.mkdtemp(prefix='heapinspect-stripped-')
    SCRIPT_FILE = os.path.join(tmp, 'script.tcl')
    with open(SCRIPT_FILE, 'w') as f:
        f.write(SCRIPT)
    try:
        for python in pythons:
            check_saved_from_file(tap, python, tmp)
            if not has_pack(python):
                tap.skip('%s: read with its layout pack' % label(python),
                         'no pack of this build in data/layouts (a distro update?); run scripts/make-layouts')
                continue
            for mode in ('--strip-debug', '--strip-all'):
                check(tap, python, mode, os.path.join(tmp, label(python)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
