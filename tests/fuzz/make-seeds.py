#!/usr/bin/env python3
# Writes the seed inputs of the fuzz targets into corpus/<target>/seed-*: a few
# well-formed inputs each (so that the fuzzer starts from the accepted paths) and
# a few hostile ones. The layouts are the targets' input formats (see the
# comment at the top of each fuzz_*.c) and the ABI in include/splitvisor/.
# Rerun after changing an input format; crashes found are kept as crash-* files.
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def chunk(b):
    return struct.pack("<H", len(b)) + b


# ---- elf: tiny ELF64 x86-64 executables -------------------------------------
def elf(segs, entry, phoff=64, truncate=None):
    body = b"".join(s[3] for s in segs)
    ph = b""
    off = phoff + 56 * len(segs)
    for vaddr, filesz, memsz, data in segs:
        ph += struct.pack("<IIQQQQQQ", 1, 7, off, vaddr, vaddr, filesz, memsz, 0x1000)
        off += len(data)
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64, 56, len(segs),
                       64, 0, 0)
    img = hdr + bytes(phoff - 64) + ph + body
    return img[:truncate] if truncate else img


code = b"\xf4" * 64
put("elf", "ok-one-segment", elf([(0x100000, 64, 4096, code)], 0x100000))
put("elf", "ok-two-segments", elf([(0x100000, 64, 64, code), (0x200000, 64, 8192, code)],
                                  0x200010))
put("elf", "bad-overlap", elf([(0x100000, 64, 8192, code), (0x101000, 64, 64, code)], 0x100000))
put("elf", "bad-entry", elf([(0x100000, 64, 64, code)], 0x300000))
put("elf", "bad-reserved", elf([(0x1000, 64, 64, code)], 0x1000))
put("elf", "bad-truncated", elf([(0x100000, 64, 64, code)], 0x100000, truncate=100))
put("elf", "bad-beyond-ram", elf([(0xfffff000, 64, 1 << 30, code)], 0xfffff000))


# ---- hypercall: steps (0 poke, 1 hypercall, 2 peer) ----------------------------
def poke(gpa, data):
    return bytes([0]) + struct.pack("<I", gpa) + chunk(data)


def hcall(nr, *args):
    b = bytes([1, nr])
    for a in (list(args) + [0] * 5)[:5]:
        b += bytes([1]) + struct.pack("<Q", a & (2**64 - 1))
    return b


def peer(op, port=0):
    return bytes([2]) + struct.pack("<H", port) + bytes([op])


EC, GT = 32, 20
put("hypercall", "ok-version-console",
    hcall(17, 0) + hcall(17, 6) + poke(0x2000, b"hello") + hcall(18, 0, 5, 0x2000))
# alloc_unbound {dom, remote_dom, port}, send, status, close
put("hypercall", "ok-evtchn",
    poke(0x3000, struct.pack("<HHI", 0x7ff0, 2, 0)) + hcall(EC, 6, 0x3000) +
    poke(0x3100, struct.pack("<I", 1)) + hcall(EC, 4, 0x3100) + hcall(EC, 9, 0x3100) +
    hcall(EC, 3, 0x3100))
put("hypercall", "ok-peer-bind",
    peer(0) + poke(0x3000, struct.pack("<HII", 2, 1, 0)) + hcall(EC, 0, 0x3000) +
    peer(1, 1) + hcall(EC, 8, 0x3000))
put("hypercall", "ok-grant-setup", poke(0x4000, struct.pack("<QI", 0x10000, 1)) +
    hcall(GT, 0, 0x4000) + hcall(GT, 1, 0x4000))
put("hypercall", "ok-sched", hcall(29, 0) + hcall(29, 1) + hcall(15, 1 << 40) + hcall(24, 0, 1))
put("hypercall", "bad-pointers",
    hcall(18, 0, 5, 2**64 - 4) + hcall(EC, 6, 0xfffff) + hcall(GT, 0, 2**63) + hcall(63, 1))

# ---- xenhcall: steps (0 poke, 1 hypercall, 2 paging, 3 peer); pointers are virtual ----
VA_A = 0xffff888000400000  # pt_fixture.h: -> gpa 0x20000, next page -> 0x10000, then a hole


def xhc(nr, *args):
    b = bytes([1, [12, 17, 18, 20, 24, 29, 32, 34].index(nr)])
    for a in (list(args) + [0] * 5)[:5]:
        b += bytes([3]) + struct.pack("<Q", a & (2**64 - 1))
    return b


put("xenhcall", "ok-version",
    xhc(17, 0) + xhc(17, 1, VA_A + 0xff8) + poke(0x20800, bytes(8)) + xhc(17, 6, VA_A + 0x800))
put("xenhcall", "ok-shinfo-vcpuinfo",
    poke(0x20800, struct.pack("<HHIQQ", 0x7ff0, 0, 0, 0, 0x40)) + xhc(12, 7, VA_A + 0x800) +
    poke(0x20900, struct.pack("<QII", 0x41, 0x40, 0)) + xhc(24, 10, 1, VA_A + 0x900) +
    poke(0x20a00, struct.pack("<IB3x", 1, 0xf3)) + xhc(34, 23, VA_A + 0xa00))
put("xenhcall", "ok-evtchn",
    poke(0x20800, struct.pack("<II", 1, 0)) + xhc(32, 7, VA_A + 0x800) +
    xhc(32, 4, VA_A + 0x804) + poke(0x20900, struct.pack("<III", 1, 1, 0)) +
    xhc(32, 1, VA_A + 0x900) + poke(0x20a00, struct.pack("<HHI", 0x7ff0, 2, 0)) +
    xhc(32, 6, VA_A + 0xa00) + bytes([3]) + struct.pack("<H", 1) + bytes([1]))
put("xenhcall", "ok-sched-grant-console",
    xhc(29, 0) + poke(0x20800, struct.pack("<HHIIhH", 0x7ff0, 0, 0, 0, 0, 0)) +
    xhc(20, 6, VA_A + 0x800, 1) + poke(0x20900, struct.pack("<I", 1)) +
    xhc(20, 8, VA_A + 0x900, 1) + poke(0x20ff8, b"console!") + poke(0x10000, b"crossing") +
    xhc(18, 0, 16, VA_A + 0xff8))
put("xenhcall", "bad-pointers",
    xhc(17, 1, 0x0000800000000000) + xhc(17, 1, VA_A + 0x1ff8) + xhc(18, 0, 4097, VA_A) +
    xhc(32, 5, 2**64 - 8) + bytes([2, 1, 1]) + struct.pack("<Q", 0x7ffff000) + bytes([1, 1]) +
    xhc(17, 1, VA_A) + poke(0x1000, struct.pack("<Q", 0xfffffffffffff))
    + xhc(17, 1, 0x40000000))

# ---- xenstore: steps (selector, chunk of bytes fed) -----------------------------
def xs(t, payload, req=1, tx=0):
    return struct.pack("<IIII", t, req, tx, len(payload)) + payload


def feed(conn, data):
    return bytes([conn]) + chunk(data)


XS_DIR, XS_READ, XS_GETP, XS_WATCH, XS_UNWATCH, XS_TS, XS_TE = 1, 2, 3, 4, 5, 6, 7
XS_INTRO, XS_REL, XS_GDP, XS_WRITE, XS_MKDIR, XS_RM, XS_SETP = 8, 9, 10, 11, 12, 13, 14
put("xenstore", "ok-dom0-basics",
    feed(0, xs(XS_WRITE, b"/local/domain/1/data/x\0hello")) +
    feed(0, xs(XS_READ, b"/local/domain/1/data/x\0")) +
    feed(0, xs(XS_DIR, b"/local/domain/1\0")) +
    feed(0, xs(XS_SETP, b"/local/domain/1/data\0n1\0r2\0")) +
    feed(0, xs(XS_GETP, b"/local/domain/1/data\0")) +
    feed(0, xs(XS_WATCH, b"/local/domain/1\0tok\0")))
put("xenstore", "ok-guest-txn",
    feed(0, xs(XS_MKDIR, b"/local/domain/1/device\0")) +
    feed(0, xs(XS_SETP, b"/local/domain/1/device\0n1\0")) +
    feed(1, xs(XS_WATCH, b"device\0w\0")) +
    feed(1, xs(XS_TS, b"\0")) +
    feed(1, xs(XS_WRITE, b"device/vbd/state\x004", tx=1)) +
    feed(1, xs(XS_TE, b"T\0", tx=1)) +
    feed(2, xs(XS_READ, b"/local/domain/1/device/vbd/state\0")) +
    feed(1, xs(XS_RM, b"device/vbd\0")) +
    feed(1, xs(XS_GDP, b"1\0")))
put("xenstore", "ok-release",
    feed(1, xs(XS_WRITE, b"data/a\0b")) + bytes([0x81]) +
    feed(0, xs(XS_INTRO, b"2\x0012345\x005\0")) + feed(0, xs(XS_REL, b"2\0")))
put("xenstore", "bad-framing",
    feed(1, struct.pack("<IIII", 2, 1, 0, 99999)) + feed(2, xs(77, b"x\0")) +
    feed(2, xs(XS_WRITE, b"/local/domain/0/x\0y")) + feed(1, xs(XS_TE, b"F\0", tx=9)))

# ---- ring: steps (op % 6) -------------------------------------------------------
put("ring", "ok-requests",
    bytes([0]) + struct.pack("<H", 0) + chunk(struct.pack("<IIII", 3, 1, 0, 1)) + bytes([1]) +
    bytes([3]) + struct.pack("<H", 100) + bytes([0]) +
    bytes([3]) + struct.pack("<H", 100) + bytes([1, 0]) +
    bytes([5]) + chunk(xs(XS_READ, b"/\0")) + bytes([5]) + chunk(xs(XS_DIR, b"/local\0")))
put("ring", "bad-indices",
    bytes([0]) + struct.pack("<H", 0) + chunk(struct.pack("<IIII", 1000, 1, 0, 1)) +
    bytes([2]) + struct.pack("<II", 5, 5000) + struct.pack("<H", 10) + bytes([1, 0]) +
    bytes([4]) + struct.pack("<H", 2048) + chunk(struct.pack("<IIII", 0, 4000, 0, 0)))

# ---- ctlwire: chunks of a byte stream -------------------------------------------
hello = struct.pack("<II", 1, 0) + bytes(64)
msg = struct.pack("<IIIi", 1, len(hello), 1, 0) + hello
put("ctlwire", "ok-hello", chunk(msg) + chunk(msg[:7]) + chunk(msg[7:]))
put("ctlwire", "ok-list", chunk(struct.pack("<IIIi", 7, 4, 2, 0) + struct.pack("<I", 0)))
put("ctlwire", "bad-huge", chunk(struct.pack("<IIIi", 2, 1 << 30, 3, 0)))
put("ctlwire", "bad-ops", chunk(struct.pack("<IIIi", 999, 0, 4, 0)) +
    chunk(struct.pack("<IIIi", 1, 4, 5, 7) + bytes(4)))


# ---- blkback: flags, then rounds of (ring chunk, page chunk, producer) -------------
def blk_rw(op, rid, sector, segs):
    b = struct.pack("<BBHIQQ", op, len(segs), 0, 0, rid, sector)
    for ref, first, last in segs:
        b += struct.pack("<IBBH", ref, first, last, 0)
    return b.ljust(112, b"\0")


def blk_indirect(op, rid, sector, nseg, grefs):
    b = struct.pack("<BBHIQQHH", 6, op, nseg, 0, rid, sector, 0, 0)
    b += b"".join(struct.pack("<I", r) for r in grefs)
    return b.ljust(112, b"\0")


def blk_round(slots, page_off=0, page_data=b"", count=None):
    ring = b"".join(slots)
    n = len(slots) if count is None else count
    return (struct.pack("<H", 0) + chunk(ring) + bytes([n & 0x3f]) +
            struct.pack("<I", page_off) + chunk(page_data))


# Data pages are refs 9..16 (writable) and 17..18 (read-only), at page i of `pages`.
segs = struct.pack("<IBBH", 10, 0, 7, 0) + struct.pack("<IBBH", 11, 0, 7, 0)
put("blkback", "ok-read-write",
    bytes([0]) + blk_round([blk_rw(1, 1, 0, [(9, 0, 7)]), blk_rw(0, 2, 0, [(10, 0, 7)]),
                            blk_rw(3, 3, 0, [])]))
put("blkback", "ok-persistent", bytes([1]) + blk_round([blk_rw(0, 1, 8, [(9, 0, 7), (12, 1, 3)])]) +
    blk_round([blk_rw(1, 2, 8, [(9, 0, 7)])]))
put("blkback", "ok-indirect",
    bytes([0]) + blk_round([blk_indirect(0, 1, 16, 2, [17])], page_off=8 * 4096,
                           page_data=segs))
put("blkback", "ok-discard",
    bytes([0]) + blk_round([struct.pack("<BBHIQQQ", 5, 0, 0, 0, 1, 64, 8).ljust(112, b"\0")]))
put("blkback", "bad-requests",
    bytes([0]) + blk_round([blk_rw(1, 1, 0, [(17, 0, 7)]), blk_rw(0, 2, 1 << 40, [(9, 0, 7)]),
                            blk_rw(0, 3, 0, [(9, 7, 0)]), blk_rw(9, 4, 0, []),
                            blk_rw(0, 5, 0, [(4000, 0, 7)]),
                            blk_indirect(0, 6, 0, 4000, [17])]))
put("blkback", "bad-producer", bytes([0]) + struct.pack("<H", 0) + chunk(b"") + bytes([0x80]) +
    struct.pack("<I", 0) + chunk(b"") + struct.pack("<I", 1000))


# ---- netback: flags, then steps (0 tx, 1 data, 2 rx post, 3 frame) --------------------
def tx(ref, off, flags, rid, size):
    return struct.pack("<IHHHH", ref, off, flags, rid, size)


frame = bytes.fromhex("ffffffffffff00163e000001" + "0800") + bytes(46)
put("netback", "ok-tx",
    bytes([0]) + bytes([1]) + struct.pack("<I", 0) + chunk(frame) +
    bytes([0]) + struct.pack("<I", 0) + chunk(tx(10, 0, 0, 1, 60) + tx(10, 0, 0, 2, 60)) +
    bytes([2]))
put("netback", "ok-tx-chain-sg",
    bytes([1]) + bytes([1]) + struct.pack("<I", 0) + chunk(frame) +
    bytes([0]) + struct.pack("<I", 0) + chunk(tx(10, 0, 4, 1, 60) + tx(11, 0, 0, 2, 30)) +
    bytes([2]))
put("netback", "ok-rx",
    bytes([0]) + bytes([2]) + struct.pack("<I", 0) +
    chunk(struct.pack("<HHI", 1, 0, 12) + struct.pack("<HHI", 2, 0, 13)) + bytes([2]) +
    bytes([3]) + struct.pack("<I", 60) + chunk(frame) +
    bytes([3]) + struct.pack("<I", 1514) + chunk(frame))
put("netback", "bad-tx",
    bytes([0]) + bytes([0]) + struct.pack("<I", 0) +
    chunk(tx(10, 4000, 0, 1, 200) + tx(3000, 0, 0, 2, 60) + tx(10, 0, 0, 3, 0) +
          tx(10, 0, 8, 4, 60) + struct.pack("<BBHHH", 9, 0, 0, 0, 0)) + bytes([5]) +
    bytes([3]) + struct.pack("<I", 70000) + chunk(b"") +
    bytes([0]) + struct.pack("<I", 0) + chunk(b"") + bytes([0x80]) + struct.pack("<I", 5000))
print("seeds written under", os.path.join(here, "corpus"))
