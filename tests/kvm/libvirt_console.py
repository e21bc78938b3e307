#!/usr/bin/python3
"""virsh console on a pty against a guest running console-echo.

Usage: libvirt_console.py URI DOMAIN. Prints 'banner: ok', 'echo: ok' and
'detach: rc N'; exits 1 with what the terminal showed when a step fails.
"""
import os
import pty
import select
import sys
import time

uri, dom = sys.argv[1], sys.argv[2]
seen = b""


def read_until(fd, want, timeout):
    """Reads the pty until want shows up after what was seen so far; False on timeout."""
    global seen
    start = len(seen)
    deadline = time.monotonic() + timeout
    while want not in seen[start:]:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            return want in seen[start:]
        if not data:
            return want in seen[start:]
        seen += data
    return True


def give_up(step):
    print(f"{step}: failed; the terminal showed:\n{seen.decode(errors='replace')}")
    sys.exit(1)


pid, fd = pty.fork()
if pid == 0:
    os.execvp("virsh", ["virsh", "-c", uri, "console", dom])

# The guest printed its banner before we attached: it comes with the console's history.
if not read_until(fd, b"console-echo: ready", 60):
    give_up("banner")
print("banner: ok")
os.write(fd, b"hello libvirt\r")
if not read_until(fd, b"HELLO LIBVIRT", 60):
    give_up("echo")
print("echo: ok")
os.write(fd, b"\x1d")  # Ctrl-]: virsh detaches
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    wpid, status = os.waitpid(pid, os.WNOHANG)
    if wpid:
        break
    read_until(fd, b"\x00never", 0.2)
else:
    give_up("detach (virsh did not exit)")
print(f"detach: rc {os.waitstatus_to_exitcode(status)}")
