#!/usr/bin/env python3
"""A FAKE of AWS STS AssumeRole in front of a forwarding proxy to the real
local S3 server, for tests only: it hands out temporary credentials that
live a short, set time, and answers S3 requests signed with them the way S3
does once they have expired (HTTP 400, ExpiredToken).

STS side (POST / with Action=AssumeRole, the documented form-encoded Query
API request): the request's SigV4 signature is checked against the base
keys the test configured, and the answer is the documented
AssumeRoleResponse with AccessKeyId/SecretAccessKey/SessionToken/Expiration.

S3 side (everything else): the signature is checked with the session's
secret (a wrong signature: 403 SignatureDoesNotMatch), the session token
must be the one handed out with the key (else 400 InvalidToken), and a key
past its life gets 400 ExpiredToken. A request that passes is signed again
with the S3 server's own keys and forwarded unchanged otherwise, so the
server still verifies every request and all data comes from it.

`life` is how long a session is honoured here; `advertised` is the life the
Expiration field states. With advertised > life (a session revoked early,
or a server clock ahead of the client's) the client meets expired keys
before it thinks they expire: the path that renews keys on an ExpiredToken
answer, with every request in flight told at once.
"""
import datetime
import hashlib
import hmac
import http.client
import http.server
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "unit", "sigv4"))
import reference_sigv4 as ref  # noqa: E402

AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


def canonical_query(raw):
    pairs = []
    for part in raw.split("&") if raw else []:
        k, _, v = part.partition("=")
        pairs.append((ref.enc_query(urllib.parse.unquote(k)), ref.enc_query(urllib.parse.unquote(v))))
    return "&".join(k + "=" + v for k, v in sorted(pairs))


def signature(secret, method, raw_path, raw_query, headers, names, payload, amz_date, region, service):
    """SigV4 over the request as received (the path as sent, already encoded)."""
    canon = "".join(n + ":" + ",".join(ref.canonical_value(v) for v in headers.get_all(n, [])) + "\n"
                    for n in names)
    creq = "\n".join([method, raw_path or "/", canonical_query(raw_query), canon, ";".join(names), payload])
    scope = "/".join([amz_date[:8], region, service, "aws4_request"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    return hmac.new(ref.signing_key(secret, amz_date[:8], region, service), sts.encode(),
                    hashlib.sha256).hexdigest()


def error_xml(code, message):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>%s</Message>"
            "<RequestId>fake</RequestId></Error>" % (code, message)).encode()


class ExpiringStsProxy:
    def __init__(self, upstream, upstream_akid, upstream_secret, base_akid, base_secret,
                 life=30.0, advertised=3600.0, delay=0.0):
        u = urllib.parse.urlparse(upstream)
        self.up_netloc = u.netloc
        self.up_akid, self.up_secret = upstream_akid, upstream_secret
        self.base_akid, self.base_secret = base_akid, base_secret
        self.life, self.advertised = life, advertised
        self.delay = delay  # seconds each forwarded request is held: a slower server, a longer run
        self.mfa = None     # (serial, code): AssumeRole then needs SerialNumber and TokenCode
        self.sessions = {}  # akid -> (secret, token, honoured until (monotonic))
        self.handed = []    # every secret and token handed out: none may appear in any output
        self.calls = {}     # "assume-role", "expired", "bad-signature", "invalid-token", "forwarded", ...
        self.lock = threading.Lock()
        self.local = threading.local()
        self.conns = []

    def count(self, what):
        with self.lock:
            self.calls[what] = self.calls.get(what, 0) + 1

    def upstream(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPConnection(self.up_netloc, timeout=60)
            with self.lock:
                self.conns.append(c)
        return c

    def start(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body, headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                n = int(self.headers.get("Content-Length", "0") or "0")
                body = self.rfile.read(n) if n else b""
                m = AUTH_RE.match(self.headers.get("Authorization", ""))
                if not m:
                    proxy.count("unsigned")
                    return self.answer(403, error_xml("AccessDenied", "not signed"))
                akid, date8, region, service, names, sig = m.groups()
                names = names.split(";")
                amz_date = self.headers.get("x-amz-date", "")
                if not amz_date.startswith(date8) or "host" not in names:
                    proxy.count("bad-signature")
                    return self.answer(403, error_xml("SignatureDoesNotMatch", "bad scope"))
                raw_path, _, raw_query = self.path.partition("?")
                payload = self.headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
                if service == "sts":
                    return self.assume_role(akid, region, names, sig, amz_date, raw_path, raw_query, payload, body)
                with proxy.lock:
                    session = proxy.sessions.get(akid)
                if session is None:
                    proxy.count("unknown-key")
                    return self.answer(403, error_xml("InvalidAccessKeyId", "unknown key"))
                secret, token, until = session
                if signature(secret, self.command, raw_path, raw_query, self.headers, names, payload, amz_date,
                             region, service) != sig:
                    proxy.count("bad-signature")
                    return self.answer(403, error_xml("SignatureDoesNotMatch", "signature does not match"))
                if self.headers.get("x-amz-security-token") != token or "x-amz-security-token" not in names:
                    proxy.count("invalid-token")
                    return self.answer(400, error_xml("InvalidToken", "The provided token is malformed or "
                                                                      "otherwise invalid."))
                if time.monotonic() >= until:
                    proxy.count("expired")
                    return self.answer(400, error_xml("ExpiredToken", "The provided token has expired."),
                                       [("Content-Type", "application/xml")])
                if proxy.delay:
                    time.sleep(proxy.delay)
                self.forward(names, amz_date, region, raw_path, raw_query, payload, body)

            def assume_role(self, akid, region, names, sig, amz_date, raw_path, raw_query, payload, body):
                if akid != proxy.base_akid or signature(proxy.base_secret, self.command, raw_path, raw_query,
                                                        self.headers, names, payload, amz_date, region,
                                                        "sts") != sig:
                    proxy.count("sts-bad-signature")
                    return self.answer(403, b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code>"
                                            b"</Error></ErrorResponse>")
                form = urllib.parse.parse_qs(body.decode())
                one = lambda k: form.get(k, [""])[0]  # noqa: E731
                if one("Action") != "AssumeRole" or one("Version") != "2011-06-15" or \
                        not one("RoleArn").startswith("arn:aws:iam::") or not one("RoleSessionName"):
                    proxy.count("sts-refused")
                    return self.answer(400, b"<ErrorResponse><Error><Code>ValidationError</Code>"
                                            b"</Error></ErrorResponse>")
                if proxy.mfa:
                    if (one("SerialNumber"), one("TokenCode")) != proxy.mfa:
                        proxy.count("sts-mfa-refused")
                        return self.answer(403, b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                                b"<Message>MultiFactorAuthentication failed with invalid MFA one time "
                                                b"pass code.</Message></Error></ErrorResponse>",
                                           [("Content-Type", "text/xml")])
                    proxy.count("sts-mfa")
                key = "ASIA" + secrets.token_hex(8).upper()
                secret, token = secrets.token_urlsafe(30), secrets.token_urlsafe(90)
                with proxy.lock:
                    proxy.sessions[key] = (secret, token, time.monotonic() + proxy.life)
                    proxy.handed += [secret, token]
                proxy.count("assume-role")
                exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=proxy.advertised)
                doc = ("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
                       "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
                       "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
                       "<AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROAFAKE:%s</AssumedRoleId>"
                       "</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId>"
                       "</ResponseMetadata></AssumeRoleResponse>"
                       % (key, secret, token, exp.strftime("%Y-%m-%dT%H:%M:%SZ"), one("RoleArn"),
                          one("RoleSessionName"), one("RoleSessionName")))
                self.answer(200, doc.encode(), [("Content-Type", "text/xml")])

            def forward(self, names, amz_date, region, raw_path, raw_query, payload, body):
                # The same request, signed with the S3 server's keys (the same
                # signed headers, less the session token).
                hdrs = http.client.HTTPMessage()
                for k, v in self.headers.items():
                    if k.lower() not in ("authorization", "x-amz-security-token", "host", "connection"):
                        hdrs[k] = v
                hdrs["Host"] = proxy.up_netloc
                up_names = [n for n in names if n != "x-amz-security-token"]
                sig = signature(proxy.up_secret, self.command, raw_path, raw_query, hdrs, up_names, payload,
                                amz_date, region, "s3")
                hdrs["Authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request, "
                                         "SignedHeaders=%s, Signature=%s"
                                         % (proxy.up_akid, amz_date[:8], region, ";".join(up_names), sig))
                for attempt in (0, 1):
                    conn = proxy.upstream()
                    try:
                        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                        for k, v in hdrs.items():
                            conn.putheader(k, v)
                        conn.endheaders(body if body else None)
                        r = conn.getresponse()
                        data = r.read()
                        break
                    except (http.client.HTTPException, OSError):
                        conn.close()
                        proxy.local.conn = None
                        if attempt == 1:
                            raise
                proxy.count("forwarded")
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", r.getheader("Content-Length", str(len(data)))
                                 if self.command == "HEAD" else str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for c in self.conns:
                c.close()
