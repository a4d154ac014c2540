#!/usr/bin/env python3
"""A TCP relay on loopback, for tests: a load balancer, or a network that
can black-hole.

    tcp_relay.py [--stall FILE] [--idle SECONDS] TARGET...

Prints the port it listens on (127.0.0.1, chosen by the kernel).  Each
connection it accepts goes to the next TARGET in turn: a loopback TCP
port, or the path of a Unix socket.  --idle closes a connection idle that
long, so that a client keeping connections alive still meets every
target.  While the --stall FILE exists, nothing is forwarded either way
and nothing accepted, every connection kept open: a black-holed network.
Stops at SIGTERM.
"""
import argparse
import os
import selectors
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--stall")
ap.add_argument("--idle", type=float)
ap.add_argument("targets", nargs="+")
a = ap.parse_args()

lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(64)
lst.setblocking(False)
print(lst.getsockname()[1], flush=True)
sel = selectors.DefaultSelector()
sel.register(lst, selectors.EVENT_READ, None)
peer, seen = {}, {}
turn = 0


def dial(t):
    if t.isdigit():
        return socket.create_connection(("127.0.0.1", int(t)))
    u = socket.socket(socket.AF_UNIX)
    u.connect(t)
    return u


def close(s):
    for x in (s, peer.pop(s, None)):
        if x is None:
            continue
        peer.pop(x, None)
        seen.pop(x, None)
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        x.close()


while True:
    if a.stall and os.path.exists(a.stall):
        time.sleep(0.05)
        continue
    now = time.monotonic()
    if a.idle:
        for s in [s for s, t in seen.items() if now - t > a.idle]:
            close(s)
    for key, _ in sel.select(0.05):
        s = key.fileobj
        if s is lst:
            try:
                c, _ = lst.accept()
            except BlockingIOError:
                continue
            t = a.targets[turn % len(a.targets)]
            turn += 1
            try:
                u = dial(t)
            except OSError:
                c.close()
                continue
            peer[c], peer[u] = u, c
            seen[c] = seen[u] = time.monotonic()
            sel.register(c, selectors.EVENT_READ, None)
            sel.register(u, selectors.EVENT_READ, None)
            continue
        if s not in peer:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(s)
            continue
        try:
            peer[s].sendall(data)
            seen[s] = seen[peer[s]] = time.monotonic()
        except OSError:
            close(s)
