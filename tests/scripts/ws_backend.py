# SPDX-License-Identifier: GPL-2.0
# WebSocket stand-ins for tests/scripts/http_guard.vm.bats.
#   ws_backend.py PORT            a backend: answers an upgrade with 101, then
#                                 echoes every byte back
#   ws_backend.py --client PORT [HOST]
#                                 a client: upgrade on PORT (Host: HOST,
#                                 default "a"), send a masked text frame
#                                 twice, read it back; prints "101 echo ok"
import socket, sys, threading

FRAME = bytes([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])

def serve(conn):
    with conn:
        head = b""
        while b"\r\n\r\n" not in head:
            b = conn.recv(4096)
            if not b:
                return
            head += b
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            conn.sendall(rest)
        while True:
            b = conn.recv(4096)
            if not b:
                return
            conn.sendall(b)

def backend(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def client(port, host):
    c = socket.create_connection(("127.0.0.1", port), timeout=20)
    c.sendall(b"GET /ws HTTP/1.1\r\nHost: " + host.encode() +
              b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        b = c.recv(4096)
        if not b:
            print("closed before the 101: %r" % head)
            return 1
        head += b
    status = head.split(b" ", 2)[1].decode()
    got = head.split(b"\r\n\r\n", 1)[1]
    # twice: the second frame after the first came back
    for _ in range(2):
        c.sendall(FRAME)
        while len(got) < len(FRAME):
            b = c.recv(4096)
            if not b:
                break
            got += b
        if got[:len(FRAME)] != FRAME:
            print(status, "echo differs: %r" % got)
            return 1
        got = got[len(FRAME):]
    print(status, "echo ok")
    return 0

if sys.argv[1] == "--client":
    sys.exit(client(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "a"))
backend(int(sys.argv[1]))
