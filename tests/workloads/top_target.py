"""A target for tests/top.py: four big objects of distinct, known sizes.

  a bytes of 5,000,000 bytes and a str of 3,000,000 characters whose first
  characters need escaping (quotes, backslash, controls, non-ASCII), a dict
  of 50,000 items and a list of 200,000; each is far larger than anything
  else an interpreter holds at start-up.

Writes to argv[1] (JSON) the truth for each, in the order of size: its
id(), sys.getsizeof, type name, and what a preview must show (len(),
ascii() or repr() of its first 32 characters), then prints "ready" and
waits for EOF on stdin.  Nothing here knows about heapinspect.
"""
import json
import sys

PREVIEW = 32

head = b'\x00\x01it\'s "q" \\\n\t\x7f\xff'
big_bytes = head + b'z' * (5000000 - len(head))
text_head = 'h\xe9llo\n"w\'\\ '
big_str = text_head + 'x' * (3000000 - len(text_head))
big_dict = {i: None for i in range(50000)}
big_list = list(range(200000))


def describe(obj):
    d = {'address': id(obj), 'size': sys.getsizeof(obj), 'type': type(obj).__name__}
    if isinstance(obj, str):
        d.update(length=len(obj), text=ascii(obj[:PREVIEW]))
    elif isinstance(obj, bytes):
        d.update(length=len(obj), text=repr(obj[:PREVIEW]))
    else:
        d.update(items=len(obj))
    return d


truth = sorted((describe(o) for o in (big_bytes, big_str, big_dict, big_list)),
               key=lambda d: (-d['size'], d['address']))
with open(sys.argv[1], 'w') as f:
    json.dump(truth, f)
del truth, f
print('ready', flush=True)
sys.stdin.read()
