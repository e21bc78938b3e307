#!/usr/bin/env python3
"""Sample the harness VM's (L1's) vCPUs through its QEMU monitor socket.

Usage: l1-monitor-watch.py SOCKET INTERVAL_S LOG

Start scripts/kvm-vm.sh with
  KVM_VM_QEMU_ARGS="-monitor unix:SOCKET,server=on,wait=off"
and this beside it.  Every INTERVAL_S seconds it appends one line per vCPU to
LOG: RIP, RSP, CS selector, EFLAGS, CR3 and the HLT flag, so a vCPU that
stays at one RIP while a test hangs (for instance inside the emulated VMRUN,
where L1's RIP is the nested guest's) shows up.  It ends when the socket
goes away (QEMU exited).
"""
import re
import socket
import sys
import time


def query(sock_path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    buf = b""

    def read_prompt():
        nonlocal buf
        while b"(qemu) " not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk

    read_prompt()
    buf = b""
    s.sendall(cmd.encode() + b"\n")
    read_prompt()
    s.close()
    return buf.decode(errors="replace")


def main():
    sock_path, interval, log = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    # Wait (for the VM lock, then QEMU) until the socket answers.
    while True:
        try:
            query(sock_path, "info status")
            break
        except OSError:
            time.sleep(2)
    with open(log, "a") as out:
        while True:
            try:
                text = query(sock_path, "info registers -a")
            except OSError:
                return
            now = time.strftime("%H:%M:%S")
            for block in re.split(r"\nCPU#", "\n" + text)[1:]:
                cpu = block.split("\n", 1)[0].strip()
                fields = dict(re.findall(r"\b(RIP|RSP|EFL|CR3|HLT)=(\S+)", block))
                cs = re.search(r"\nCS =(\S+)", block)
                out.write("%s cpu%s RIP=%s RSP=%s CS=%s EFL=%s CR3=%s HLT=%s\n" % (
                    now, cpu, fields.get("RIP"), fields.get("RSP"),
                    cs.group(1) if cs else None, fields.get("EFL"),
                    fields.get("CR3"), fields.get("HLT")))
            out.flush()
            time.sleep(interval)


if __name__ == "__main__":
    main()
