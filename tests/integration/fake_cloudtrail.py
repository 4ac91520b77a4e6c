#!/usr/bin/env python3
"""A FAKE of the AWS CloudTrail API, for tests only (there is no local
CloudTrail server): DescribeTrails and ListPublicKeys over the JSON 1.1
protocol, as documented (POST /, X-Amz-Target
com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>,
Content-Type application/x-amz-json-1.1, a JSON body). ListPublicKeys
answers the keys given (Value base64 DER, validity times as epoch seconds,
as the API sends them), a page at a time with NextToken. It checks what it
receives: the SigV4 signature (service "cloudtrail", the test's keys), the
target, the content type and the body; anything else gets the documented
JSON error shape ({"__type": ..., "message": ...}).

Each region (the credential scope's) answers its own trails, plus, as
includeShadowTrails asks, the all-region trails of other home regions.

Usage (as a module): FakeCloudTrail(akid, secret, trails).start()
  trails: dicts with Name, HomeRegion, S3BucketName, [S3KeyPrefix],
  IsMultiRegionTrail, [IsOrganizationTrail], TrailARN (made when absent).
"""
import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from expiring_sts_proxy import AUTH_RE, signature  # noqa: E402

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails"
KEYS_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys"


class FakeCloudTrail:
    def __init__(self, akid, secret, trails, account="123456789012", public_keys=()):
        self.akid, self.secret = akid, secret
        self.public_keys = list(public_keys)  # {"Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}
        self.key_calls = {}  # region -> ListPublicKeys calls answered
        self.trails = []
        for t in trails:
            t = dict(t)
            t.setdefault("TrailARN", "arn:aws:cloudtrail:%s:%s:trail/%s" % (t["HomeRegion"], account, t["Name"]))
            t.setdefault("IsOrganizationTrail", False)
            t.setdefault("IncludeGlobalServiceEvents", True)
            t.setdefault("LogFileValidationEnabled", True)
            self.trails.append(t)
        self.calls = {}  # region -> DescribeTrails calls answered
        self.refused = []  # why requests were refused
        self.lock = threading.Lock()

    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, doc, error_type=None):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "fake-cloudtrail")
                if error_type:
                    self.send_header("x-amzn-ErrorType", error_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def refuse(self, status, code, why):
                with fake.lock:
                    fake.refused.append(why)
                self.answer(status, {"__type": code, "message": why}, code)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0") or "0")
                body = self.rfile.read(n)
                m = AUTH_RE.match(self.headers.get("Authorization", ""))
                if not m:
                    return self.refuse(400, "MissingAuthenticationTokenException", "not signed")
                akid, date8, region, service, names, sig = m.groups()
                names = names.split(";")
                raw_path, _, raw_query = self.path.partition("?")
                payload = self.headers.get("x-amz-content-sha256")
                if payload is None:
                    import hashlib
                    payload = hashlib.sha256(body).hexdigest()
                if akid != fake.akid or service != "cloudtrail" or "x-amz-target" not in names or \
                        signature(fake.secret, "POST", raw_path, raw_query, self.headers, names, payload,
                                  self.headers.get("x-amz-date", ""), region, service) != sig:
                    return self.refuse(400, "InvalidSignatureException", "signature does not match")
                target = self.headers.get("X-Amz-Target")
                if target not in (TARGET, KEYS_TARGET):
                    return self.refuse(400, "UnknownOperationException", "unknown target")
                if self.headers.get("Content-Type") != "application/x-amz-json-1.1":
                    return self.refuse(400, "SerializationException", "wrong content type")
                try:
                    req = json.loads(body or b"{}")
                except ValueError:
                    return self.refuse(400, "SerializationException", "body is not JSON")
                if target == KEYS_TARGET:
                    # One key a page: NextToken is the index of the next one.
                    start = int(req.get("NextToken", "0") or "0")
                    page = {"PublicKeyList": fake.public_keys[start:start + 1]}
                    if start + 1 < len(fake.public_keys):
                        page["NextToken"] = str(start + 1)
                    with fake.lock:
                        fake.key_calls[region] = fake.key_calls.get(region, 0) + 1
                    return self.answer(200, page)
                shadows = req.get("includeShadowTrails", True)
                out = [t for t in fake.trails
                       if t["HomeRegion"] == region or (shadows and t["IsMultiRegionTrail"])]
                with fake.lock:
                    fake.calls[region] = fake.calls.get(region, 0) + 1
                self.answer(200, {"trailList": out})

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
