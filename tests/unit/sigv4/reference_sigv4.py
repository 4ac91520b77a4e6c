#!/usr/bin/env python3
"""Independent SigV4 reference for tests/unit/sigv4/test_sigv4_reference.cpp.

This is a second, deliberately separate implementation of AWS Signature
Version 4 for S3, written only with the Python standard library (hashlib,
hmac, urllib.parse.quote). It shares no code and no encoding table with
src/sigv4/. The expected constants in test_sigv4_reference.cpp were produced
by running:

    python3 tests/unit/sigv4/reference_sigv4.py

which first checks this implementation against the five worked examples
published in the Amazon S3 API reference (GET Object, PUT Object, GET Bucket
Lifecycle, GET Bucket (List Objects), presigned GET Object) and refuses to
print anything if one of them does not match. It then prints, for each
awkward case below, the canonical request, the string to sign and the
Authorization header (or URL) as C++ string literals to paste into the test.

The build never runs this script; it is kept so that anyone can re-derive the
constants, or add a case, without trusting the C++ signer.
"""

import hashlib
import hmac
import re
import sys
from urllib.parse import quote

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def enc_path(path):
    # RFC 3986: quote() never encodes A-Z a-z 0-9 - . _ ~ ; '/' kept in paths.
    return quote(path.encode("utf-8"), safe="/") or "/"


def enc_query(s):
    return quote(s.encode("utf-8"), safe="")


def canonical_query(params):
    pairs = sorted((enc_query(k), enc_query(v)) for k, v in params)
    return "&".join(k + "=" + v for k, v in pairs)


def canonical_value(v):
    return re.sub(" +", " ", v.strip(" \t"))


def signing_key(secret, date8, region, service):
    k = ("AWS4" + secret).encode()
    for part in (date8, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sign(method, host, path, query, headers, body, region, amz_date,
         service="s3", token=None, unsigned=False, akid=AKID, secret=SECRET):
    """Returns (canonical_request, string_to_sign, authorization)."""
    payload = "UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest()
    hdrs = [("host", host)] + [(k.lower(), v) for k, v in headers]
    hdrs += [("x-amz-date", amz_date), ("x-amz-content-sha256", payload)]
    if token:
        hdrs.append(("x-amz-security-token", token))
    grouped = {}
    for k, v in hdrs:
        grouped.setdefault(k, []).append(canonical_value(v))
    names = sorted(grouped)
    creq = "\n".join([
        method,
        enc_path(path),
        canonical_query(query),
        "".join(n + ":" + ",".join(grouped[n]) + "\n" for n in names),
        ";".join(names),
        payload,
    ])
    scope = "/".join([amz_date[:8], region, service, "aws4_request"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(signing_key(secret, amz_date[:8], region, service),
                   sts.encode(), hashlib.sha256).hexdigest()
    authz = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
             % (akid, scope, ";".join(names), sig))
    return creq, sts, authz


def presign(method, host, path, query, region, amz_date, expires, token=None,
            service="s3", scheme="https"):
    scope = "/".join([amz_date[:8], region, service, "aws4_request"])
    q = list(query) + [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", AKID + "/" + scope),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if token:
        q.append(("X-Amz-Security-Token", token))
    creq = "\n".join([method, enc_path(path), canonical_query(q),
                      "host:" + host + "\n", "host", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(signing_key(SECRET, amz_date[:8], region, service),
                   sts.encode(), hashlib.sha256).hexdigest()
    url = "%s://%s%s?%s&X-Amz-Signature=%s" % (
        scheme, host, enc_path(path), canonical_query(q), sig)
    return creq, sts, url


def self_check():
    """The S3 API reference examples; all must match before we print."""
    host = "examplebucket.s3.amazonaws.com"
    d = "20130524T000000Z"
    sig = lambda a: a.rsplit("Signature=", 1)[1]
    checks = [
        (sign("GET", host, "/test.txt", [], [("Range", "bytes=0-9")], b"", "us-east-1", d)[2],
         "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        (sign("PUT", host, "/test$file.text", [],
              [("Date", "Fri, 24 May 2013 00:00:00 GMT"),
               ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
              b"Welcome to Amazon S3.", "us-east-1", d)[2],
         "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        (sign("GET", host, "/", [("lifecycle", "")], [], b"", "us-east-1", d)[2],
         "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        (sign("GET", host, "/", [("prefix", "J"), ("max-keys", "2")], [], b"", "us-east-1", d)[2],
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
        ("Signature=" + presign("GET", host, "/test.txt", [], "us-east-1", d, 86400)[2]
         .rsplit("X-Amz-Signature=", 1)[1],
         "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"),
    ]
    for got, want in checks:
        if sig(got) != want:
            sys.exit("reference implementation disagrees with the S3 docs: %s != %s"
                     % (sig(got), want))


def key_1024():
    # 85 x 12 bytes + "tail" = 1024 bytes, the S3 maximum key length.
    return "a b+c%2F\u65e5/" * 85 + "tail"


def cases():
    d = "20130524T000000Z"
    vh = "examplebucket.s3.amazonaws.com"
    token = "FQoGZXIvYXdzE//token+/=="
    yield "unicode_key", sign("GET", "s3.eu-west-3.amazonaws.com",
                              "/examplebucket/\u65e5\u672c\u8a9e/\u30ed\u30b0.json.gz",
                              [], [], b"", "eu-west-3", d)
    yield "literal_percent_2f", sign("GET", vh, "/a%2Fb c+d", [], [], b"", "us-east-1", d)
    yield "double_slash", sign("HEAD", vh, "//double//slash", [], [], b"", "us-east-1", d)
    yield "trailing_slash", sign("PUT", vh, "/dir/", [], [], b"", "us-east-1", d)
    assert len(key_1024().encode()) == 1024
    yield "key_1024", sign("GET", vh, "/" + key_1024(), [], [], b"", "us-east-1", d)
    yield "list_v2_query", sign("GET", vh, "/", [
        ("list-type", "2"),
        ("prefix", "\u65e5\u672c\u8a9e/\u30ed\u30b0"),
        ("delimiter", "/"),
        ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
        ("start-after", ""),
    ], [], b"", "us-east-1", d)
    yield "upload_part_copy", sign(
        "PUT", "s3.ap-northeast-1.amazonaws.com",
        "/dstbucket/out/\u65e5\u672c\u8a9e part.bin",
        [("uploadId", "VXBsb2FkIElE+/="), ("partNumber", "3")],
        [("x-amz-copy-source", "/srcbucket/src%2Fkey%20with%20space"),
         ("x-amz-copy-source-range", "bytes=0-5242879")],
        b"", "ap-northeast-1", "20240229T235959Z", token=token)
    yield "unsigned_payload", sign("PUT", vh, "/upload.bin", [], [], b"hello",
                                   "us-east-1", d, unsigned=True)
    yield "presign_token_unicode", presign(
        "GET", vh, "/\u65e5\u672c\u8a9e key.txt", [("versionId", "3/L4kqtJl40Nr8X8gdRQBpUMLUo")],
        "us-east-1", d, 3600, token=token)


def cxx(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


if __name__ == "__main__":
    self_check()
    for name, (creq, sts, last) in cases():
        print("// %s" % name)
        print("creq: " + cxx(creq))
        print("sts:  " + cxx(sts))
        print("last: " + cxx(last))
        print()
