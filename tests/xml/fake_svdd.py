#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A stand-in for svdd (driver-domain/) that checks what svdom0 gives a driver domain: exactly
# fds 3..6 (include/splitvisor/driver_domain.h), a xenstore connection that is its own domid
# (its home readable, dom0's not writable), a toolstack that refuses what it did not record,
# and injections forwarded on fd 6. It writes what it saw to $FAKE_SVDD_LOG, one line each,
# then serves fd 6 until SIGTERM (exit 0) or its fds close.
import os, signal, socket, struct, sys

# Before anything of ours is opened: what svdom0 left open (the listing's own fd is last).
FDS = sorted(int(f) for f in os.listdir("/proc/self/fd"))[:-1]
log = open(os.environ["FAKE_SVDD_LOG"], "a", buffering=1)


def say(line):
    log.write(line + "\n")


def xs(sock, typ, payload, req=1):
    sock.sendall(struct.pack("<IIII", typ, req, 0, len(payload)) + payload)
    hdr = b""
    while len(hdr) < 16:
        hdr += sock.recv(16 - len(hdr))
    typ, _, _, n = struct.unpack("<IIII", hdr)
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return typ, body


def ctl_call(sock, op, payload, req):
    sock.sendall(struct.pack("<IIIi", op, len(payload), req, 0) + payload)
    hdr = b""
    while len(hdr) < 16:
        hdr += sock.recv(16 - len(hdr))
    op, n, req, status = struct.unpack("<IIIi", hdr)
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return status, body


signal.signal(signal.SIGTERM, lambda *a: (say("sigterm"), sys.exit(0)))
domid = int(sys.argv[sys.argv.index("--domid") + 1])
name = sys.argv[sys.argv.index("--name") + 1]
say("args %s %d" % (name, domid))
say("fds " + " ".join(str(f) for f in FDS if f > 2))
x = socket.socket(fileno=4)
typ, body = xs(x, 2, b"/local/domain/%d/name\0" % domid)  # XS_READ
say("read own name %s" % body.decode(errors="replace").rstrip("\0"))
typ, body = xs(x, 11, b"/local/domain/0/evil\0x")  # XS_WRITE
say("write dom0 %s" % body.decode(errors="replace").rstrip("\0"))
t = socket.socket(fileno=5)
status, body = ctl_call(t, 1, b"/etc/shadow".ljust(256, b"\0"), 1)  # SV_DD_OPEN_DISK
say("open unrecorded disk %d %s" % (status, body.decode(errors="replace").rstrip("\0")))
status, body = ctl_call(t, 2, (b"/local/domain/%d/backend/vif/9/0" % domid).ljust(256, b"\0"), 2)
say("open unrecorded tap %d" % status)
status, body = ctl_call(t, 1, b"short", 3)
say("malformed %d" % status)
status, body = ctl_call(t, 77, b"", 4)
say("unknown op %d" % status)
c = socket.socket(fileno=6)
while True:
    hdr = c.recv(16, socket.MSG_WAITALL)
    if len(hdr) < 16:
        say("fd 6 closed")
        sys.exit(3)
    op, n, req, _ = struct.unpack("<IIIi", hdr)
    body = c.recv(n, socket.MSG_WAITALL) if n else b""
    fault, arg = struct.unpack("<II", body[:8])
    say("inject %d %d" % (fault, arg))
    if fault == 3:  # drop-notify: refused, to see the sentence travel
        msg = b"fake svdd refuses drop-notify\0"
        c.sendall(struct.pack("<IIIi", op, len(msg), req, -95) + msg)
    else:
        c.sendall(struct.pack("<IIIi", op, 0, req, 0))
