"""debuginfod, for real: a local server gives Debian's python3.11 its DWARF.

elfutils' own debuginfod serves a directory holding the debug file of
Debian's /usr/bin/python3.11 (from python3.11-dbg) on a loopback port.
heapinspect, with /usr/lib/debug hidden (HEAPINSPECT_DEBUGINFO_PATH), no
layout pack to fall back on, and DEBUGINFOD_URLS naming the server,
reads the census workload: `info` says the DWARF came from the client's
cache, and heap by kind and by type equal the census read with the -dbg
package.  Then the server is stopped and a second heapinspect still
reads it, from what libdebuginfod cached.  A download shows its
progress when stderr is a terminal (script(1) gives one), and only then.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import Tap, Target, build_id, heapinspect, HEAPINSPECT, SRCDIR  # noqa: E402

PYTHON = '/usr/bin/python3.11'
WORKLOAD = os.path.join(SRCDIR, 'workloads', 'census_target.py')
SCRIPT = 'puts [info -format json]; foreach by {kind type} { puts [heap -by $by -format json] }'


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serving(url, timeout=60):
    """Wait until URL answers 200 (the server has scanned its directory)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.5)
    return False


def census(pid, env):
    rc, out, err = heapinspect(['attach', str(pid), '-e', SCRIPT], env=env)
    lines = out.splitlines()
    return rc, lines, err


def main():
    tap = Tap()
    server_bin = shutil.which('debuginfod')
    bid = build_id(PYTHON) if os.path.exists(PYTHON) and shutil.which('readelf') else None
    debug = '/usr/lib/debug/.build-id/%s/%s.debug' % (bid[:2], bid[2:]) if bid else None
    if not server_bin or not debug or not os.path.exists(debug):
        tap.skip('debuginfod', 'needs the debuginfod program (Debian package debuginfod), %s and its -dbg package'
                 % PYTHON)
        return tap.done()
    tmp = tempfile.mkdtemp(prefix='heapinspect-debuginfod-')
    served = os.path.join(tmp, 'served')
    os.makedirs(served)
    shutil.copy(debug, os.path.join(served, 'python3.11.debug'))
    port = free_port()
    url = 'http://127.0.0.1:%d' % port
    server = subprocess.Popen([server_bin, '-F', served, '-p', str(port), '-d', os.path.join(tmp, 'db.sqlite'),
                               '-t', '1', '-g', '0'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = None
    try:
        ready = serving('%s/buildid/%s/debuginfo' % (url, bid))
        tap.ok(ready, 'a local debuginfod serves python3.11\'s debug file (build id %s) on %s' % (bid[:12], url))
        if not ready:
            return tap.done()
        target = Target([PYTHON, WORKLOAD, os.path.join(tmp, 'truth.json')])
        base = {'HEAPINSPECT_CACHE_DIR': '', 'HEAPINSPECT_LAYOUT_PATH': os.path.join(tmp, 'no-packs'),
                'HEAPINSPECT_LAYOUT': ''}
        rc, truth, err = census(target.pid, dict(base, DEBUGINFOD_URLS=''))
        tap.ok(rc == 0 and len(truth) == 3, 'with python3.11-dbg: info and heap exit 0', err[-600:])
        client = os.path.join(tmp, 'client-cache')
        fetched = dict(base, DEBUGINFOD_URLS=url, DEBUGINFOD_CACHE_PATH=client,
                       HEAPINSPECT_DEBUGINFO_PATH=os.path.join(tmp, 'hidden'))
        for round_, what in ((1, 'fetched from the server'), (2, 'from the client\'s cache, the server stopped')):
            if round_ == 2:
                server.terminate()
                server.wait(timeout=30)
            rc, lines, err = census(target.pid, fetched)
            info = json.loads(lines[0]) if rc == 0 and lines else {}
            if round_ == 1:
                tap.ok('Downloading' not in err, 'no download progress when stderr is not a terminal', err[-300:])
                # On a terminal (script(1) gives one), libdebuginfod shows
                # the download's progress: a fresh client cache.
                tty_env = dict(os.environ, **fetched)
                tty_env['DEBUGINFOD_CACHE_PATH'] = os.path.join(tmp, 'tty-cache')
                tty_env.pop('DEBUGINFOD_PROGRESS', None)
                r = subprocess.run(['script', '-qec', '%s attach %d -e info >/dev/null' % (HEAPINSPECT, target.pid),
                                    '/dev/null'], env=tty_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True, timeout=300)
                tap.ok(r.returncode == 0 and ('Downloading from %s' % url) in r.stdout,
                       'on a terminal the download shows its progress ("Downloading from %s ...")' % url,
                       r.stdout[-300:] + r.stderr[-300:])
            tap.ok(rc == 0 and info.get('layout_from') == 'dwarf' and info.get('debuginfo', '').startswith(client),
                   'DWARF %s, /usr/lib/debug hidden: exit 0, debug info %s' % (what, info.get('debuginfo')),
                   err[-600:])
            for i, by in ((1, 'kind'), (2, 'type')):
                a = json.loads(truth[i]) if len(truth) > i else None
                b = json.loads(lines[i]) if len(lines) > i else None
                tap.ok(a is not None and a == b, '%s: heap by %s equals the census with python3.11-dbg (%s objects)'
                       % (what, by, a and a.get('objects')))
        run, state = target.running()
        tap.ok(run, 'the target runs on (state %s)' % state)
    finally:
        if target:
            target.close()
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
