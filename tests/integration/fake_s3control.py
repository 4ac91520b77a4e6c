#!/usr/bin/env python3
"""A FAKE of AWS S3 Control's Batch Operations API, for tests of
`s3merge batch` (Python 3 standard library only). It is not S3 Control: it
follows the documented request and response shapes, validates every field
it receives, and "runs" a job by performing the manifest's CopyObjects
against the local S3 server (RGW), then writes the completion report in the
documented format into the report bucket, so the round trip is checked on
real objects.

    fake_s3control.py --account 123456789012 --s3-endpoint http://127.0.0.1:7480 [--log FILE]

Prints the bound port on its first stdout line, then serves on 127.0.0.1:
  POST /v20180820/jobs                  CreateJob (S3PutObjectCopy only)
  GET  /v20180820/jobs/{id}             DescribeJob
  POST /v20180820/jobs/{id}/status?requestedJobStatus=Ready|Cancelled
Every request must carry x-amz-account-id (the --account), a payload hash
that matches its body, and a valid SigV4 signature for service "s3" with
the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (recomputed with the
reference signer, tests/unit/sigv4/reference_sigv4.py). A CreateJob field
that is missing or not as documented answers 400 InvalidRequest naming it;
the manifest's ETag must match the object's. A RoleArn whose role name
contains "denied" is refused (400 InvalidRequest) as the service refuses a
role it cannot assume. A ClientRequestToken seen before returns the same job.
Jobs with ConfirmationRequired wait in Suspended until UpdateJobStatus Ready.
Keys containing "fail-by-design" fail their task (403 AccessDenied) without a
copy, to exercise failed tasks.
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_query_api import expected_signature, parse_authorization  # noqa: E402
from s3oracle import Oracle  # noqa: E402

NS = "{http://awss3control.amazonaws.com/doc/2018-08-20/}"


def error(code, message):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Code>%s</Code><Message>%s</Message>"
            "</Error><RequestId>%s</RequestId></ErrorResponse>" % (escape(code), escape(message), uuid.uuid4()))


class Invalid(Exception):
    pass


def field(node, path, required=True):
    el = node.find(path)
    if el is None or el.text is None or not el.text.strip():
        if required:
            raise Invalid("CreateJobRequest: %s is missing" % path.replace(NS, ""))
        return None
    return el.text


def bucket_arn(value, what):
    if not value.startswith("arn:aws:s3:::") or "/" in value[len("arn:aws:s3:::"):]:
        raise Invalid("%s: '%s' is not a bucket ARN" % (what, value))
    return value[len("arn:aws:s3:::"):]


class Job:
    def __init__(self, job_id, spec):
        self.id, self.spec = job_id, spec
        self.status = "Suspended" if spec["confirm"] else "Ready"
        self.total = self.succeeded = self.failed = 0
        self.failures = []


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.jobs = {}
        self.tokens = {}

    def oracle(self):
        return Oracle(self.args.s3_endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])

    def log(self, line):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(line + "\n")

    def start(self, job):
        job.status = "Active"
        threading.Thread(target=self.run, args=(job,), daemon=True).start()

    def run(self, job):
        s = job.spec
        o = self.oracle()
        status, _, body = o.request("GET", "/%s/%s" % (s["manifest_bucket"], s["manifest_key"]))
        if status != 200:
            job.status, job.failures = "Failed", [("ManifestNotFound", "cannot read the manifest")]
            return
        results = {"succeeded": [], "failed": []}
        for line in body.decode().splitlines():
            if not line:
                continue
            bucket, enc_key = line.split(",", 1)
            key = urllib.parse.unquote(enc_key)
            target = (s["prefix"] + "/" if s["prefix"] else "") + key
            if "fail-by-design" in key:
                results["failed"].append((bucket, enc_key, "403", "AccessDenied", "Access Denied"))
                continue
            st, _, resp = o.request("PUT", "/%s/%s" % (s["target_bucket"], target),
                                    headers=[("x-amz-copy-source",
                                              "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/")))])
            if st == 200 and b"<Error>" not in resp:
                results["succeeded"].append((bucket, enc_key, "200", "", "Successful"))
            else:
                code = re.search(rb"<Code>([^<]*)</Code>", resp)
                results["failed"].append((bucket, enc_key, str(st), code.group(1).decode() if code else "",
                                          "copy failed"))
        job.total = sum(len(v) for v in results.values())
        job.succeeded, job.failed = len(results["succeeded"]), len(results["failed"])
        base = (s["report_prefix"] + "/" if s["report_prefix"] else "") + "job-" + job.id
        files = []
        for status_name, rows in results.items():
            if not rows:
                continue
            # RFC 4180: a field with a comma or a quote is quoted.
            def cell(v):
                return '"' + v.replace('"', '""') + '"' if ("," in v or '"' in v) else v
            text = "".join(",".join(cell(c) for c in (b, k, "", status_name, code_http, code, msg)) + "\n"
                           for b, k, code_http, code, msg in rows).encode()
            key = "%s/results/%s.csv" % (base, hashlib.sha1(text).hexdigest())
            o.request("PUT", "/%s/%s" % (s["report_bucket"], key), body=text)
            files.append({"TaskExecutionStatus": status_name, "Bucket": s["report_bucket"],
                          "MD5Checksum": hashlib.md5(text).hexdigest(), "Key": key})
        manifest = {"Format": "Report_CSV_20180820", "ReportCreationDate": "2026-12-04T00:00:00.000Z",
                    "Results": files,
                    "ReportSchema": "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"}
        o.request("PUT", "/%s/%s/manifest.json" % (s["report_bucket"], base), body=json.dumps(manifest).encode())
        job.status = "Complete"
        self.log("ran %s %d succeeded %d failed" % (job.id, job.succeeded, job.failed))

    def create(self, body, headers):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            raise Invalid("the body is not XML: %s" % e)
        if root.tag != NS + "CreateJobRequest":
            raise Invalid("the root is %s, not CreateJobRequest in the 2018-08-20 namespace" % root.tag)
        confirm = field(root, NS + "ConfirmationRequired")
        if confirm not in ("true", "false"):
            raise Invalid("ConfirmationRequired must be true or false")
        ops = list(root.find(NS + "Operation") if root.find(NS + "Operation") is not None else [])
        if [op.tag for op in ops] != [NS + "S3PutObjectCopy"]:
            raise Invalid("Operation must hold exactly S3PutObjectCopy (this fake runs no other)")
        copy = ops[0]
        target_bucket = bucket_arn(field(copy, NS + "TargetResource"), "TargetResource")
        prefix = field(copy, NS + "TargetKeyPrefix", False) or ""
        md = field(copy, NS + "MetadataDirective", False)
        if md not in (None, "COPY", "REPLACE"):
            raise Invalid("MetadataDirective must be COPY or REPLACE")
        rep = root.find(NS + "Report")
        if rep is None:
            raise Invalid("CreateJobRequest: Report is missing")
        report_bucket = bucket_arn(field(rep, NS + "Bucket"), "Report.Bucket")
        if field(rep, NS + "Format") != "Report_CSV_20180820":
            raise Invalid("Report.Format must be Report_CSV_20180820")
        if field(rep, NS + "Enabled") != "true":
            raise Invalid("Report.Enabled must be true for this fake")
        if field(rep, NS + "ReportScope") not in ("AllTasks", "FailedTasksOnly"):
            raise Invalid("Report.ReportScope must be AllTasks or FailedTasksOnly")
        token = field(root, NS + "ClientRequestToken")
        if not 1 <= len(token) <= 64:
            raise Invalid("ClientRequestToken must be 1 to 64 characters")
        spec = root.find(NS + "Manifest/" + NS + "Spec")
        if spec is None or field(spec, NS + "Format") != "S3BatchOperations_CSV_20180820":
            raise Invalid("Manifest.Spec.Format must be S3BatchOperations_CSV_20180820")
        fields = [m.text for m in spec.findall(NS + "Fields/" + NS + "member")]
        if fields != ["Bucket", "Key"]:
            raise Invalid("Manifest.Spec.Fields must be [Bucket, Key], not %s" % fields)
        loc = root.find(NS + "Manifest/" + NS + "Location")
        if loc is None:
            raise Invalid("Manifest.Location is missing")
        arn = field(loc, NS + "ObjectArn")
        m = re.fullmatch(r"arn:aws:s3:::([^/]+)/(.+)", arn)
        if not m:
            raise Invalid("Manifest.Location.ObjectArn '%s' is not an object ARN" % arn)
        etag = field(loc, NS + "ETag").strip('"')
        st, hdrs, _ = self.oracle().request("HEAD", "/%s/%s" % (m.group(1), m.group(2)))
        real = {k.lower(): v for k, v in hdrs.items()}.get("etag", "").strip('"')
        if st != 200 or real != etag:
            raise Invalid("Manifest.Location: the manifest's ETag is %s, not %s" % (real or "(no object)", etag))
        priority = field(root, NS + "Priority")
        if not re.fullmatch(r"\d+", priority):
            raise Invalid("Priority must be a non-negative integer")
        role = field(root, NS + "RoleArn")
        if not re.fullmatch(r"arn:aws:iam::\d{12}:role/.+", role):
            raise Invalid("RoleArn '%s' is not an IAM role ARN" % role)
        if "denied" in role:
            raise Invalid("Unable to assume role %s: check its trust policy allows batchoperations.s3.amazonaws.com"
                          % role)
        job_spec = {"confirm": confirm == "true", "target_bucket": target_bucket, "prefix": prefix,
                    "report_bucket": report_bucket, "report_prefix": field(rep, NS + "Prefix", False) or "",
                    "manifest_bucket": m.group(1), "manifest_key": m.group(2)}
        with self.lock:
            if token in self.tokens:
                return self.tokens[token]
            job = Job(str(uuid.uuid4()), job_spec)
            self.jobs[job.id] = job
            self.tokens[token] = job.id
        if not job.spec["confirm"]:
            self.start(job)
        self.log("created %s confirm=%s prefix=%s" % (job.id, confirm, prefix))
        return job.id


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-s3control"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def send(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        auth = parse_authorization(headers.get("authorization"))
        if auth is None or auth["service"] != "s3" or auth["akid"] != os.environ["AWS_ACCESS_KEY_ID"]:
            state.log("%s %s 403 bad auth" % (self.command, url.path))
            return self.send(403, error("AccessDenied", "SigV4 for service s3 with the test keys is required"))
        if headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            return self.send(400, error("XAmzContentSHA256Mismatch", "the payload hash does not match the body"))
        want = expected_signature(os.environ["AWS_SECRET_ACCESS_KEY"], self.command, url.path, params, headers, body,
                                  auth)
        if not hmac.compare_digest(want, auth["signature"]):
            state.log("%s %s 403 signature" % (self.command, url.path))
            return self.send(403, error("SignatureDoesNotMatch", "the signature does not match"))
        if headers.get("x-amz-account-id") != state.args.account:
            return self.send(400, error("InvalidRequest", "x-amz-account-id must be the account %s" % state.args.account))
        parts = url.path.strip("/").split("/")
        try:
            if self.command == "POST" and parts == ["v20180820", "jobs"]:
                job_id = state.create(body, headers)
                state.log("CreateJob 200 %s" % job_id)
                return self.send(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateJobResult>"
                                      "<JobId>%s</JobId></CreateJobResult>" % job_id)
            if len(parts) >= 3 and parts[:2] == ["v20180820", "jobs"]:
                job = state.jobs.get(parts[2])
                if job is None:
                    return self.send(404, error("NotFoundException", "no job %s" % parts[2]))
                if self.command == "GET" and len(parts) == 3:
                    return self.send(200, self.describe(job))
                if self.command == "POST" and len(parts) == 4 and parts[3] == "status":
                    want_status = dict(params).get("requestedJobStatus")
                    if want_status not in ("Ready", "Cancelled"):
                        raise Invalid("requestedJobStatus must be Ready or Cancelled")
                    with state.lock:
                        if want_status == "Ready" and job.status == "Suspended":
                            state.start(job)
                        elif want_status == "Cancelled" and job.status in ("Suspended", "Ready"):
                            job.status = "Cancelled"
                    return self.send(200, "<UpdateJobStatusResult><JobId>%s</JobId><Status>%s</Status>"
                                          "</UpdateJobStatusResult>" % (job.id, job.status))
            return self.send(404, error("NotFoundException", "no such operation %s %s" % (self.command, url.path)))
        except Invalid as e:
            state.log("%s %s 400 %s" % (self.command, url.path, e))
            return self.send(400, error("InvalidRequest", str(e)))

    def describe(self, job):
        s = job.spec
        failures = "".join("<JobFailure><FailureCode>%s</FailureCode><FailureReason>%s</FailureReason></JobFailure>"
                           % (escape(c), escape(r)) for c, r in job.failures)
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeJobResult><Job><JobId>%s</JobId>"
                "<ConfirmationRequired>%s</ConfirmationRequired><Status>%s</Status>"
                "<ProgressSummary><TotalNumberOfTasks>%d</TotalNumberOfTasks>"
                "<NumberOfTasksSucceeded>%d</NumberOfTasksSucceeded><NumberOfTasksFailed>%d</NumberOfTasksFailed>"
                "</ProgressSummary><Report><Bucket>arn:aws:s3:::%s</Bucket><Format>Report_CSV_20180820</Format>"
                "<Enabled>true</Enabled><Prefix>%s</Prefix><ReportScope>AllTasks</ReportScope></Report>"
                "<FailureReasons>%s</FailureReasons></Job></DescribeJobResult>"
                % (job.id, "true" if s["confirm"] else "false", job.status, job.total, job.succeeded, job.failed,
                   escape(s["report_bucket"]), escape(s["report_prefix"]), failures))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--account", required=True)
    p.add_argument("--s3-endpoint", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
