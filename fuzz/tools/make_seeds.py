#!/usr/bin/env python3
"""Rebuild fuzz/seeds/ from testdata/, ../shared/corpus/files and the ARM
examples. Seeds stay small (libFuzzer's default -max_len is the largest
seed, and short inputs run faster): pcap and pcapng files are cut to their
first records, NetMon files (whose frame table sits at the end) are taken
whole only when small. Run from the repository root:
    python3 fuzz/tools/make_seeds.py
"""
import gzip, hashlib, os, shutil, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
SOURCES = [os.path.join(ROOT, "testdata"), os.path.join(ROOT, "..", "shared", "corpus", "files")]
CUT = 6000          # bytes kept of a pcap/pcapng seed
NETMON_MAX = 24000  # largest NetMon file taken whole
# Index in fuzz_targets/decode.rs LINKTYPES for each link type number.
DECODE_INDEX = {0: 0, 1: 1, 12: 2, 14: 3, 101: 4, 105: 5, 108: 6, 113: 7, 228: 8, 229: 9, 239: 10, 276: 11}
# Index in fuzz_targets/check/oracle.rs LINKTYPES (the link types etherparse
# slices); oracle seeds with the top bit set in the first byte are files.
ORACLE_INDEX = {1: 0, 101: 1, 228: 2, 229: 3, 113: 4, 14: 5}
ORACLE_PER_FILE = 3     # frames taken from each file, spread over it
ORACLE_FILES = 24       # capture files given whole (cut) to the reader oracle


# Classic pcap magics (both byte orders, microseconds and nanoseconds).
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")


def out(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def cut_records(data):
    """Cut a pcap/pcapng prefix at a record boundary near CUT bytes."""
    if len(data) <= CUT:
        return data
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        pos = 0
        while pos + 8 <= len(data):
            (ln,) = struct.unpack(e + "I", data[pos + 4:pos + 8])
            if ln < 12 or pos + ln > CUT:
                break
            pos += ln
        return data[:max(pos, 64)]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\x34\xcd\xb2\xa1") else ">"
    hdr = 24 if magic in (b"\x34\xcd\xb2\xa1", b"\xa1\xb2\xcd\x34") else 16
    pos = 24
    while pos + hdr <= len(data):
        (caplen,) = struct.unpack(e + "I", data[pos + 8:pos + 12])
        if pos + hdr + caplen > CUT:
            break
        pos += hdr + caplen
    return data[:pos]


def pcap_frames(data):
    """(linktype, frame) of a classic pcap file."""
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        return
    e = "<" if magic[0] in (0xd4, 0x4d) else ">"
    (lt,) = struct.unpack(e + "I", data[20:24])
    pos = 24
    while pos + 16 <= len(data):
        (caplen,) = struct.unpack(e + "I", data[pos + 8:pos + 12])
        frame = data[pos + 16:pos + 16 + caplen]
        if len(frame) < caplen:
            return
        yield lt & 0xFFFF, frame
        pos += 16 + caplen


def main():
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    seen = set()
    frames = {}
    oracle = []
    oracle_files = 0
    for src in SOURCES:
        if not os.path.isdir(src):
            continue
        for name in sorted(os.listdir(src)):
            if name.endswith((".md", ".tsv")):
                continue
            data = open(os.path.join(src, name), "rb").read()
            if data[:4] == b"GMBU":
                if len(data) > NETMON_MAX:
                    continue
                seed = data
            else:
                seed = cut_records(data)
            h = hashlib.sha1(seed).hexdigest()[:12]
            if h in seen:
                continue
            seen.add(h)
            out("reader", name, seed)
            if seed[:4] in PCAP_MAGICS:
                # The streaming reader's speculative blocks: classic pcap only.
                out("source", name, seed)
            if data[:4] != b"GMBU" and oracle_files < ORACLE_FILES and len(seed) <= CUT:
                oracle_files += 1
                out("oracle", f"file-{name}", b"\x80" + seed)
            all_frames = list(pcap_frames(data))
            for lt, frame in all_frames:
                if lt in DECODE_INDEX and len(frames.setdefault(lt, [])) < 12:
                    frames[lt].append(frame)
            picked = [f for f in all_frames if f[0] in ORACLE_INDEX]
            step = max(1, len(picked) // ORACLE_PER_FILE)
            for i, (lt, frame) in enumerate(picked[::step][:ORACLE_PER_FILE]):
                oracle.append((f"{name}-{i}", bytes([ORACLE_INDEX[lt]]) + frame[:2048]))
    sample = os.path.join(ROOT, "testdata", "zeek_mixed-vlan-mpls.pcap")
    if os.path.exists(sample):
        raw = cut_records(open(sample, "rb").read())
        out("reader", "gzip-zeek_mixed-vlan-mpls.pcap.gz", gzip.compress(raw, mtime=0))
    for name, data in oracle:
        out("oracle", name, data)
    for lt, fs in sorted(frames.items()):
        for i, f in enumerate(fs):
            out("decode", f"lt{lt}-{i}", bytes([DECODE_INDEX[lt]]) + f)
    notations = [
        "10.0.0.4", "10.0.0.1-10.0.0.255", "10.0.0.4;10.0.0.5;", "10.0.0.0/24",
        "2001:db8::/32", "[::1]", "fe80::1 - fe80::ff, 192.168.1.1", "80", "80-85", "80;443;",
        "1024 - 65535", "0", "65535", "TCP\n10.0.0.4\n80;443\n203.0.113.0/24\n1024-65535",
        "UDP\n\n53\n\n", "Any\n::/0\n\n0.0.0.0/0\n",
        '{"protocol": "TCP", "localPort": "80"}',
        '[{"protocol": "UDP", "remoteIPAddress": "10.1.0.0-10.1.255.255"}, {"localPort": "22"}]',
        '{"properties": {"filters": [{"protocol": "TCP", "localIPAddress": "10.0.0.4", "remotePort": "443"}]}}',
        '{"filters": []}',
    ]
    for i, n in enumerate(notations):
        out("filter_notation", f"n{i:02}", n.encode())
    ex = os.path.join(ROOT, "crates", "nwcap-arm", "tests", "examples")
    import json
    for name in sorted(os.listdir(ex)) if os.path.isdir(ex) else []:
        if not name.endswith(".json"):
            continue
        doc = json.load(open(os.path.join(ex, name)))
        # The examples wrap bodies in parameters/responses: seed every object.
        objs = []
        def walk(v):
            if isinstance(v, dict):
                objs.append(v)
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(doc)
        for i, o in enumerate(objs):
            s = json.dumps(o).encode()
            if len(s) > 8 and hashlib.sha1(s).hexdigest() not in seen:
                seen.add(hashlib.sha1(s).hexdigest())
                out("arm_json", f"{name[:-5]}-{i}", s)
                if name.startswith("NetworkWatcherPacketCapture") and len(objs) > 0:
                    out("filter_notation", f"{name[:-5]}-{i}", s)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(SEEDS) for f in fs)
    count = sum(len(fs) for _, _, fs in os.walk(SEEDS))
    print(f"{count} seeds, {total} bytes")
    if total > 2_000_000:
        sys.exit("seeds exceed 2 MB")


if __name__ == "__main__":
    main()
