#!/usr/bin/env python3
"""Sends stdin's bytes as they are over one connection and prints what comes back (for reproducing
findings by hand). ADDRESS is unix:/path/to/katad.sock or 127.0.0.1:PORT (loopback only).

  printf 'GET /api/v1/ping HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | python3 stress/raw.py unix:$KATA_HOME/run/katad.sock
  ... | python3 stress/raw.py --shut-wr 127.0.0.1:7777     # send FIN after the bytes (a client that gave up)
"""
import argparse
import socket
import sys

ap = argparse.ArgumentParser()
ap.add_argument("address")
ap.add_argument("--shut-wr", action="store_true", help="half-close after sending")
ap.add_argument("--timeout", type=float, default=10)
a = ap.parse_args()
if a.address.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(a.timeout)
    s.connect(a.address[5:])
else:
    host, port = a.address.rsplit(":", 1)
    if not host.startswith("127.") and host != "localhost":
        sys.exit("loopback addresses only")
    s = socket.create_connection((host, int(port)), timeout=a.timeout)
s.sendall(sys.stdin.buffer.read())
if a.shut_wr:
    s.shutdown(socket.SHUT_WR)
out = b""
try:
    while True:
        got = s.recv(65536)
        if not got:
            break
        out += got
except socket.timeout:
    out += b"\n[no more within %ss; connection still open]" % str(a.timeout).encode()
sys.stdout.write(out.decode("utf-8", "replace") + "\n")
