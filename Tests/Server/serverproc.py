"""Starts `talking-head serve` on a free loopback port and talks to it (Python stdlib only).

Shared by the process tests, the browser test and Benchmarks/server_load.py. Traffic goes to
127.0.0.1 only.
"""
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import time
import zlib

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, weights, image=None, api_key=None, fps=25, extra=()):
        self.port = free_port()
        self.api_key = api_key
        args = [binary, "serve", "--host", HOST, "--port", str(self.port), "--weights", weights,
                "--fps", str(fps), "--seed", "7", *extra]
        if image:
            args += ["--image", image]
        if api_key:
            args += ["--api-key", api_key]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.first_line = self.proc.stdout.readline()
        if "listening" not in self.first_line:
            self.proc.kill()
            raise RuntimeError("server did not start: %r %s" % (self.first_line, self.proc.stderr.read()[-2000:]))
        self.listening_after = time.monotonic() - self.started

    @property
    def pid(self):
        return self.proc.pid

    def headers(self, extra=None, auth=True):
        h = {}
        if self.api_key and auth:
            h["Authorization"] = "Bearer " + self.api_key
        h.update(extra or {})
        return h

    def request(self, method, path, body=None, headers=None, auth=True, timeout=60):
        """(status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        elif isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=self.headers(headers, auth))
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def json(self, method, path, body=None, **kw):
        status, _, data = self.request(method, path, body, **kw)
        return status, (json.loads(data) if data else None)

    def upload(self, png_bytes, field="file", auth=True):
        boundary = "----talkingheadtest%d" % time.monotonic_ns()
        body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"talkinghead.png\"\r\n"
                 "Content-Type: image/png\r\n\r\n") % (boundary, field)).encode() + png_bytes + \
            ("\r\n--%s--\r\n" % boundary).encode()
        return self.request("POST", "/api/talkinghead/load", body,
                            {"Content-Type": "multipart/form-data; boundary=" + boundary}, auth=auth)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Sends `sig`; returns (exit status, seconds to exit)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, 0
        t = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, timeout
        return self.proc.returncode, time.monotonic() - t


class Feed:
    """A raw reader of result_feed: parts framed exactly as SillyTavern-Extras frames them."""

    def __init__(self, server, key=None, timeout=30):
        self.sock = socket.create_connection((HOST, server.port), timeout=timeout)
        path = "/api/talkinghead/result_feed" + ("?key=" + key if key else "")
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, HOST)).encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.body = b""  # de-chunked body bytes not yet consumed

    def _until(self, marker):
        while marker not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _fill(self):
        if not self.chunked:
            data = self.buf or self.sock.recv(65536)
            self.buf = b""
            if not data:
                raise EOFError("connection closed")
            self.body += data
            return
        size_line = self._until(b"\r\n")
        size = int(size_line.strip().split(b";")[0], 16)
        if size == 0:
            raise EOFError("stream ended")
        while len(self.buf) < size + 2:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        self.body += self.buf[:size]
        self.buf = self.buf[size + 2:]

    PART_HEAD = b"--frame\r\nContent-Type: image/png\r\n\r\n"

    def part(self):
        """The next part's PNG bytes (checks the framing)."""
        while len(self.body) < len(self.PART_HEAD):
            self._fill()
        if not self.body.startswith(self.PART_HEAD):
            raise AssertionError("bad part header: %r" % self.body[:60])
        # A PNG ends with the IEND chunk; the part then ends with CRLF.
        end_marker = b"IEND\xaeB`\x82"
        while end_marker not in self.body:
            self._fill()
        end = self.body.index(end_marker) + len(end_marker)
        while len(self.body) < end + 2:
            self._fill()
        if self.body[end:end + 2] != b"\r\n":
            raise AssertionError("part not followed by CRLF")
        png = self.body[len(self.PART_HEAD):end]
        self.body = self.body[end + 2:]
        return png

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def check_png(data, size=512):
    """Checks a PNG fully with zlib: signature, chunk CRCs, an RGBA IHDR of size x size, and the
    inflated image data length. Returns the raw scanlines."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + chunk) & 0xffffffff == crc, "bad CRC in %r" % kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert ihdr is not None, "no IHDR"
    w, h, depth, colour = ihdr[:4]
    assert (w, h, depth, colour) == (size, size, 8, 6), "not an 8-bit RGBA %dx%d PNG: %r" % (size, size, ihdr)
    raw = zlib.decompress(idat)
    assert len(raw) == h * (1 + w * 4), "image data of %d bytes" % len(raw)
    return raw


def make_png(width, height, rgba=True, fill=b"\x00\x80\xff\x80"):
    """A valid PNG built with zlib: RGBA (colour type 6) or RGB (2)."""
    px = fill if rgba else fill[:3]
    raw = b"".join(b"\x00" + px * width for _ in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def wait_for(cond, seconds, what):
    """cond()'s first true value, polled every 50 ms, or AssertionError after `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out after %.0f s waiting for %s" % (seconds, what))


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None
