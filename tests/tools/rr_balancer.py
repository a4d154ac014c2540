#!/usr/bin/env python3
"""A round-robin TCP load balancer on loopback, for tests.

    rr_balancer.py PORT...

Prints the port it listens on (127.0.0.1, chosen by the kernel); each
connection it accepts goes to the next of the loopback PORTs in turn.  A
connection idle for IDLE seconds (0.3) is closed, so that a client that
keeps connections alive still meets every backend.  Stops at SIGTERM.
"""
import selectors
import socket
import sys
import time

IDLE = 0.3
ports = [int(p) for p in sys.argv[1:]]
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(64)
lst.setblocking(False)
print(lst.getsockname()[1], flush=True)
sel = selectors.DefaultSelector()
sel.register(lst, selectors.EVENT_READ, None)
peer, seen = {}, {}
turn = 0

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
    now = time.monotonic()
    for s in [s for s, t in seen.items() if now - t > IDLE]:
        close(s)
    for key, _ in sel.select(0.05):
        s = key.fileobj
        if s is lst:
            try:
                c, _ = lst.accept()
            except BlockingIOError:
                continue
            port = ports[turn % len(ports)]
            turn += 1
            try:
                u = socket.create_connection(("127.0.0.1", port))
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
