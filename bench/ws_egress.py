#!/usr/bin/env python3
"""What a workspace's egress proxy adds to a connection (bench/run-workspace).

Run inside a network and mount namespace of the caller's own: 203.0.113.10
on lo is the "public" host allowed.test (a hosts file bind-mounted over
/etc/hosts), with a TLS server on :443 and plain HTTP on :80.  cloister
serve makes a workspace whose allowlist holds allowed.test; the client
talks to its egress socket as the workspace's relay does.

  CONNECT  a TLS connection and one GET through CONNECT, against the same
           straight to 203.0.113.10:443
  plain    one GET http://allowed.test/ through the proxy, against the same
           straight to :80

Paths interleaved, N each; prints the medians and
  connect_added_us=… http_added_us=…
as its last line.  usage: ws_egress.py CLOISTER TMPDIR N
"""
import http.server
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

cloister, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
HOST, ADDR = "allowed.test", "203.0.113.10"


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


sh("ip", "link", "set", "lo", "up")
sh("ip", "addr", "add", ADDR + "/32", "dev", "lo")
with open(f"{tmp}/hosts", "w") as f:
    f.write(f"127.0.0.1 localhost\n{ADDR} {HOST}\n")
sh("mount", "--bind", f"{tmp}/hosts", "/etc/hosts")
sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
   "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{tmp}/up.key", "-out",
   f"{tmp}/up.pem", "-days", "1", "-subj", f"/CN={HOST}", "-addext",
   f"subjectAltName=DNS:{HOST}")


class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(port, tls):
    srv = http.server.ThreadingHTTPServer((ADDR, port), Answer)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{tmp}/up.pem", f"{tmp}/up.key")
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


serve(443, True)
serve(80, False)

port = 9310
with open(f"{tmp}/gw.yaml", "w") as f:
    f.write(f"""listen: 127.0.0.1:{port}
state_dir: {tmp}/state
tee: sim
workspaces: {{ dir: {tmp}/ws, max: 4 }}
backends:
  - name: demo
    type: mock
    models:
      - {{ name: mock-small, input: 1, output: 1 }}
""")
gw = subprocess.Popen([cloister, "serve", "--config", f"{tmp}/gw.yaml"],
                      stderr=open(f"{tmp}/serve.err", "w"))
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
            break
        except OSError:
            time.sleep(0.1)
    admin = sh(cloister, "keys", "create", "--state", f"{tmp}/state",
               "--name", "bench", "--scope", "admin").strip()
    z = "a" * 64
    allow = [HOST, HOST + ":80"]
    manifest = {"v": 1, "type": "cloister-workspace",
                "image": {"digest": "sha256:" + z}, "command": ["sh"],
                "agent": {"name": "bench", "version": "1"},
                "policy": {"sha256": z}, "egress": {"allow": allow},
                "sandbox": {"landlock_abi": 0, "seccomp": "sha256:" + z,
                            "limits": {"pids": 64}, "cgroup": "rlimits"}}
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/admin/api/workspaces", method="POST",
        data=json.dumps({"manifest": manifest, "budget": 1000,
                         "egress": {"allow": allow, "dlp": True}}).encode(),
        headers={"Authorization": "Bearer " + admin,
                 "Content-Type": "application/json"})
    ws = json.load(urllib.request.urlopen(req))
    egress = ws["dir"] + "/egress.sock"

    cctx = ssl.create_default_context(cafile=f"{tmp}/up.pem")
    get = f"GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"

    def read_all(s):
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                return out
            out += d

    def head(s):
        out = b""
        while b"\r\n\r\n" not in out:
            d = s.recv(1)
            if not d:
                break
            out += d
        return out

    def tls_get(s):
        t = cctx.wrap_socket(s, server_hostname=HOST)
        t.sendall(get.encode())
        r = read_all(t)
        t.close()
        if b"hello" not in r:
            raise SystemExit("bench ws_egress: no answer through TLS")

    def connect_proxy():
        s = socket.socket(socket.AF_UNIX)
        s.connect(egress)
        s.sendall(f"CONNECT {HOST}:443 HTTP/1.1\r\nHost: {HOST}:443\r\n\r\n"
                  .encode())
        h = head(s)
        if not h.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"bench ws_egress: CONNECT refused: {h[:80]!r}")
        tls_get(s)

    def connect_direct():
        tls_get(socket.create_connection((ADDR, 443)))

    def http_proxy():
        s = socket.socket(socket.AF_UNIX)
        s.connect(egress)
        s.sendall(f"GET http://{HOST}/ HTTP/1.1\r\nHost: {HOST}\r\n"
                  "Connection: close\r\n\r\n".encode())
        r = read_all(s)
        s.close()
        if b"hello" not in r:
            raise SystemExit(f"bench ws_egress: plain GET: {r[:80]!r}")

    def http_direct():
        s = socket.create_connection((ADDR, 80))
        s.sendall(get.encode())
        read_all(s)
        s.close()

    paths = {"connect_proxy": connect_proxy, "connect_direct": connect_direct,
             "http_proxy": http_proxy, "http_direct": http_direct}
    t = {k: [] for k in paths}
    for i in range(n + n // 10):
        for k, f in paths.items():
            t0 = time.perf_counter_ns()
            f()
            if i >= n // 10:
                t[k].append((time.perf_counter_ns() - t0) / 1000)
    med = {k: statistics.median(v) for k, v in t.items()}
    p90 = {k: sorted(v)[int(0.9 * len(v))] for k, v in t.items()}
    print(f"== egress proxy, {n} requests each, us (p50 / p90)")
    for k in paths:
        print(f"  {k:15s} {med[k]:9.1f} / {p90[k]:9.1f}")
    print(f"connect_added_us={med['connect_proxy'] - med['connect_direct']:.1f} "
          f"http_added_us={med['http_proxy'] - med['http_direct']:.1f}")
finally:
    gw.terminate()
    gw.wait()
