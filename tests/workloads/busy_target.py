"""A target that keeps working while heapinspect stops and resumes it.

Five threads, each checking its own results: one sleeps in short slices,
two play ping-pong through a condition variable, one streams numbered
messages through a pipe, one echoes numbers over a socketpair, one
computes a known checksum.  Any exception (an EINTR surfacing as
InterruptedError, a short or corrupt read, a wrong sum) is counted.

Commands on stdin: "status" prints "errors=E ops=N"; "stop" ends the
threads, checks the final sums and prints "errors=E ops=N final=ok|bad".
"""
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


threads = [threading.Thread(target=guard(f), daemon=True)
           for f in (sleeper, pinger(0), pinger(1), pipe_writer, pipe_reader, echo_server, echo_client, computer)]
for t in threads:
    t.start()
print('ready', flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == 'status':
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
