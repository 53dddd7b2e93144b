"""Tiny ICMP prober for the netns lab tests (no ping or traceroute needed).

  icmp-probe.py echo DST              -> prints "echo-reply SRC" (exit 0) or "timeout" (exit 1; after 5 tries)
  icmp-probe.py udp DST TTL SPORT DPORT -> prints "TYPE CODE SRC" of the ICMP error quoting the probe, or "timeout"

Run as root inside a namespace (raw ICMP socket).
"""
import os
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def receive(raw: socket.socket, match, timeout: float = 1.0):
    deadline = time.time() + timeout
    while True:
        left = deadline - time.time()
        if left <= 0:
            return None
        raw.settimeout(left)
        try:
            pkt, (src, _) = raw.recvfrom(2048)
        except socket.timeout:
            return None
        ihl = (pkt[0] & 0x0F) * 4
        icmp = pkt[ihl:]
        if len(icmp) >= 8 and match(icmp):
            return icmp[0], icmp[1], src


def echo(dst: str, tries: int = 5) -> int:
    # Up to `tries` requests a second apart: right after a lab is built, a first ARP request can be lost while a
    # peer's link is still coming up, and the kernel asks again only after a second.
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    got = None
    for seq in range(1, tries + 1):
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"flowlens"
        body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        raw.sendto(body, (dst, 0))
        got = receive(raw, lambda i: i[0] == 0 and struct.unpack("!H", i[4:6])[0] == ident)
        if got is not None:
            break
    print("timeout" if got is None else f"echo-reply {got[2]}")
    return 1 if got is None else 0


def udp(dst: str, ttl: int, sport: int, dport: int) -> int:
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", sport))
    u.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    u.sendto(b"flowlens-probe", (dst, dport))

    def quoted(icmp: bytes) -> bool:
        if icmp[0] not in (3, 11):
            return False
        inner = icmp[8:]
        ihl = (inner[0] & 0x0F) * 4
        if len(inner) < ihl + 4 or inner[9] != 17:
            return False
        return struct.unpack("!HH", inner[ihl : ihl + 4]) == (sport, dport)

    got = receive(raw, quoted)
    print("timeout" if got is None else f"{got[0]} {got[1]} {got[2]}")
    return 1 if got is None else 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "echo":
        sys.exit(echo(a[1]))
    sys.exit(udp(a[1], int(a[2]), int(a[3]), int(a[4])))
