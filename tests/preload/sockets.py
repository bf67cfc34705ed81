#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Sockets the shim must not pass by accident, for shim.vm.bats.

  sockets.py serve PORT GOFILE   a TCP Fast Open listener on 127.0.0.1:PORT;
                                 prints "ready", waits until GOFILE exists,
                                 accepts one connection and prints
                                 "state=NAME data=BYTES" (what one recv read)
                                 or "accept: ERROR"
  sockets.py syn PORT SRC DATA   a raw SYN carrying DATA from SRC to
                                 127.0.0.1:PORT (no cookie: the listener's
                                 net.ipv4.tcp_fastopen must have 0x200); the
                                 SYN-ACK must go nowhere (route SRC to lo), so
                                 the server's child stays in SYN-RECV
  sockets.py rst PORT DATA       connect, send DATA, abort with an RST
"""
import os
import socket
import struct
import sys
import time

STATES = {1: "ESTABLISHED", 3: "SYN_RECV", 7: "CLOSE", 8: "CLOSE_WAIT"}


def serve(port, gofile):
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    lsn.bind(("127.0.0.1", port))
    lsn.listen(16)
    print("ready", flush=True)
    while not os.path.exists(gofile):
        time.sleep(0.05)
    try:
        conn, _ = lsn.accept()
    except OSError as e:
        print("accept: " + e.strerror, flush=True)
        return 0
    info = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    state = STATES.get(info[0], str(info[0]))
    try:
        data = conn.recv(4096).decode(errors="replace")
    except OSError as e:
        data = "(" + e.strerror + ")"
    print("state=%s data=%s" % (state, data), flush=True)
    conn.close()
    return 0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def syn(port, src, data):
    data = data.encode()
    saddr = socket.inet_aton(src)
    daddr = socket.inet_aton("127.0.0.1")
    sport = 40000 + os.getpid() % 20000
    # TCP header, 20 bytes, SYN, no options.
    tcp = struct.pack("!HHIIBBHHH", sport, port, 12345, 0, 5 << 4, 0x02,
                      65535, 0, 0)
    pseudo = saddr + daddr + struct.pack("!BBH", 0, socket.IPPROTO_TCP,
                                         len(tcp) + len(data))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + data)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), 1,
                     0, 64, socket.IPPROTO_TCP, 0, saddr, daddr)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(ip + tcp + data, ("127.0.0.1", 0))
    return 0


def rst(port, data):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(data.encode())
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "serve":
        return serve(int(argv[2]), argv[3])
    if len(argv) == 5 and argv[1] == "syn":
        return syn(int(argv[2]), argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "rst":
        return rst(int(argv[2]), argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
