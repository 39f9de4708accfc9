"""A target that keeps working while heapinspect stops and resumes it.

Five threads, each checking its own results: one sleeps in short slices,
two play ping-pong through a condition variable, one streams numbered
messages through a pipe, one echoes numbers over a socketpair, one
computes a known checksum.  Any exception (an EINTR surfacing as
InterruptedError, a short or corrupt read, a wrong sum) is counted.

Commands on stdin: "status" prints "errors=E ops=N"; "stop" ends the
threads, checks the final sums and prints "errors=E ops=N final=ok|bad";
"work" runs a fixed job on eight more threads at once (a pipe stream, a
socket echo, lock-contended appends, hashing, short sleeps) and prints
"digest=HEX" of its results, the same in every run of this file whether
or not anyone inspects the process meanwhile.
"""
import hashlib
import os
import socket
import sys
import threading
import time

errors = []
ops = [0]
stop = threading.Event()
lock = threading.Lock()


def count():
    with lock:
        ops[0] += 1


def guard(fn):
    def run():
        try:
            fn()
        except BaseException as e:  # anything surfacing is a failure
            errors.append('%s: %r' % (fn.__name__, e))
    return run


def sleeper():
    while not stop.is_set():
        t0 = time.monotonic()
        time.sleep(0.002)
        if time.monotonic() - t0 < 0.002:
            raise AssertionError('sleep returned early')
        count()


turn = [0]
cond = threading.Condition()


def pinger(me):
    def play():
        while not stop.is_set():
            with cond:
                while turn[0] % 2 != me and not stop.is_set():
                    cond.wait(0.5)
                turn[0] += 1
                cond.notify_all()
            count()
    play.__name__ = 'pinger%d' % me
    return play


rfd, wfd = os.pipe()


def pipe_writer():
    n = 0
    while not stop.is_set():
        os.write(wfd, b'%08d' % n)
        n += 1
        time.sleep(0.0005)
    os.close(wfd)


def pipe_reader():
    expect = 0
    with os.fdopen(rfd, 'rb') as f:
        while True:
            chunk = f.read(8)
            if not chunk:
                return
            if len(chunk) != 8 or int(chunk) != expect:
                raise AssertionError('pipe: got %r, expected %d' % (chunk, expect))
            expect += 1
            count()


a, b = socket.socketpair()


def echo_server():
    with b:
        while True:
            data = b.recv(8)
            if not data:
                return
            b.sendall(data)


def echo_client():
    n = 0
    with a:
        while not stop.is_set():
            a.sendall(b'%08d' % n)
            got = b''
            while len(got) < 8:
                part = a.recv(8 - len(got))
                if not part:
                    raise AssertionError('socket closed')
                got += part
            if int(got) != n:
                raise AssertionError('socket: got %r, expected %d' % (got, n))
            n += 1
            count()
        a.shutdown(socket.SHUT_WR)


rounds = [0]


def computer():
    while not stop.is_set():
        s = 0
        for i in range(20000):
            s += i * i
        if s != 2666466670000:
            raise AssertionError('sum %d' % s)
        rounds[0] += 1
        count()


def work():
    """The fixed job: eight threads, each with its own result."""
    results = [None] * 8
    shared = []
    shared_lock = threading.Lock()
    r, w = os.pipe()
    sa, sb = socket.socketpair()

    def pipe_out():
        with os.fdopen(w, 'wb') as f:
            for i in range(20000):
                f.write(b'%08d' % (i * 7919 % 100000007))
        results[0] = 'sent'

    def pipe_in():
        h = hashlib.sha256()
        with os.fdopen(r, 'rb') as f:
            while True:
                chunk = f.read(4096)
                if not chunk:
                    break
                h.update(chunk)
        results[1] = h.hexdigest()

    def echo():
        while True:
            data = sb.recv(64)
            if not data:
                break
            sb.sendall(data[::-1])
        sb.close()
        results[2] = 'echoed'

    def ask():
        h = hashlib.sha256()
        for i in range(3000):
            msg = b'm%07d' % i
            sa.sendall(msg)
            got = b''
            while len(got) < len(msg):
                got += sa.recv(len(msg) - len(got))
            h.update(got)
        sa.shutdown(socket.SHUT_WR)
        sa.close()
        results[3] = h.hexdigest()

    def appender(base):
        def run():
            for i in range(10000):
                with shared_lock:
                    shared.append(base + i)
        return run

    def hasher():
        h = hashlib.sha256(b'seed')
        for _ in range(20000):
            h = hashlib.sha256(h.digest())
        results[6] = h.hexdigest()

    def napper():
        n = 0
        for _ in range(50):
            t0 = time.monotonic()
            time.sleep(0.001)
            if time.monotonic() - t0 >= 0.001:
                n += 1
        results[7] = n

    fns = [pipe_out, pipe_in, echo, ask, appender(0), appender(1000000), hasher, napper]
    ts = [threading.Thread(target=guard(f)) for f in fns]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    results[4] = sum(shared)
    results[5] = len(shared)
    return hashlib.sha256(repr(results).encode()).hexdigest()


threads = [threading.Thread(target=guard(f), daemon=True)
           for f in (sleeper, pinger(0), pinger(1), pipe_writer, pipe_reader, echo_server, echo_client, computer)]
for t in threads:
    t.start()
print('ready', flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'work':
        print('digest=%s' % work(), flush=True)
    elif cmd == 'status':
        print('errors=%d ops=%d' % (len(errors), ops[0]), flush=True)
    elif cmd == 'stop':
        stop.set()
        with cond:
            cond.notify_all()
        for t in threads:
            t.join(5)
        alive = [t for t in threads if t.is_alive()]
        final = 'ok' if not alive and not errors else 'bad'
        print('errors=%d ops=%d final=%s %s' % (len(errors), ops[0], final, '; '.join(errors)[:500]), flush=True)
        break
