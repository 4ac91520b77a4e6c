"""An HTTP/1.1 forwarding proxy for tests that need an exact fault between a
client and the real S3 server (RGW): it forwards every request unchanged
(Host header and signature included, so the server verifies SigV4 as
signed) and can hold one response back while the test changes the server's
state, answer nothing at all (a black hole), or refuse connections.

Not an S3 implementation: every answer it passes on comes from the server.
"""
import http.client
import socket
import threading
import urllib.parse


class HoldProxy:
    def __init__(self, upstream):
        u = urllib.parse.urlparse(upstream)
        self.up_host, self.up_port = u.hostname, u.port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        # hold(method, path, headers) -> callable or None: when it returns a
        # callable, the upstream's answer is held until the callable returns.
        self.hold = None
        self.black_hole = False  # accept, read, never answer
        # drop(method, path, headers) -> bool: when true, the connection is
        # closed instead of answering (a reset mid-exchange).
        self.drop = None
        self.requests = []  # (method, path, headers) seen
        self.lock = threading.Lock()
        self.stopped = False
        self.clients = []
        # after(n, fn): call fn once, when the n-th request has been answered.
        self.after = None
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.stopped = True
        try:
            # shutdown wakes the thread blocked in accept(); close alone would
            # leave the listening socket alive until accept() returns.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def kill(self):
        """The server dies: new connections are refused, open ones reset."""
        self.close()
        with self.lock:
            clients, self.clients = self.clients, []
        for c in clients:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.clients.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _read_request(self, f):
        line = f.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers = []
        while True:
            h = f.readline().decode("latin-1").rstrip("\r\n")
            if not h:
                break
            name, value = h.split(":", 1)
            headers.append((name, value.strip()))
        length = int(next((v for n, v in headers if n.lower() == "content-length"), "0"))
        body = f.read(length) if length else b""
        return method, path, headers, body

    def _serve(self, c):
        f = c.makefile("rb")
        up = None
        try:
            while True:
                req = self._read_request(f)
                if req is None:
                    return
                method, path, headers, body = req
                with self.lock:
                    self.requests.append((method, path, dict((n.lower(), v) for n, v in headers)))
                if self.black_hole:
                    threading.Event().wait(3600)
                    return
                if self.drop and self.drop(method, path, dict((n.lower(), v) for n, v in headers)):
                    return
                if up is None:
                    up = http.client.HTTPConnection(self.up_host, self.up_port, timeout=120)
                up.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for n, v in headers:
                    up.putheader(n, v)
                up.endheaders(body if body else None)
                r = up.getresponse()
                data = r.read()
                waiter = self.hold(method, path, dict((n.lower(), v) for n, v in headers)) if self.hold else None
                if waiter:
                    waiter()
                out = ["HTTP/1.1 %d %s" % (r.status, r.reason)]
                for n, v in r.getheaders():
                    if n.lower() in ("transfer-encoding", "content-length", "connection"):
                        continue
                    out.append("%s: %s" % (n, v))
                if method != "HEAD":
                    out.append("Content-Length: %d" % len(data))
                else:
                    cl = r.getheader("Content-Length")
                    if cl is not None:
                        out.append("Content-Length: %s" % cl)
                c.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (data if method != "HEAD" else b""))
                if self.after:
                    with self.lock:
                        n, fn = self.after
                        answered = len(self.requests)
                        fire = answered >= n
                        if fire:
                            self.after = None
                    if fire:
                        fn()
        except (OSError, ValueError):
            return
        finally:
            try:
                c.close()
            except OSError:
                pass
