"""A small fleet of generated Network Watcher captures (stdlib only).

Five sources laid out as Network Watcher stores them (see
``nwcap_engine::sources``), 13 pcap files in all:

* ``web1`` (10.0.0.4): a continuous capture, 3 rolling files of one minute;
  a TLS connection to 198.51.100.7:443 runs through all three (one flow);
* ``db1`` (10.0.0.5): 3 captures, at 10:00, 10:59 and 12:00 (three hours);
* ``ss_0``, ``ss_1``: a scale-set capture of two instances, 3 rolling files
  each under the session's folder;
* ``ss_2``: a capture of one scale-set instance (``virtualMachines/2``).

``web1`` talks to ``db1`` (10.0.0.4:45000 -> 10.0.0.5:5432): the
conversation is in both captures, ``db1``'s clock 300 us ahead. Every file
also has background flows of several shapes (TCP SF, REJ, S0, reset; UDP
DNS), from a seeded generator: the same files on every run.
"""

from __future__ import annotations

import os
import random
import struct

BASE = 1740823200  # 2025-03-01 10:00:00 UTC
SUB = "subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg1/providers/microsoft.compute"

WEB1, DB1 = "10.0.0.4", "10.0.0.5"
SS = {"ss_0": "10.0.1.4", "ss_1": "10.0.1.5", "ss_2": "10.0.1.6"}
#: The conversation captured at both ends.
TWO_ENDED = (WEB1, 45000, DB1, 5432)
#: The flow that crosses web1's three files, and its packets.
CROSSING = (WEB1, 50000, "198.51.100.7", 443)
SKEW = 0.0003


def _ip(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def _csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _frame(src, dst, proto, l4: bytes) -> bytes:
    total = 20 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, _ip(src), _ip(dst))
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    eth = b"\x00\x0d\x3a\x00\x00\x01" + b"\x12\x34\x56\x78\x9a\xbc" + b"\x08\x00"
    return eth + hdr + l4


def _tcp(sp, dp, seq, ack, flags, payload=b"", win=64240) -> bytes:
    return struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, win, 0, 0) + payload


def _udp(sp, dp, payload) -> bytes:
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


class Conn:
    """Packets of one TCP connection, as (time, frame)."""

    def __init__(self, c, cp, s, sp, t, rng):
        self.c, self.cp, self.s, self.sp, self.t = c, cp, s, sp, t
        self.cseq, self.sseq = rng.randrange(1 << 32), rng.randrange(1 << 32)
        self.pkts = []

    def _send(self, from_client, flags, payload=b"", dt=0.001):
        self.t += dt
        if from_client:
            f = _frame(self.c, self.s, 6, _tcp(self.cp, self.sp, self.cseq, self.sseq, flags, payload))
            self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        else:
            f = _frame(self.s, self.c, 6, _tcp(self.sp, self.cp, self.sseq, self.cseq, flags, payload))
            self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        self.pkts.append((self.t, f))

    def handshake(self):
        self._send(True, SYN, dt=0)
        self._send(False, SYN | ACK)
        self._send(True, ACK)
        return self

    def exchange(self, n, req=120, resp=900, gap=0.01):
        for _ in range(n):
            self._send(True, PSH | ACK, b"q" * req, dt=gap)
            self._send(False, PSH | ACK, b"r" * resp)
        return self

    def close(self):
        self._send(True, FIN | ACK)
        self._send(False, FIN | ACK)
        self._send(True, ACK)
        return self


def background(rng, local, t0, span, n):
    """``n`` flows of several shapes with ``local`` as one end."""
    pkts = []
    for _ in range(n):
        t = t0 + rng.uniform(0, span - 2)
        remote = f"203.0.113.{rng.randrange(1, 60)}"
        port = rng.randrange(20000, 60000)
        shape = rng.random()
        if shape < 0.45:  # SF, inbound to a service
            c = Conn(remote, port, local, rng.choice([443, 80, 22]), t, rng)
            pkts += c.handshake().exchange(rng.randrange(1, 6), resp=rng.randrange(100, 1400)).close().pkts
        elif shape < 0.6:  # REJ
            c = Conn(remote, port, local, 8080, t, rng)
            c._send(True, SYN, dt=0)
            c._send(False, RST | ACK)
            pkts += c.pkts
        elif shape < 0.7:  # S0, outbound
            c = Conn(local, port, remote, 3389, t, rng)
            c._send(True, SYN, dt=0)
            pkts += c.pkts
        elif shape < 0.8:  # reset by the client
            c = Conn(remote, port, local, 443, t, rng).handshake().exchange(2)
            c._send(True, RST | ACK)
            pkts += c.pkts
        else:  # DNS to Azure's resolver
            q = bytes(rng.randrange(256) for _ in range(30))
            pkts.append((t, _frame(local, "168.63.129.16", 17, _udp(port, 53, q))))
            pkts.append((t + 0.002, _frame("168.63.129.16", local, 17, _udp(53, port, q + b"a" * 40))))
    return pkts


def write_pcap(path, pkts, skew=0.0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, frame in sorted(pkts, key=lambda p: p[0]):
            t += skew
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def split(pkts, bounds):
    """Packets cut by time at ``bounds`` (len(bounds) + 1 parts)."""
    parts = [[] for _ in range(len(bounds) + 1)]
    for p in pkts:
        i = sum(1 for b in bounds if p[0] >= b)
        parts[i].append(p)
    return parts


def generate(root: str, flows_per_file: int = 60, seed: int = 7) -> dict:
    """Writes the fleet below ``root``; returns ``{source: [files]}`` and
    facts the tests check (``crossing_pkts``)."""
    rng = random.Random(seed)
    files: dict = {}

    def add(source, path, pkts, skew=0.0):
        full = os.path.join(root, path)
        write_pcap(full, pkts, skew)
        files.setdefault(source, []).append(full)

    day = "2025/03/01"
    # web1: continuous capture, three one-minute files.
    two = Conn(*TWO_ENDED[:2], *TWO_ENDED[2:], BASE + 20, rng).handshake().exchange(8, gap=0.05).close().pkts
    cross = Conn(*CROSSING[:2], *CROSSING[2:], BASE + 30, rng).handshake()
    for _ in range(8):  # one request every 15 s: 10:00:30 .. 10:02:30
        cross.exchange(1, gap=15.0)
    cross.close()
    web = background(rng, WEB1, BASE, 180, 3 * flows_per_file) + two + cross.pkts
    session = f"{SUB}/virtualmachines/web1/{day}/packetcapture_10_00_00_000"
    for i, part in enumerate(split(web, [BASE + 60, BASE + 120])):
        add("web1", f"{session}/web1_{i:03d}.cap", part)
    # db1: three separate captures, the first holding the conversation.
    for i, (start, name) in enumerate([(0, "10_00_00_000"), (3540, "10_59_00_000"), (7200, "12_00_00_000")]):
        pkts = background(rng, DB1, BASE + start, 120, flows_per_file)
        if i == 0:
            pkts += two
        add("db1", f"{SUB}/virtualmachines/db1/{day}/packetcapture_{name}.cap", pkts, skew=SKEW if i == 0 else 0.0)
    # A scale set: two instances in one session, three rolling files each.
    ss_session = f"{SUB}/virtualmachinescalesets/ss/{day}/packetcapture_10_30_00_000"
    for inst in ("ss_0", "ss_1"):
        pkts = background(rng, SS[inst], BASE + 1800, 150, 3 * flows_per_file)
        for i, part in enumerate(split(pkts, [BASE + 1850, BASE + 1900])):
            add(inst, f"{ss_session}/{inst}_{i:03d}.cap", part)
    # One instance captured alone.
    add(
        "ss_2",
        f"{SUB}/virtualmachinescalesets/ss/virtualMachines/2/{day}/packetcapture_11_00_00_000.cap",
        background(rng, SS["ss_2"], BASE + 3600, 120, flows_per_file),
    )
    return {"files": files, "crossing_pkts": len(cross.pkts), "two_ended_pkts": len(two)}


def bad_source(root: str) -> str:
    """A source whose only capture is not a capture at all."""
    path = os.path.join(root, f"{SUB}/virtualmachines/bad1/2025/03/01/packetcapture_10_00_00_000.cap")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"this is not a capture file\n" * 4)
    return path
