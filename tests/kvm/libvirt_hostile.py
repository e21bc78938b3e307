#!/usr/bin/python3
"""Hostile clients on svdom0's libvirt socket while a guest named 'victim' runs.

Usage: libvirt_hostile.py URI SOCKET. Each bad client must be closed (or answered
with an error) and a well-behaved virsh must keep working throughout. Prints
'hostile: ok' at the end; exits 1 with the failed step otherwise.
"""
import socket
import struct
import subprocess
import sys
import time

uri, path = sys.argv[1], sys.argv[2]
PROG, KEEPALIVE = 0x20008086, 0x6B656570
CALL, REPLY, MESSAGE = 0, 1, 2


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def packet(proc, serial, payload=b"", prog=PROG, ptype=CALL, status=0):
    body = struct.pack(">IIiIII", prog, 1, proc, ptype, serial, status) + payload
    return struct.pack(">I", len(body) + 4) + body


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


def reply(s):
    """(header tuple, payload) of the next packet, or None at end of file."""
    head = recv_exact(s, 4)
    if head is None:
        return None
    (length,) = struct.unpack(">I", head)
    body = recv_exact(s, length - 4)
    if body is None:
        return None
    return struct.unpack(">IIiIII", body[:24]), body[24:]


def closed(s):
    """True when the server closes the connection within the timeout."""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def error_message(payload):
    code, _domain, present = struct.unpack(">iiI", payload[:12])
    msg = ""
    if present:
        (n,) = struct.unpack(">I", payload[12:16])
        msg = payload[16:16 + n].decode()
    return code, msg


def virsh_works():
    r = subprocess.run(["virsh", "-q", "-c", uri, "list"], capture_output=True, text=True,
                       timeout=120)
    return r.returncode == 0 and "victim" in r.stdout and "running" in r.stdout


def opened():
    s = connect()
    s.sendall(packet(1, 0, struct.pack(">I", 0) + struct.pack(">I", 0)))
    h, _ = reply(s)
    check(h[5] == 0, "CONNECT_OPEN answered OK")
    return s


# A client stuck in the middle of a packet stays connected through all of it: nobody waits on it.
stuck = connect()
stuck.sendall(struct.pack(">I", 200) + b"\0" * 50)

s = connect()
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
check(closed(s), "garbage closes the connection")

s = connect()
s.sendall(struct.pack(">I", 0xFFFFFFFF) + b"\0" * 24)
check(closed(s), "a 4 GiB length closes the connection")

s = connect()
s.sendall(struct.pack(">I", 64 * 1024 * 1024) + b"\0" * 24)
check(closed(s), "a 64 MiB length closes the connection")

s = connect()
s.sendall(struct.pack(">I", 8))
check(closed(s), "a length shorter than the header closes the connection")

s = connect()
s.sendall(packet(66, 0)[:20])
s.shutdown(socket.SHUT_WR)
check(closed(s), "a truncated packet then end of file closes the connection")

s = connect()
s.sendall(packet(1, 0, prog=0x12345678))
check(closed(s), "an unknown program closes the connection")

s = connect()
s.sendall(packet(1, 0, ptype=REPLY))
check(closed(s), "a REPLY from the client closes the connection")

s = connect()
s.sendall(packet(3, 0))
h, p = reply(s)
code, msg = error_message(p)
check(h[5] == 1 and code == 39 and "not open" in msg, f"a call before open is refused ({msg})")

s = opened()
s.sendall(packet(9999, 1))
h, p = reply(s)
code, msg = error_message(p)
check(h[5] == 1 and code == 39 and msg == "unknown procedure: 9999",
      f"unknown procedure answered with RPC error ({msg})")
s.sendall(packet(23, 2, struct.pack(">I", 0x7FFFFFF0)))
h, p = reply(s)
code, msg = error_message(p)
check(h[5] == 1 and code == 39 and "malformed" in msg, f"a huge string length is refused ({msg})")
s.sendall(packet(273, 3, struct.pack(">iI", 1, 0) + b"extra"))
h, p = reply(s)
check(h[5] == 1, "trailing bytes after the arguments are refused")
s.sendall(packet(1, 0, prog=KEEPALIVE, ptype=MESSAGE))
h, p = reply(s)
check(h[0] == KEEPALIVE and h[2] == 2, "PING answered with PONG")
s.sendall(packet(23, 4, xdr_string("victim")))
h, p = reply(s)
check(h[5] == 0, "the same connection still serves lookups")
s.close()

check(virsh_works(), "virsh works beside the bad clients")

# A client that floods calls and never reads: dropped once its replies back up.
flood = opened()
flood.setblocking(False)
call = packet(14, 7, xdr_string("victim") + b"\0" * 16 + struct.pack(">iI", -1, 0))
sent, start, dropped, rounds = 0, time.monotonic(), False, 0
while time.monotonic() - start < 240:
    rounds += 1
    try:
        n = flood.send(call * 64)
        sent += n
    except BlockingIOError:
        time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
        break
    if rounds % 50 == 0:
        check(virsh_works(), "virsh works while a client floods")
if not dropped:
    # It may have been closed while our side still had room: the read side tells.
    flood.setblocking(True)
    flood.settimeout(60)
    got = 0
    try:
        while True:
            d = flood.recv(1 << 20)
            if not d:
                dropped = True
                break
            got += len(d)
    except ConnectionResetError:
        dropped = True
    except socket.timeout:
        pass
check(dropped, f"a client that never reads is dropped ({sent} bytes of calls sent)")
check(virsh_works(), "virsh works after the flood")
stuck.close()
check(virsh_works(), "virsh works at the end")
print("hostile: ok")
