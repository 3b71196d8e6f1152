"""A tiny WebSocket client (RFC 6455) for the lab's own checks: the handshake with
subprotocol "sip" and whole text frames, over TCP (ws://) or TLS (wss://).

Written by hand because Debian's python3 here has no WebSocket package and the lab needs
only this much: client-to-server masked text frames, unfragmented or fragmented frames
from the server, ping answered with pong, close. It is a test tool, not ttyphone's
transport (that is src/sip/, built on wslay).
"""

import base64
import hashlib
import os
import socket
import ssl
import struct
import time
from urllib.parse import urlsplit

from ttylab_core import LabError

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 1 << 20  # a SIP message bigger than 1 MB is a lab bug, not data


class WsClosed(Exception):
    """The server closed the WebSocket (or the connection dropped)."""


class WsClient:
    """ws = WsClient("wss://127.0.0.1:PORT/ws", ca_file=CA); ws.send_text("REGISTER ...");
    ws.recv_text(timeout) -> str or None on timeout; ws.close().
    Attributes: response_headers (dict, lower-case names), protocol (the agreed
    subprotocol), sock (the TCP or TLS socket)."""

    def __init__(self, url, ca_file=None, protocol="sip", timeout=3.0, server_hostname=None):
        u = urlsplit(url)
        if u.scheme not in ("ws", "wss"):
            raise LabError("not a ws:// or wss:// URL: %r" % url)
        self.url = url
        self.secure = u.scheme == "wss"
        host, port = u.hostname, u.port or (443 if self.secure else 80)
        raw = socket.create_connection((host, port), timeout=timeout)
        s = raw
        try:
            if self.secure:
                if ca_file:
                    ctx = ssl.create_default_context(cafile=ca_file)
                else:
                    ctx = ssl._create_unverified_context()
                    ctx.check_hostname = False
                s = ctx.wrap_socket(raw, server_hostname=server_hostname or host)
            s.settimeout(timeout)
            self.sock = s
            self._buf = b""
            self._parts = []
            self._handshake(host, port, u.path or "/", protocol)
        except BaseException:
            s.close()
            raise

    def _handshake(self, host, port, path, protocol):
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n%s\r\n") % (
            path, host, port, key,
            ("Sec-WebSocket-Protocol: %s\r\n" % protocol) if protocol else "")
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self._buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WsClosed("connection closed during the WebSocket handshake")
            self._buf += chunk
            if len(self._buf) > 65536:
                raise LabError("WebSocket handshake answer too long")
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.response_headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.response_headers[k.strip().lower()] = v.strip()
        if lines[0].split()[1:2] != ["101"]:
            raise LabError("WebSocket handshake refused: %s" % lines[0])
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if self.response_headers.get("sec-websocket-accept") != want:
            raise LabError("bad Sec-WebSocket-Accept in %r" % self.response_headers)
        self.protocol = self.response_headers.get("sec-websocket-protocol")

    def getsockname(self):
        return self.sock.getsockname()

    def settimeout(self, t):
        self.sock.settimeout(t)

    def _send_frame(self, opcode, payload):
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send_text(self, text):
        self._send_frame(0x1, text.encode() if isinstance(text, str) else text)

    send = send_text  # socket-like, for the SIP helpers

    def _parse_frame(self):
        """(fin, opcode, payload) of a whole frame at the start of the buffer, consumed;
        None while the buffer holds only part of one (so a timeout loses nothing)."""
        buf = self._buf
        if len(buf) < 2:
            return None
        fin, opcode, n, i = buf[0] & 0x80, buf[0] & 0x0F, buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, i = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, i = struct.unpack("!Q", buf[2:10])[0], 10
        if n > MAX_MESSAGE:
            raise LabError("WebSocket frame of %d bytes" % n)
        mask = None
        if buf[1] & 0x80:
            if len(buf) < i + 4:
                return None
            mask, i = buf[i:i + 4], i + 4
        if len(buf) < i + n:
            return None
        payload, self._buf = buf[i:i + n], buf[i + n:]
        if mask:
            payload = bytes(b ^ mask[j & 3] for j, b in enumerate(payload))
        return fin, opcode, payload

    def recv_text(self, timeout=3.0):
        """The next whole data message as text; None on timeout. Raises WsClosed."""
        self.sock.settimeout(timeout)
        while True:
            frame = self._parse_frame()
            if frame is None:
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return None
                if not chunk:
                    raise WsClosed("connection closed")
                self._buf += chunk
                continue
            fin, opcode, payload = frame
            if opcode == 0x8:
                raise WsClosed("server sent close %r" % payload[:2])
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            self._parts.append(payload)
            if fin:
                msg, self._parts = b"".join(self._parts), []
                return msg.decode("utf-8", "replace")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


__all__ = ["WsClient", "WsClosed"]


class WsBadServer:
    """A WebSocket "server" on 127.0.0.1 that misbehaves on purpose, one way per `mode`:
    "close"   accepts and closes at once, before any upgrade answer;
    "refuse"  answers the upgrade with 403;
    "huge"    upgrades properly, then (after 1 s) announces a 10 MB text frame and sends
              64 kB of it;
    "garbage" upgrades properly, then sends bytes that are no WebSocket frame.
    Each connection is served in its own thread; `connections` counts them."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, mode):
        import threading
        self.mode = mode
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = "ws://127.0.0.1:%d/ws" % self.port
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        import threading
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        try:
            c.settimeout(5.0)
            if self.mode == "close":
                return
            req = b""
            while b"\r\n\r\n" not in req and len(req) < 16384:
                chunk = c.recv(4096)
                if not chunk:
                    return
                req += chunk
            if self.mode == "refuse":
                c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            key = ""
            for line in req.decode("latin-1").split("\r\n"):
                if line.lower().startswith("sec-websocket-key:"):
                    key = line.split(":", 1)[1].strip()
            accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest())
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                      b"\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
            if self.mode == "huge":
                time.sleep(1.0)   # after the client's start-up, so its memory is measured first
                c.sendall(struct.pack("!BBQ", 0x81, 127, 10 * 1024 * 1024) + b"A" * 65536)
            elif self.mode == "garbage":
                c.sendall(bytes([0x8f, 0x7e]) + os.urandom(2048))
            # Hold the connection until the client gives up.
            while c.recv(4096):
                pass
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass


class TcpRelay:
    """A TCP path between a client and 127.0.0.1:target_port that the test can take away,
    as a network that drops without a word: down() stops carrying bytes on the open
    connections for good (neither side hears a close: a NAT that lost its mappings, a
    Wi-Fi left behind) and closes new ones at once (an unreachable network); up() carries
    new connections again. The client connects to `port`. `connections` counts the
    accepted connections."""

    def __init__(self, target_port):
        import threading
        self.target = ("127.0.0.1", target_port)
        self.connections = 0
        self.is_down = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._pairs = []
        self._dead = []                # connections cut by down(), closed by close()
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def down(self):
        with self._lock:
            self._dead += self._pairs
            self._pairs = []
        self.is_down = True

    def up(self):
        self.is_down = False

    def _run(self):
        import select
        while not self._stop:
            with self._lock:
                pairs = list(self._pairs)
            watch = [self.sock] + [s for p in pairs for s in p]
            try:
                ready, _, _ = select.select(watch, [], [], 0.05)
            except (OSError, ValueError):
                if self._stop:
                    return
                continue
            for s in ready:
                if s is self.sock:
                    self._accept()
                    continue
                pair = next((p for p in pairs if s in p), None)
                if pair is None or pair not in self._pairs:   # cut meanwhile
                    continue
                other = pair[1] if s is pair[0] else pair[0]
                try:
                    data = s.recv(65536)
                    if data:
                        other.sendall(data)
                        continue
                except OSError:
                    pass
                self._drop(pair)

    def _accept(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        self.connections += 1
        if self.is_down:
            c.close()
            return
        try:
            s = socket.create_connection(self.target, timeout=5)
        except OSError:
            c.close()
            return
        with self._lock:
            self._pairs.append((c, s))

    def _drop(self, pair):
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        for s in pair:
            s.close()

    def close(self):
        self._stop = True
        self._thread.join(timeout=5)
        with self._lock:
            pairs, self._pairs, self._dead = self._pairs + self._dead, [], []
        for pair in pairs:
            for s in pair:
                s.close()
        self.sock.close()
