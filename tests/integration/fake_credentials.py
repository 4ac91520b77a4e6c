#!/usr/bin/env python3
"""A FAKE of the AWS credential endpoints that have no local server, for
tests only: EC2 instance metadata (IMDSv2), the ECS / EKS Pod Identity
container endpoint, IAM Identity Center GetRoleCredentials, and STS
AssumeRoleWithWebIdentity. It follows the documented request and response
shapes and checks what it receives (IMDSv2's session token and its TTL
header, the container authorization token, the SSO bearer token, the web
identity token and role); a request that does not follow them gets the
documented refusal.

The credentials it hands out are real: temporary credentials that it asks
the local S3 server's STS for (AssumeRole of the test role, signed with the
test user's keys), so the S3 server verifies every request made with them.

Usage (as a module): FakeCredentials(endpoint, akid, secret, role_arn).start()
"""
import datetime
import hashlib
import http.client
import http.server
import json
import os
import secrets
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "unit", "sigv4"))
import reference_sigv4 as ref  # noqa: E402


def assume_role(endpoint, akid, secret, role_arn, duration):
    """Real temporary credentials from the S3 server's own STS."""
    u = urllib.parse.urlparse(endpoint)
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role_arn,
                                   "RoleSessionName": "fake-credentials", "DurationSeconds": str(duration)}).encode()
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = [("content-type", "application/x-www-form-urlencoded")]
    _, _, authz = ref.sign("POST", u.netloc, "/", [], headers, body, "us-east-1", amz_date, service="sts",
                           akid=akid, secret=secret)
    conn = http.client.HTTPConnection(u.netloc, timeout=30)
    conn.request("POST", "/", body=body, headers={"Host": u.netloc, "Content-Type": headers[0][1],
                                                 "x-amz-date": amz_date, "Authorization": authz,
                                                 "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError("AssumeRole at the S3 server: HTTP %d %s" % (r.status, data[:300]))
    c = ET.fromstring(data).find(".//{*}Credentials")  # with or without STS's namespace
    if c is None:
        c = ET.fromstring(data).find(".//Credentials")
    get = lambda n: (c.find("{*}" + n) if c.find("{*}" + n) is not None else c.find(n)).text  # noqa: E731
    return {"AccessKeyId": get("AccessKeyId"), "SecretAccessKey": get("SecretAccessKey"),
            "Token": get("SessionToken"), "Expiration": get("Expiration")}


class FakeCredentials:
    def __init__(self, endpoint, akid, secret, role_arn, duration=900):
        self.endpoint, self.akid, self.secret, self.role_arn, self.duration = endpoint, akid, secret, role_arn, duration
        self.container_token = secrets.token_hex(16)
        self.sso_token = secrets.token_hex(16)
        self.web_token = secrets.token_hex(24)
        self.web_role = "arn:aws:iam::123456789012:role/web"
        self.imds_tokens = set()
        self.handed = []
        self.calls = {}  # what was asked, counted: "imds-token", "imds-v1-refused", ...
        self.lock = threading.Lock()

    def count(self, what):
        with self.lock:
            self.calls[what] = self.calls.get(what, 0) + 1

    def creds(self):
        c = assume_role(self.endpoint, self.akid, self.secret, self.role_arn, self.duration)
        with self.lock:
            self.handed += [c["SecretAccessKey"], c["Token"]]  # none of it may appear in any output
        return c

    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body=b"", ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):
                if self.path != "/latest/api/token":
                    return self.answer(404)
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
                if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                    fake.count("imds-token-bad-ttl")
                    return self.answer(400)
                token = secrets.token_hex(16)
                fake.imds_tokens.add(token)
                fake.count("imds-token")
                self.answer(200, token.encode(), "text/plain")

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                if u.path.startswith("/latest/meta-data/iam/security-credentials/"):
                    # IMDSv2 only: a request without a valid session token is refused.
                    if self.headers.get("X-aws-ec2-metadata-token") not in fake.imds_tokens:
                        fake.count("imds-v1-refused")
                        return self.answer(401)
                    role = u.path[len("/latest/meta-data/iam/security-credentials/"):]
                    if not role:
                        fake.count("imds-role")
                        return self.answer(200, b"s3merge-instance-role\n", "text/plain")
                    if role != "s3merge-instance-role":
                        return self.answer(404)
                    c = fake.creds()
                    fake.count("imds-credentials")
                    doc = {"Code": "Success", "LastUpdated": c["Expiration"], "Type": "AWS-HMAC", **c}
                    return self.answer(200, json.dumps(doc).encode())
                if u.path == "/v2/credentials/task":
                    if self.headers.get("Authorization") != fake.container_token:
                        fake.count("container-refused")
                        return self.answer(401, b'{"Message":"unauthorized"}')
                    fake.count("container")
                    c = fake.creds()
                    c["RoleArn"] = "arn:aws:iam::123456789012:role/task"
                    return self.answer(200, json.dumps(c).encode())
                if u.path == "/federation/credentials":
                    q = urllib.parse.parse_qs(u.query)
                    if self.headers.get("x-amz-sso_bearer_token") != fake.sso_token:
                        fake.count("sso-refused")
                        return self.answer(401, b'{"message":"Session token not found or invalid"}')
                    if q.get("account_id") != ["123456789012"] or q.get("role_name") != ["Migrator"]:
                        return self.answer(403, b'{"message":"No access"}')
                    fake.count("sso")
                    c = fake.creds()
                    exp = datetime.datetime.strptime(c["Expiration"][:19], "%Y-%m-%dT%H:%M:%S").replace(
                        tzinfo=datetime.timezone.utc)
                    doc = {"roleCredentials": {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
                                               "sessionToken": c["Token"], "expiration": int(exp.timestamp() * 1000)}}
                    return self.answer(200, json.dumps(doc).encode())
                self.answer(404)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                one = lambda k: form.get(k, [""])[0]  # noqa: E731
                if one("Action") != "AssumeRoleWithWebIdentity" or one("Version") != "2011-06-15":
                    return self.answer(400, b"<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>",
                                       "text/xml")
                if "Authorization" in self.headers:
                    fake.count("web-signed")  # the documented call is not signed
                if one("WebIdentityToken") != fake.web_token or one("RoleArn") != fake.web_role or not one("RoleSessionName"):
                    fake.count("web-refused")
                    return self.answer(400, b"<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token"
                                            b"</Message></Error></ErrorResponse>", "text/xml")
                fake.count("web")
                c = fake.creds()
                body = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                        "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>%s</AccessKeyId>"
                        "<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>"
                        "<Expiration>%s</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                        "</AssumeRoleWithWebIdentityResponse>" % (c["AccessKeyId"], c["SecretAccessKey"], c["Token"],
                                                                  c["Expiration"]))
                self.answer(200, body.encode(), "text/xml")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
