"""Minimal clients for the host's event streams over TLS: SSE (with chunked transfer
decoding) and WebSocket (RFC 6455), written here so that tests decide exactly where a
connection drops. Standard library only."""

import base64
import json
import os
import socket
import ssl
import struct


def _connect(gateway, receive_buffer=None):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        # Before connecting, so that the advertised window stays this small.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    raw.settimeout(30)
    raw.connect(("127.0.0.1", gateway.port))
    return gateway.context.wrap_socket(raw, server_hostname="localhost")


def read_head(reader):
    """The status line and the headers (names in lower case) of an HTTP answer."""
    status = reader.readline().decode()
    headers = {}
    while True:
        line = reader.readline().decode()
        if line in ("\r\n", "\n", ""):
            return status, headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()


def read_chunks(reader):
    """A chunked body's chunks as they were written (chunked transfer decoding)."""
    while True:
        size_line = reader.readline()
        if not size_line:
            return
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        chunk = reader.read(size)
        reader.readline()
        yield chunk


class _TlsStream:
    def close(self):
        try:
            self.tls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.reader.close()
        self.tls.close()


class SseStream(_TlsStream):
    """One SSE connection; events() yields (id or None, data) until the stream ends."""

    def __init__(self, gateway, path, token, last_event_id=None, receive_buffer=None):
        self.tls = _connect(gateway, receive_buffer)
        request = ("GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                   "Authorization: Bearer %s\r\n" % (path, token))
        if last_event_id is not None:
            request += "Last-Event-ID: %s\r\n" % last_event_id
        self.tls.sendall((request + "\r\n").encode())
        self.reader = self.tls.makefile("rb")
        self.status, self.headers = read_head(self.reader)

    def chunks(self):
        """The body's chunks as the host wrote them."""
        return read_chunks(self.reader)

    def _body_lines(self):
        """The body's lines."""
        pending = b""
        for chunk in self.chunks():
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                yield line.rstrip(b"\r").decode()

    def events(self):
        event_id, data = None, []
        for line in self._body_lines():
            if line == "":
                if data:
                    yield event_id, "\n".join(data)
                event_id, data = None, []
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data.append(line[6:])


class WebSocketStream(_TlsStream):
    """One WebSocket connection; messages() yields parsed JSON text messages until closed."""

    def __init__(self, gateway, path, token, receive_buffer=None):
        self.tls = _connect(gateway, receive_buffer)
        key = base64.b64encode(os.urandom(16)).decode()
        self.tls.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                          "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                          % (path, key, token)).encode())
        self.reader = self.tls.makefile("rb")
        self.status, self.headers = read_head(self.reader)
        self.close_reason = None

    def _send(self, opcode, payload=b"", final=True):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if len(payload) < 126:
            length = bytes([0x80 | len(payload)])
        else:
            length = bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        self.tls.sendall(bytes([(0x80 if final else 0) | opcode]) + length + mask + masked)

    def _frame(self):
        head = self.reader.read(2)
        if len(head) < 2:
            return None, None, None
        fin, opcode, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.reader.read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.reader.read(8))[0]
        return fin, opcode, self.reader.read(length)

    def messages(self, answer_pings=True):
        """The stream's messages until it ends. A client that no longer answers pings
        (answer_pings=False) never writes to a stream the host may be closing: a write
        there would be reset, and take the close frame still in flight with it."""
        parts = b""
        while True:
            fin, opcode, payload = self._frame()
            if opcode is None:
                return
            if opcode == 0x9:
                if answer_pings:
                    self._send(0xA, payload)
            elif opcode == 0x8:
                self.close_reason = payload[2:].decode(errors="replace")
                return
            elif opcode in (0x0, 0x1):
                parts += payload
                if fin:
                    yield json.loads(parts)
                    parts = b""
