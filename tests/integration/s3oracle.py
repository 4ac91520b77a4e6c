"""An independent S3 client for test oracles: Python's standard library and
the reference SigV4 signer in tests/unit/sigv4/reference_sigv4.py. It shares
no code with s3merge, so a listing it makes checks s3merge's results
independently."""
import base64
import datetime
import hashlib
import http.client
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "unit", "sigv4"))
import reference_sigv4 as ref  # noqa: E402

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Oracle:
    def __init__(self, endpoint, access_key, secret_key, region="us-east-1"):
        u = urllib.parse.urlparse(endpoint)
        if u.scheme != "http":
            raise ValueError("the oracle talks plain HTTP to the test server")
        self.host = u.netloc
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.conn = None

    def request(self, method, path, query=(), headers=(), body=b""):
        amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        _, _, authz = ref.sign(method, self.host, path, list(query), list(headers), body, self.region,
                               amz_date, akid=self.access_key, secret=self.secret_key)
        hdrs = dict(headers)
        hdrs.update({"Host": self.host, "x-amz-date": amz_date, "Authorization": authz,
                     "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
        target = ref.enc_path(path)
        if query:
            target += "?" + ref.canonical_query(list(query))
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, timeout=60)
                self.conn.request(method, target, body=body, headers=hdrs)
                r = self.conn.getresponse()
                return r.status, dict(r.getheaders()), r.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn = None
                if attempt:
                    raise

    def list_all(self, bucket, prefix=""):
        """{key: (size, etag, storage_class)} of every object under prefix."""
        out, token = {}, None
        while True:
            q = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url")]
            if token:
                q.append(("continuation-token", token))
            status, _, body = self.request("GET", "/" + bucket, q)
            if status != 200:
                raise RuntimeError("ListObjectsV2 %s: HTTP %d %s" % (bucket, status, body[:200]))
            root = ET.fromstring(body)
            for c in root.findall(NS + "Contents"):
                key = urllib.parse.unquote_plus(c.find(NS + "Key").text)
                sc = c.find(NS + "StorageClass")
                out[key] = (int(c.find(NS + "Size").text), c.find(NS + "ETag").text.strip('"'),
                            sc.text if sc is not None else "STANDARD")
            if root.find(NS + "IsTruncated").text != "true":
                return out
            token = root.find(NS + "NextContinuationToken").text

    def put(self, bucket, key, body, headers=()):
        status, _, resp = self.request("PUT", "/%s/%s" % (bucket, key), (), list(headers), body)
        if status != 200:
            raise RuntimeError("PutObject %s/%s: HTTP %d %s" % (bucket, key, status, resp[:200]))

    def delete(self, bucket, key):
        status, _, _ = self.request("DELETE", "/%s/%s" % (bucket, key))
        if status not in (200, 204):
            raise RuntimeError("DeleteObject %s/%s: HTTP %d" % (bucket, key, status))

    def create_bucket(self, bucket, object_lock=False):
        headers = [("x-amz-bucket-object-lock-enabled", "true")] if object_lock else []
        status, _, body = self.request("PUT", "/" + bucket, (), headers)
        if status != 200:
            raise RuntimeError("CreateBucket %s: HTTP %d %s" % (bucket, status, body[:200]))

    def bucket_exists(self, bucket):
        status, _, _ = self.request("HEAD", "/" + bucket)
        if status not in (200, 404):
            raise RuntimeError("HeadBucket %s: HTTP %d" % (bucket, status))
        return status == 200

    def enable_versioning(self, bucket):
        body = (b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                b"<Status>Enabled</Status></VersioningConfiguration>")
        status, _, resp = self.request("PUT", "/" + bucket, [("versioning", "")], [], body)
        if status != 200:
            raise RuntimeError("PutBucketVersioning %s: HTTP %d %s" % (bucket, status, resp[:200]))

    def list_versions(self, bucket):
        """(versions, delete markers): lists of (key, version id, is latest)."""
        versions, markers, km, vm = [], [], None, None
        while True:
            q = [("versions", "")]
            if km:
                q += [("key-marker", km), ("version-id-marker", vm)]
            status, _, body = self.request("GET", "/" + bucket, q)
            if status != 200:
                raise RuntimeError("ListObjectVersions %s: HTTP %d %s" % (bucket, status, body[:200]))
            root = ET.fromstring(body)
            for tag, out in (("Version", versions), ("DeleteMarker", markers)):
                for v in root.findall(NS + tag):
                    out.append((v.find(NS + "Key").text, v.find(NS + "VersionId").text,
                                v.find(NS + "IsLatest").text == "true"))
            if root.find(NS + "IsTruncated").text != "true":
                return versions, markers
            km = root.find(NS + "NextKeyMarker").text
            vm = root.find(NS + "NextVersionIdMarker").text

    def start_multipart_upload(self, bucket, key):
        status, _, body = self.request("POST", "/%s/%s" % (bucket, key), [("uploads", "")])
        if status != 200:
            raise RuntimeError("CreateMultipartUpload %s/%s: HTTP %d %s" % (bucket, key, status, body[:200]))
        return ET.fromstring(body).find(NS + "UploadId").text

    def list_uploads(self, bucket):
        status, _, body = self.request("GET", "/" + bucket, [("uploads", "")])
        if status != 200:
            raise RuntimeError("ListMultipartUploads %s: HTTP %d %s" % (bucket, status, body[:200]))
        return [u.find(NS + "Key").text for u in ET.fromstring(body).findall(NS + "Upload")]

    def snapshot(self, buckets):
        """Every bucket's existence and full listing, to compare before/after."""
        return {b: (self.list_all(b) if self.bucket_exists(b) else None) for b in buckets}

    def set_legal_hold(self, bucket, key, on):
        body = ('<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>%s</Status></LegalHold>'
                % ("ON" if on else "OFF")).encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        status, _, resp = self.request("PUT", "/%s/%s" % (bucket, key), [("legal-hold", "")],
                                       [("Content-MD5", md5)], body)
        if status != 200:
            raise RuntimeError("PutObjectLegalHold %s/%s: HTTP %d %s" % (bucket, key, status, resp[:200]))
