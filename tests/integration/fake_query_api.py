#!/usr/bin/env python3
"""A stand-in for the STS and EC2 Query APIs, for command-line tests of
`s3merge cloudtrail` (Python 3 standard library only).

    fake_query_api.py --port 0 --account 123456789012 \\
        --regions us-east-1,eu-west-1 [--opt-in-regions me-south-1] \\
        [--log FILE] [--throttle N]

Prints the bound port on its first stdout line, then serves on 127.0.0.1:

  GET /?Action=GetCallerIdentity&Version=2011-06-15
      -> the STS API reference example (user Alice) with the configured account
  GET /?Action=DescribeRegions&Version=2016-11-15[&AllRegions=true]
      -> the configured regions (opt-in-not-required); with AllRegions=true
         also the --opt-in-regions, as not-opted-in

POST with the same parameters as a form body is accepted too (as the AWS CLI
sends them). Every request must carry a valid SigV4 signature for the access
key and secret in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, scoped to "sts"
for GetCallerIdentity and "ec2" for DescribeRegions. The signature is
recomputed with the project's independent signer helpers
(tests/unit/sigv4/reference_sigv4.py); a wrong key answers 403
InvalidClientTokenId (STS) / AuthFailure (EC2), a wrong signature or scope 403
SignatureDoesNotMatch, each in the service's own error shape. With
--throttle N the first N requests are answered as the services throttle
(STS: 400 Throttling, EC2: 503 RequestLimitExceeded).

With --log FILE, one line per request is appended:
    <Action> <signing service> <signing region> <HTTP status>
("-" for what the request did not carry).
"""

import argparse
import hashlib
import hmac
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "sigv4"))
import reference_sigv4 as ref  # noqa: E402

STS_VERSION = "2011-06-15"
EC2_VERSION = "2016-11-15"
ACTIONS = {"GetCallerIdentity": ("sts", STS_VERSION), "DescribeRegions": ("ec2", EC2_VERSION)}


def sts_error(code, message):
    return ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
            "  <Error>\n    <Type>Sender</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>\n"
            "  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n"
            % (escape(code), escape(message), uuid.uuid4()))


def ec2_error(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
            "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>\n"
            % (escape(code), escape(message), uuid.uuid4()))


def error_for(service, code, message):
    return ec2_error(code, message) if service == "ec2" else sts_error(code, message)


def caller_identity(account):
    # The STS API reference example, "Called by an IAM user", for `account`.
    return ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
            "  <GetCallerIdentityResult>\n"
            "  <Arn>arn:aws:iam::%s:user/Alice</Arn>\n"
            "    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>\n"
            "    <Account>%s</Account>\n"
            "  </GetCallerIdentityResult>\n"
            "  <ResponseMetadata>\n"
            "    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n"
            "  </ResponseMetadata>\n"
            "</GetCallerIdentityResponse>\n" % (account, account))


def describe_regions(regions):
    items = "".join(
        "      <item>\n"
        "         <regionName>%s</regionName>\n"
        "         <regionEndpoint>ec2.%s.amazonaws.com</regionEndpoint>\n"
        "         <optInStatus>%s</optInStatus>\n"
        "      </item>\n" % (name, name, status) for name, status in regions)
    return ('<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n'
            "   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n"
            "   <regionInfo>\n%s   </regionInfo>\n</DescribeRegionsResponse>\n" % items)


def parse_authorization(value):
    """'AWS4-HMAC-SHA256 Credential=AK/d/r/s/aws4_request, SignedHeaders=a;b, Signature=hex'
    -> dict with akid, date, region, service, terminator, signed (list), signature; or None."""
    prefix = "AWS4-HMAC-SHA256 "
    if not value or not value.startswith(prefix):
        return None
    fields = {}
    for part in value[len(prefix):].split(","):
        name, _, val = part.strip().partition("=")
        fields[name] = val
    cred = fields.get("Credential", "").split("/")
    if len(cred) != 5 or "SignedHeaders" not in fields or "Signature" not in fields:
        return None
    return {"akid": cred[0], "date": cred[1], "region": cred[2], "service": cred[3],
            "terminator": cred[4], "signed": fields["SignedHeaders"].split(";"),
            "signature": fields["Signature"]}


def expected_signature(secret, method, raw_path, params, headers, body, auth):
    """Recomputes the signature from what the request carried, with the
    reference signer's encoding and key derivation."""
    amz_date = headers.get("x-amz-date", "")
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canon_headers = "".join(
        name + ":" + ref.canonical_value(headers.get(name, "")) + "\n" for name in auth["signed"])
    creq = "\n".join([method, ref.enc_path(unquote(raw_path)), ref.canonical_query(params),
                      canon_headers, ";".join(auth["signed"]), payload])
    scope = "/".join([auth["date"], auth["region"], auth["service"], auth["terminator"]])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = ref.signing_key(secret, auth["date"], auth["region"], auth["service"])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.throttle_left = args.throttle


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client pools connections
    server_version = "fake-query-api"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: tests read --log instead
        pass

    def do_GET(self):
        self.handle_query(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.handle_query(self.rfile.read(length))

    def send(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def handle_query(self, body):
        state = self.server.state
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        if self.command == "POST" and body:
            params += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        query = dict(params)
        action = query.get("Action", "-")
        headers = {k.lower(): v for k, v in self.headers.items()}
        auth = parse_authorization(headers.get("authorization"))
        service, expected_version = ACTIONS.get(action, ("sts", None))
        status, answer = self.answer(state, action, service, expected_version, query, params,
                                     headers, body, url.path or "/", auth)
        if state.args.log:
            with state.lock, open(state.args.log, "a", encoding="utf-8") as f:
                f.write("%s %s %s %d\n" % (action, auth["service"] if auth else "-",
                                            auth["region"] if auth else "-", status))
        self.send(status, answer)

    def answer(self, state, action, service, version, query, params, headers, body, path, auth):
        if auth is None:
            return 403, error_for(service, "MissingAuthenticationToken",
                                  "Request is missing Authentication Token")
        if auth["akid"] != os.environ.get("AWS_ACCESS_KEY_ID"):
            if service == "ec2":
                return 401, ec2_error("AuthFailure",
                                      "AWS was not able to validate the provided access credentials")
            return 403, sts_error("InvalidClientTokenId",
                                  "The security token included in the request is invalid.")
        secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        want = expected_signature(secret, self.command, path, params, headers, body, auth)
        if not hmac.compare_digest(want, auth["signature"]):
            return 403, error_for(service, "SignatureDoesNotMatch",
                                  "The request signature we calculated does not match the signature "
                                  "you provided. Check your AWS Secret Access Key and signing method.")
        if version is None:
            return 400, sts_error("InvalidAction", "Could not find operation %s" % action)
        if auth["service"] != service:
            return 403, error_for(service, "SignatureDoesNotMatch",
                                  "Credential should be scoped to correct service: '%s'." % service)
        if query.get("Version") != version:
            return 400, error_for(service, "InvalidAction", "Could not find operation %s for version %s"
                                  % (action, query.get("Version", "NO_VERSION_SPECIFIED")))
        with state.lock:
            throttle = state.throttle_left > 0
            state.throttle_left -= 1 if throttle else 0
        if throttle:
            if service == "ec2":
                return 503, ec2_error("RequestLimitExceeded", "Request limit exceeded.")
            return 400, sts_error("Throttling", "Rate exceeded")
        args = state.args
        if action == "GetCallerIdentity":
            return 200, caller_identity(args.account)
        regions = [(r, "opt-in-not-required") for r in args.regions]
        if query.get("AllRegions", "").lower() == "true":
            regions += [(r, "not-opted-in") for r in args.opt_in_regions]
        return 200, describe_regions(regions)


def region_list(text):
    return [r.strip() for r in text.split(",") if r.strip()]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--account", default="123456789012")
    p.add_argument("--regions", type=region_list, default=region_list("us-east-1,eu-west-1"))
    p.add_argument("--opt-in-regions", type=region_list, default=[])
    p.add_argument("--log", help="append '<Action> <service> <region> <status>' per request")
    p.add_argument("--throttle", type=int, default=0, help="throttle the first N requests")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
