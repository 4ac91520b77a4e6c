#!/usr/bin/env python3
"""Storage classes on the local S3 server (scripts/s3-server).

The server adds S3's archive and infrequent-access classes to radosgw's
default placement target, so that an object can be put in GLACIER (etc.) and
listings report that class, as on AWS. This checks it with signed requests
made by Python's standard library and the independent reference SigV4
signer (tests/unit/sigv4/reference_sigv4.py); nothing of s3merge is used.

Usage: test_storage_classes.py   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import datetime
import hashlib
import http.client
import os
import random
import string
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "sigv4"))
import reference_sigv4 as ref  # noqa: E402

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
ENV_NAMES = ["S3MERGE_TEST_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]

# The classes this task requires first; then the other AWS classes that
# scripts/s3-server configures (docs/local-s3-server.md).
REQUIRED_CLASSES = ["GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA"]
OTHER_CLASSES = ["ONEZONE_IA", "INTELLIGENT_TIERING", "REDUCED_REDUNDANCY"]


def server_env():
    missing = [n for n in ENV_NAMES if not os.environ.get(n)]
    if missing:
        raise AssertionError(
            "no S3 test server environment (missing %s): run scripts/run-tests, or "
            "scripts/s3-server start && eval \"$(scripts/s3-server env)\"" % ", ".join(missing))
    return {n: os.environ[n] for n in ENV_NAMES}


class Client:
    """Just enough S3 over plain HTTP, signed with the reference signer."""

    def __init__(self, endpoint, access_key, secret_key, region):
        u = urllib.parse.urlsplit(endpoint)
        if u.scheme != "http" or not u.hostname:
            raise AssertionError("S3MERGE_TEST_ENDPOINT must be http://HOST:PORT, got %r" % endpoint)
        self.netloc, self.hostname, self.port = u.netloc, u.hostname, u.port or 80
        self.access_key, self.secret_key, self.region = access_key, secret_key, region

    def request(self, method, path, query=(), headers=(), body=b""):
        """Returns (status, {lower-case header: value}, body)."""
        amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        _, _, authz = ref.sign(method, self.netloc, path, list(query), list(headers), body,
                               self.region, amz_date, akid=self.access_key, secret=self.secret_key)
        hdrs = dict(headers)
        hdrs.update({"Host": self.netloc, "x-amz-date": amz_date, "Authorization": authz,
                     "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
        target = ref.enc_path(path)
        if query:
            target += "?" + ref.canonical_query(list(query))
        conn = http.client.HTTPConnection(self.hostname, self.port, timeout=60)
        try:
            conn.request(method, target, body=body, headers=hdrs)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def list_v2(self, bucket):
        """{key: StorageClass element text, or None if absent} of the whole bucket."""
        out, token = {}, None
        while True:
            q = [("list-type", "2")] + ([("continuation-token", token)] if token else [])
            status, _, body = self.request("GET", "/" + bucket, q)
            if status != 200:
                raise AssertionError("ListObjectsV2 %s: HTTP %d %r" % (bucket, status, body[:300]))
            root = ET.fromstring(body)
            for c in root.findall(NS + "Contents"):
                sc = c.find(NS + "StorageClass")
                out[c.find(NS + "Key").text] = sc.text if sc is not None else None
            if root.findtext(NS + "IsTruncated") != "true":
                return out
            token = root.findtext(NS + "NextContinuationToken")


class StorageClasses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = server_env()
        # Any region is accepted by the server; sign like the other tests do.
        cls.s3 = Client(env["S3MERGE_TEST_ENDPOINT"], env["AWS_ACCESS_KEY_ID"],
                        env["AWS_SECRET_ACCESS_KEY"], os.environ.get("AWS_REGION") or "us-east-1")
        cls.bucket = "storage-classes-" + "".join(
            random.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        status, _, body = cls.s3.request("PUT", "/" + cls.bucket)
        if status != 200:
            raise AssertionError("CreateBucket %s: HTTP %d %r" % (cls.bucket, status, body[:300]))

    @classmethod
    def tearDownClass(cls):
        for key in cls.s3.list_v2(cls.bucket):
            cls.s3.request("DELETE", "/%s/%s" % (cls.bucket, key))
        status, _, body = cls.s3.request("DELETE", "/" + cls.bucket)
        if status != 204:
            raise AssertionError("DeleteBucket %s: HTTP %d %r" % (cls.bucket, status, body[:300]))

    def put(self, key, storage_class):
        headers = [("x-amz-storage-class", storage_class)] if storage_class else []
        return self.s3.request("PUT", "/%s/%s" % (self.bucket, key), headers=headers,
                               body=("object in %s\n" % storage_class).encode())

    def check_classes(self, classes):
        for sc in classes:
            status, _, body = self.put("in-" + sc, sc)
            self.assertEqual(status, 200, "PutObject with x-amz-storage-class: %s: %r" % (sc, body[:300]))
        listed = self.s3.list_v2(self.bucket)
        for sc in classes:
            with self.subTest(storage_class=sc):
                self.assertEqual(listed.get("in-" + sc), sc, "ListObjectsV2 entry of in-%s" % sc)
                status, headers, _ = self.s3.request("HEAD", "/%s/in-%s" % (self.bucket, sc))
                self.assertEqual(status, 200)
                self.assertEqual(headers.get("x-amz-storage-class"), sc, "HeadObject of in-%s" % sc)

    def test_required_classes_are_listed(self):
        self.check_classes(REQUIRED_CLASSES)

    def test_other_aws_classes_are_listed(self):
        self.check_classes(OTHER_CLASSES)

    def test_default_and_explicit_standard_are_listed_as_standard(self):
        # The control: the class in a listing comes from the PUT, not from
        # the key or from a default that happens to match.
        self.assertEqual(self.put("std-default", None)[0], 200)
        self.assertEqual(self.put("std-explicit", "STANDARD")[0], 200)
        listed = self.s3.list_v2(self.bucket)
        self.assertEqual(listed.get("std-default"), "STANDARD")
        self.assertEqual(listed.get("std-explicit"), "STANDARD")

    def test_unknown_class_is_refused(self):
        # The server checks the class (so an accepted class is configured,
        # not ignored). AWS answers 400 InvalidStorageClass; radosgw answers
        # 400 InvalidArgument. Class names are case-sensitive on both.
        for sc in ["NOT_A_CLASS", "glacier"]:
            with self.subTest(storage_class=sc):
                status, _, body = self.put("refused-" + sc, sc)
                self.assertEqual(status, 400, body[:300])
        self.assertNotIn("refused-glacier", self.s3.list_v2(self.bucket))


def main():
    try:
        server_env()
    except AssertionError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
