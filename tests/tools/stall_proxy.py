#!/usr/bin/env python3
"""A TCP proxy on loopback in front of a Unix socket that can stall.

    stall_proxy.py UNIX_SOCKET CONTROL_FILE

Prints the port it listens on (127.0.0.1, chosen by the kernel), then
forwards every connection to UNIX_SOCKET.  While CONTROL_FILE exists it
forwards nothing in either direction and accepts nothing, but keeps
every connection open: a database behind a black-holed network.  For
tests only; stops at SIGTERM.
"""
import os
import selectors
import socket
import sys
import time

target, control = sys.argv[1], sys.argv[2]
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(64)
lst.setblocking(False)
print(lst.getsockname()[1], flush=True)
sel = selectors.DefaultSelector()
sel.register(lst, selectors.EVENT_READ, None)
peer = {}

def close(s):
    for x in (s, peer.pop(s, None)):
        if x is None:
            continue
        peer.pop(x, None)
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        x.close()

while True:
    if os.path.exists(control):
        time.sleep(0.05)
        continue
    for key, _ in sel.select(0.05):
        s = key.fileobj
        if s is lst:
            try:
                c, _ = lst.accept()
            except BlockingIOError:
                continue
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(target)
            except OSError:
                c.close()
                continue
            peer[c], peer[u] = u, c
            sel.register(c, selectors.EVENT_READ, None)
            sel.register(u, selectors.EVENT_READ, None)
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data or s not in peer:
            close(s)
            continue
        try:
            peer[s].sendall(data)
        except OSError:
            close(s)
