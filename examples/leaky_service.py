"""A service that leaks, as a target for heapinspect's watch and plot.

It handles made-up requests in a loop, about 800 a second, and makes
three mistakes a real service makes:

- every request's Session is cached by request id and never evicted;
- every request appends a formatted line to an audit log kept in memory;
- responses go to a cache that is bounded (500 entries), so that part
  levels off: not every growth is a leak.

Each request also parses a payload into temporary dicts and lists that
die with it, so the heap churns as a real one does.  It runs for SECONDS
(default 40), then exits:

    python3 examples/leaky_service.py [SECONDS] &
    heapinspect attach $! -e 'watch -interval 1 -count 30 -out leak.csv' \\
        -e 'plot leak.csv -out leak.svg'
"""
import collections
import json
import random
import sys
import time


class Session:
    def __init__(self, user, token, payload):
        self.user = user
        self.token = token
        self.items = payload['items']
        self.created = time.time()


SESSIONS = {}                       # mistake 1: never evicted
AUDIT = []                          # mistake 2: an in-memory log
RESPONSES = collections.OrderedDict()   # bounded: levels off
RESPONSES_MAX = 500


def handle(rid, rng):
    payload = json.loads(json.dumps({
        'user': 'user%d' % rng.randrange(5000),
        'items': [rng.randrange(10 ** 6) for _ in range(rng.randrange(4, 12))],
        'meta': {'agent': 'bench/%d' % rng.randrange(20), 'trace': '%032x' % rng.getrandbits(128)},
    }))
    session = Session(payload['user'], '%016x' % rng.getrandbits(64), payload)
    SESSIONS[rid] = session
    AUDIT.append('%.3f %s %s items=%d' % (session.created, rid, session.user, len(session.items)))
    RESPONSES[rid] = bytes(rng.randrange(1024, 4096))
    if len(RESPONSES) > RESPONSES_MAX:
        RESPONSES.popitem(last=False)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 40.0
    rng = random.Random(7)
    print('ready', flush=True)
    end = time.monotonic() + seconds
    rid = 0
    while time.monotonic() < end:
        for _ in range(80):
            rid += 1
            handle('req-%08d' % rid, rng)
        time.sleep(0.1)


if __name__ == '__main__':
    main()
