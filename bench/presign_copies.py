#!/usr/bin/env python3
"""Signed CopyObject requests, written out before a measurement (stdlib and
the reference SigV4 signer of the tests; shares no code with s3merge).

    presign_copies.py ENDPOINT SRC_BUCKET DST_BUCKET OUT_FILE

Lists SRC_BUCKET (every key), and writes to OUT_FILE one raw HTTP request
per key: PUT /DST_BUCKET/KEY with x-amz-copy-source, signed now with the
environment's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (a signature stays
valid for 15 minutes). transport-floor sends them (TRANSPORT_FLOOR_REQUESTS)
with nothing else to do per request: the server's own ceiling for the copies.
Prints the number of requests.
"""

import datetime
import hashlib
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "unit", "sigv4"))
import reference_sigv4 as ref  # noqa: E402
from s3oracle import Oracle  # noqa: E402


def main(endpoint, src, dst, out_path):
    akid, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    oracle = Oracle(endpoint, akid, secret)
    keys = oracle.list_all(src)
    host = urllib.parse.urlparse(endpoint).netloc
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    empty = hashlib.sha256(b"").hexdigest()
    with open(out_path, "wb") as out:
        for key in keys:
            copy_source = "/" + src + "/" + urllib.parse.quote(key, safe="/")
            headers = [("x-amz-copy-source", copy_source), ("x-amz-metadata-directive", "COPY")]
            path = "/" + dst + "/" + key
            _, _, authz = ref.sign("PUT", host, path, [], headers, b"", "us-east-1", amz_date, akid=akid,
                                   secret=secret)
            lines = ["PUT %s HTTP/1.1" % ref.enc_path(path), "Host: " + host]
            lines += ["%s: %s" % (k, v) for k, v in headers]
            lines += ["x-amz-date: " + amz_date, "x-amz-content-sha256: " + empty, "Authorization: " + authz,
                      "User-Agent: presigned-copies", "Content-Length: 0"]
            out.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    print(len(keys))


if __name__ == "__main__":
    main(*sys.argv[1:5])
