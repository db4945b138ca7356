"""A permessage-deflate client written on raw sockets and zlib alone.

  zlib_client.py URL OFFER

It offers OFFER (a Sec-WebSocket-Extensions value) and compresses the way
the Autobahn suite's client does: one raw deflate stream (wbits -15) across
messages, each message ended with Z_SYNC_FLUSH and its 00 00 ff ff tail
removed (RFC 7692 section 7.2.1). A fresh stream starts for every message
only when the server's response states client_no_context_takeover. The
server's messages are inflated by one stream as well, unless the response
states server_no_context_takeover.

It sends a 125-byte text message "cdefgh..." (letters cycling from 'c'),
then a 126-byte binary message of the bytes 0x15 to 0x92, which repeats
much of the first one, so that a compressor that keeps its context refers
back into the first message. For each it prints "echo N ok" when the same
message comes back, and "response EXTENSIONS" after the handshake. Then it
closes with 1000 and prints "closed CODE REASON" with the server's close.
Anything unexpected exits non-zero with the reason on stderr.
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import urllib.parse
import zlib

TAIL = b"\x00\x00\xff\xff"


def fail(msg):
    print(msg, file=sys.stderr, flush=True)
    sys.exit(1)


class Conn:
    def __init__(self, url, offer):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path or "/"
        req = (
            f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n"
        )
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            self.more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            fail("handshake refused: " + lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != want:
            fail("bad Sec-WebSocket-Accept")
        self.response = headers.get("sec-websocket-extensions", "")
        params = [p.strip().split("=")[0] for p in self.response.split(";")]
        if not params or params[0] != "permessage-deflate":
            fail("permessage-deflate not accepted: %r" % self.response)
        self.client_nct = "client_no_context_takeover" in params
        self.server_nct = "server_no_context_takeover" in params
        self.comp = None
        self.decomp = zlib.decompressobj(-15)

    def more(self):
        b = self.sock.recv(65536)
        if not b:
            fail("connection closed by the server")
        self.buf += b

    def take(self, n):
        while len(self.buf) < n:
            self.more()
        b, self.buf = self.buf[:n], self.buf[n:]
        return b

    def send_frame(self, opcode, payload, rsv1=False):
        b0 = 0x80 | (0x40 if rsv1 else 0) | opcode
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", b0, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", b0, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_message(self, opcode, data):
        if self.comp is None or self.client_nct:
            self.comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        z = self.comp.compress(data) + self.comp.flush(zlib.Z_SYNC_FLUSH)
        if not z.endswith(TAIL):
            fail("sync flush without its tail")
        self.send_frame(opcode, z[: -len(TAIL)], rsv1=True)

    def read_frame(self):
        b0, b1 = self.take(2)
        if b1 & 0x80:
            fail("masked frame from the server")
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.take(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self.take(8))
        return b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x0F, self.take(n)

    def read_message(self):
        """Returns (opcode, data); control frames other than close are answered or skipped."""
        opcode, compressed, parts = None, False, []
        while True:
            fin, rsv1, op, payload = self.read_frame()
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                return op, (code, payload[2:].decode())
            if op == 9:
                self.send_frame(10, payload)
                continue
            if op == 10:
                continue
            if opcode is None:
                opcode, compressed = op, rsv1
            parts.append(payload)
            if fin:
                break
        data = b"".join(parts)
        if compressed:
            if self.server_nct:
                self.decomp = zlib.decompressobj(-15)
            data = self.decomp.decompress(data + TAIL)
        return opcode, data


def main():
    url, offer = sys.argv[1], sys.argv[2]
    c = Conn(url, offer)
    print("response", c.response, flush=True)
    text = bytes(ord("a") + (2 + i) % 26 for i in range(125))
    binary = bytes(range(0x15, 0x93))
    for i, (opcode, data) in enumerate([(1, text), (2, binary)], 1):
        c.send_message(opcode, data)
        got_op, got = c.read_message()
        if got_op == 8:
            fail("message %d: the server closed with %d %s" % (i, got[0], got[1]))
        if got_op != opcode or got != data:
            fail("message %d: echo differs (opcode %d, %d bytes)" % (i, got_op, len(got)))
        print("echo", i, "ok", flush=True)
    c.send_frame(8, struct.pack("!H", 1000))
    op, got = c.read_message()
    if op != 8:
        fail("no close frame after the client's close")
    print("closed", got[0], got[1], flush=True)


main()
