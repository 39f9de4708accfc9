"""The julia example from the heapy literature, as a target for heapinspect.

A Julia-set program lays out its complex plane as two lists: zs, the
starting point of every pixel, and cs, the constant it iterates with.  At
1000 x 1000 pixels that is 2,000,000 complex objects in two lists, most of
the heap.  This script builds them, prints its pid and "ready", and waits
(for a line on stdin, or forever) so heapinspect can look at it:

    python3 examples/julia.py &
    heapinspect attach $! -e heap
"""
import os
import sys
import time

X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C_REAL, C_IMAG = -0.62772, -0.42193


def calc_pure_python(desired_width):
    x_step = (X2 - X1) / desired_width
    y_step = (Y1 - Y2) / desired_width
    x = []
    y = []
    ycoord = Y2
    while ycoord > Y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = X1
    while xcoord < X2:
        x.append(xcoord)
        xcoord += x_step
    # Exactly desired_width points per axis, whatever the float steps did.
    x, y = x[:desired_width], y[:desired_width]
    zs = []
    cs = []
    for ycoord in y:
        for xcoord in x:
            zs.append(complex(xcoord, ycoord))
            cs.append(complex(C_REAL, C_IMAG))
    return zs, cs


if __name__ == '__main__':
    width = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    zs, cs = calc_pure_python(width)
    print('pid %d: %d + %d complex numbers' % (os.getpid(), len(zs), len(cs)), file=sys.stderr)
    print('ready', flush=True)
    if sys.stdin.isatty() or '--forever' in sys.argv:
        while True:
            time.sleep(3600)
    sys.stdin.readline()
