#!/usr/bin/env python3
"""An in-memory S3 stand-in for the listing benchmark: answers HeadBucket,
GetBucketVersioning, ListObjectsV2 (prefix, delimiter, start-after,
continuation-token, max-keys) over a synthetic CloudTrail key set, and
CopyObject into the bucket "empty" (answered, not stored), after a fixed
delay per request. Every bucket holds the same keys, so copying one
into another skips everything: what is timed is listing alone, with the
server's own cost near zero and the latency fixed. No signature checks: it
is a latency model, not an S3 server. Rendered listing pages are kept, so
from the second run on a page costs the stand-in a lookup. GET /__requests
answers the number of S3 requests served so far (not delayed, not counted).

Usage: fake_s3_listing.py PORT DELAY_MS BUCKET_COUNT OBJECTS_PER_BUCKET [CERT.pem KEY.pem]
With a certificate and key it serves HTTPS (TLS keep-alive connections).
"""
import asyncio
import ssl
import bisect
import sys
import urllib.parse
from xml.sax.saxutils import escape


def make_keys(bucket_index, count):
    region = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "us-west-2", "eu-central-1",
              "ap-northeast-1", "ca-central-1"][bucket_index % 8]
    keys = []
    for i in range(count):
        day = i // 288
        m, d = 1 + day // 28, 1 + day % 28
        keys.append("AWSLogs/123456789012/CloudTrail/%s/2024/%02d/%02d/123456789012_CloudTrail_%s_%05d.json.gz"
                    % (region, m, d, region, i))
    keys.sort()
    return keys


class Server:
    def __init__(self, delay, buckets, per_bucket):
        self.delay = delay / 1000.0
        self.keys = {}
        for i in range(buckets):
            ks = make_keys(i, per_bucket)
            self.keys["src-%d" % i] = ks
        self.keys["dst"] = sorted(k for ks in self.keys.values() for k in ks)
        self.keys["empty"] = []  # a destination for copy runs: CopyObject answers at once
        self.requests = 0
        # Rendered listing pages by request target: the client asks for the
        # same pages on every run, so after a warm-up run the stand-in's own
        # CPU per request is a dictionary lookup, not XML rendering.
        self.pages = {}

    def list(self, bucket, q):
        keys = self.keys.get(bucket)
        if keys is None:
            return 404, "<Error><Code>NoSuchBucket</Code></Error>"
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        start = q.get("continuation-token") or q.get("start-after", "")
        max_keys = int(q.get("max-keys", "1000"))
        i = bisect.bisect_right(keys, start) if start else bisect.bisect_left(keys, prefix)
        contents, prefixes, last = [], [], None
        while i < len(keys) and len(contents) + len(prefixes) < max_keys:
            k = keys[i]
            if not k.startswith(prefix):
                break
            if delim:
                j = k.find(delim, len(prefix))
                if j >= 0:
                    cp = k[:j + 1]
                    prefixes.append(cp)
                    last = cp + "\U0010ffff"
                    i = bisect.bisect_left(keys, last)
                    continue
            contents.append(k)
            last = k
            i += 1
        truncated = i < len(keys) and keys[i].startswith(prefix)
        out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>",
               "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>"
               % (bucket, escape(prefix), len(contents) + len(prefixes), max_keys),
               "<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false")]
        if truncated:
            out.append("<NextContinuationToken>%s</NextContinuationToken>" % escape(last))
        for k in contents:
            out.append("<Contents><Key>%s</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                       "<ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>360</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>" % escape(k))
        for p in prefixes:
            out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(p))
        out.append("</ListBucketResult>")
        return 200, "".join(out).encode()

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode()
                method, target, _ = line.split(" ", 2)
                if target == "/__requests":  # the benchmark's counter, not S3: no delay, not counted
                    data = b"%d" % self.requests
                    writer.write(b"HTTP/1.1 200 X\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
                    await writer.drain()
                    continue
                self.requests += 1
                await asyncio.sleep(self.delay)
                u = urllib.parse.urlsplit(target)
                bucket = urllib.parse.unquote(u.path.strip("/").split("/", 1)[0])
                q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
                if method == "HEAD":
                    status, body = (200 if bucket in self.keys else 404), ""
                elif "versioning" in q:
                    status, body = 200, "<VersioningConfiguration/>"
                elif method == "PUT" and b"x-amz-copy-source" in head.lower():
                    status, body = 200, ("<CopyObjectResult><ETag>\"0123456789abcdef0123456789abcdef\"</ETag>"
                                         "<LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>")
                elif q.get("list-type") == "2":
                    cached = self.pages.get(target)
                    if cached is None:
                        cached = self.pages[target] = self.list(bucket, q)
                    status, body = cached
                else:
                    status, body = 501, "<Error><Code>NotImplemented</Code></Error>"
                data = body if isinstance(body, bytes) else body.encode()
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nContent-Type: application/xml\r\n\r\n"
                             % (status, len(data)) + (b"" if method == "HEAD" else data))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def main():
    port, delay, buckets, per = (int(a) for a in sys.argv[1:5])
    tls = None
    if len(sys.argv) > 6:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[5], sys.argv[6])
    srv = Server(delay, buckets, per)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", port, ssl=tls)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
