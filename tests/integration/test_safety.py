#!/usr/bin/env python3
"""Nothing lost, ever: each way a move could delete data that exists nowhere
else, tried against the local S3 server (Ceph RGW, which verifies SigV4) and
checked with an independent client (s3oracle.py) that reads the bytes back.

Usage: test_safety.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import json
import os
import stat
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from hold_proxy import HoldProxy  # noqa: E402



class Safety(S3MergeCase):
    def put_multipart(self, bucket, key, body):
        """One part: the ETag is '<md5 of the part md5>-1', not the MD5 of the body."""
        upload = self.oracle.start_multipart_upload(bucket, key)
        status, headers, resp = self.oracle.request("PUT", "/%s/%s" % (bucket, key),
                                                    [("partNumber", "1"), ("uploadId", upload)], [], body)
        self.assertEqual(status, 200, resp)
        etag = {k.lower(): v for k, v in headers.items()}["etag"]
        done = ('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>'
                '</CompleteMultipartUpload>' % etag).encode()
        status, _, resp = self.oracle.request("POST", "/%s/%s" % (bucket, key), [("uploadId", upload)], [], done)
        self.assertEqual(status, 200, resp)
        status, headers, _ = self.oracle.request("HEAD", "/%s/%s" % (bucket, key))
        etag = {k.lower(): v for k, v in headers.items()}["etag"].strip('"')
        self.assertTrue(etag.endswith("-1"), etag)
        return etag

    def test_same_size_multipart_etag_is_not_identical(self):
        src, dst = self.bucket("idsrc"), self.bucket("iddst")
        a, b = b"a" * 1000, b"b" * 1000
        self.oracle.put(src, "single.json", a)              # single-part source
        self.put_multipart(dst, "single.json", b)           # other bytes, same size, multipart ETag
        self.put_multipart(src, "multi.json", a)            # multipart source
        self.oracle.put(dst, "multi.json", b)               # other bytes, same size, single-part ETag
        rep = os.path.join(self.tmp.name, "verify-id.json")
        # verify cannot call them identical...
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--verify", "--report", rep,
                         "--no-progress", check=1)
        r = self.report(rep)
        self.assertEqual(r["totals"]["failed"], 2)
        self.assertEqual(sorted(f["code"] for f in r["failures"]), ["Unverifiable", "Unverifiable"])
        self.assertEqual(r["sources"][0]["unverifiable"], 2)
        self.assertIn("2 objects are not at the destination", p.stdout)
        # ...a move copies them again before it deletes the sources.
        self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress", check=0)
        self.assertEqual(self.oracle.list_all(src), {})
        self.assertEqual(self.get(dst, "single.json"), a)
        self.assertEqual(self.get(dst, "multi.json"), a)

    def test_same_size_copy_recopies(self):
        src, dst = self.bucket("idcsrc"), self.bucket("idcdst")
        self.oracle.put(src, "k", b"x" * 64)
        self.put_multipart(dst, "k", b"y" * 64)
        rep = os.path.join(self.tmp.name, "copy-id.json")
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep, "--no-progress",
                     check=0)
        self.assertEqual(self.get(dst, "k"), b"x" * 64)
        r = self.report(rep)
        self.assertEqual((r["totals"]["copied"], r["totals"]["skipped"]), (1, 0))
        # Now single-part on both sides, same MD5: identical, skipped.
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep, "--no-progress",
                     check=0)
        r = self.report(rep)
        self.assertEqual((r["totals"]["copied"], r["totals"]["skipped"]), (0, 1))

    # 2. Two sources, one destination key.
    def test_two_sources_one_key(self):
        s1, s2, dst = self.bucket("col1"), self.bucket("col2"), self.bucket("coldst")
        self.oracle.put(s1, "logs/k.json", b"from one")
        self.oracle.put(s2, "logs/k.json", b"from two")
        self.oracle.put(s1, "logs/same.json", b"identical")
        self.oracle.put(s2, "logs/same.json", b"identical")
        self.oracle.put(s1, "logs/only1.json", b"1")
        self.oracle.put(s2, "logs/only2.json", b"2")
        args = ["--source", "s3://" + s1, "--source", "s3://" + s2, "--dest", "s3://" + dst, "--no-progress"]
        rep = os.path.join(self.tmp.name, "plan-col.json")
        p = self.s3merge("move", *args, "--dry-run", "--report", rep, check=1)
        r = self.report(rep)
        self.assertEqual(sum(s["collisions"] for s in r["sources"]), 2)
        self.assertEqual(self.oracle.list_all(dst), {})
        self.assertIn("KeyCollision", p.stderr)
        rep = os.path.join(self.tmp.name, "move-col.json")
        p = self.s3merge("move", *args, "--report", rep, check=5)  # partially done: the rest moved
        r = self.report(rep)
        col = [f for f in r["failures"] if f["code"] == "KeyCollision"]
        self.assertEqual(sorted(f["bucket"] for f in col), sorted([s1, s2]))
        for f in col:
            self.assertIn("s3://%s/logs/k.json" % s1, f["message"])
            self.assertIn("s3://%s/logs/k.json" % s2, f["message"])
        # Neither colliding source was deleted or copied; the rest moved.
        self.assertEqual(self.get(s1, "logs/k.json"), b"from one")
        self.assertEqual(self.get(s2, "logs/k.json"), b"from two")
        self.assertEqual(sorted(self.oracle.list_all(dst)), ["logs/only1.json", "logs/only2.json", "logs/same.json"])
        self.assertEqual(sorted(self.oracle.list_all(s1)), ["logs/k.json"])
        self.assertEqual(sorted(self.oracle.list_all(s2)), ["logs/k.json"])
        # The same source given twice is one source, not a collision.
        only = self.bucket("colonce")
        self.oracle.put(only, "x", b"x")
        self.s3merge("copy", "--source", "s3://" + only, "--source", "s3://" + only, "--dest", "s3://" + dst,
                     "--no-progress", check=0)
        self.assertEqual(self.get(dst, "x"), b"x")

    # 3. A source overwritten between its copy and its delete.
    def test_overwrite_after_copy_is_not_deleted(self):
        src, dst = self.bucket("racesrc"), self.bucket("racedst")
        self.oracle.put(src, "race.json", b"first version")
        self.oracle.put(src, "calm.json", b"calm")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        overwritten = threading.Event()

        def hold(method, path, headers):
            if method == "PUT" and "race.json" in headers.get("x-amz-copy-source", ""):
                def overwrite():
                    # The copy is done at the server; its answer waits while
                    # the source gets new content.
                    self.oracle.put(src, "race.json", b"second version, never copied")
                    overwritten.set()
                return overwrite
            return None
        proxy.hold = hold
        try:
            rep = os.path.join(self.tmp.name, "race.json")
            self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep,
                         "--no-progress", endpoint=proxy.url, check=5)  # partially done
        finally:
            proxy.close()
        self.assertTrue(overwritten.is_set())
        self.assertEqual(self.get(src, "race.json"), b"second version, never copied")
        self.assertEqual(self.get(dst, "race.json"), b"first version")
        self.assertNotIn("calm.json", self.oracle.list_all(src))
        r = self.report(rep)
        self.assertEqual([f["code"] for f in r["failures"]], ["SourceChanged"])
        # Counted once: a copy whose move failed is a failure, not also a copy.
        t = r["totals"]
        self.assertEqual((t["listed"], t["copied"], t["failed"], t["deleted"]), (2, 1, 1, 1))
        self.assertEqual(r["failures"][0]["key"], "race.json")
        # The copy was pinned to the listed version.
        pinned = [h for m, p, h in proxy.requests if m == "PUT" and "x-amz-copy-source" in h]
        self.assertTrue(all(h.get("x-amz-copy-source-if-match", "").startswith('"') for h in pinned))
        # A re-run copies the new content, then deletes it.
        self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress", check=0)
        self.assertEqual(self.get(dst, "race.json"), b"second version, never copied")
        self.assertEqual(self.oracle.list_all(src), {})

    # 7. Unfinished multipart uploads of a killed run.
    def test_killed_multipart_copy_is_cleaned_up_on_resume(self):
        src, dst = self.bucket("mpsrc"), self.bucket("mpdst")
        big = bytes(range(256)) * (6 * 4096)  # 6 MiB
        self.oracle.put(src, "big.bin", big)
        self.oracle.put(src, "small.json", b"small")
        args = ["move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--multipart-threshold", "5MiB",
                "--part-size", "5MiB", "--no-progress"]
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        proc = {}

        def hold(method, path, headers):
            if method == "PUT" and "uploadId=" in path and "x-amz-copy-source" in headers:
                return lambda: proc["p"].kill()  # SIGKILL while a part copy is answered
            return None
        proxy.hold = hold
        proc["p"] = subprocess.Popen([self.s3merge_path] + args + ["--endpoint-url", proxy.url],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(proc["p"].wait(timeout=120), -9)
        proxy.close()
        self.assertEqual(self.oracle.list_uploads(dst), ["big.bin"])
        # Another writer's unfinished upload under the destination stays.
        self.oracle.start_multipart_upload(dst, "someone-else.bin")
        rep = os.path.join(self.tmp.name, "mp-resume.json")
        p = self.s3merge(*args, "--report", rep, check=0)
        r = self.report(rep)
        self.assertEqual((r["uploads_aborted"], r["uploads_foreign"]), (1, 1))
        self.assertIn("aborted 1 unfinished multipart uploads", p.stderr)
        self.assertEqual(self.oracle.list_uploads(dst), ["someone-else.bin"])
        self.assertEqual(self.get(dst, "big.bin"), big)
        self.assertEqual(self.oracle.list_all(src), {})

    # 6. One key must not block a batch.
    def test_key_xml_cannot_carry_is_deleted_alone(self):
        src, dst = self.bucket("ctlsrc"), self.bucket("ctldst")
        keys = ["ctl\x01key.json", "tab\tand\x1fmore", "normal.json"]
        for k in keys:
            self.oracle.put(src, k, k.encode())
        rep = os.path.join(self.tmp.name, "ctl.json")
        self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep, "--no-progress",
                     check=0)
        self.assertEqual(self.oracle.list_all(src), {})
        self.assertEqual(sorted(self.oracle.list_all(dst)), sorted(keys))
        self.assertEqual(self.report(rep)["totals"]["deleted"], 3)

    # 4. put of a directory or a special file.
    def test_put_refuses_anything_but_a_regular_file(self):
        b = self.bucket("put")
        self.oracle.put(b, "obj", b"precious")
        d = os.path.join(self.tmp.name, "adir")
        os.makedirs(d, exist_ok=True)
        for path in (d, "/dev/null", os.path.join(self.tmp.name, "missing")):
            p = self.s3merge("put", path, "s3://%s/obj" % b, check=2)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("is a directory", self.s3merge("put", d, "s3://%s/obj" % b).stderr)
        self.assertEqual(self.get(b, "obj"), b"precious")
        # '-' reads standard input.
        f = os.path.join(self.tmp.name, "in.txt")
        with open(f, "wb") as out:
            out.write(b"from stdin")
        with open(f, "rb") as inp:
            self.s3merge("put", "-", "s3://%s/obj2" % b, stdin=inp, check=0)
        self.assertEqual(self.get(b, "obj2"), b"from stdin")

    # 5. --report does not clobber what is at its path.
    def test_report_paths(self):
        src, dst = self.bucket("repsrc"), self.bucket("repdst")
        self.oracle.put(src, "r.json", b"r")
        args = ["copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress"]
        # Through a symlink: the file it points to is written, the link stays.
        target = os.path.join(self.tmp.name, "real-report.json")
        link = os.path.join(self.tmp.name, "link-report.json")
        os.symlink(target, link)
        self.s3merge(*args, "--report", link, check=0)
        self.assertTrue(os.path.islink(link))
        self.assertEqual(self.report(target)["totals"]["listed"], 1)
        # Into a FIFO: written as a stream.
        fifo = os.path.join(self.tmp.name, "report.fifo")
        os.mkfifo(fifo)
        got = {}

        def reader():
            with open(fifo, "rb") as f:
                got["data"] = f.read()
        t = threading.Thread(target=reader)
        t.start()
        self.s3merge(*args, "--report", fifo, check=0)
        t.join(30)
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        self.assertEqual(json.loads(got["data"])["totals"]["listed"], 1)
        # /dev/full: the write fails, and so does the command, in one line.
        p = self.s3merge(*args, "--report", "/dev/full", check=1)
        self.assertIn("cannot write the report /dev/full", p.stderr)
        self.assertTrue(os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode))
        # A directory: refused before any request.
        empty = self.bucket("repempty")
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + empty, "--report", self.tmp.name,
                         "--no-progress", check=2)
        self.assertIn("is a directory", p.stderr)
        self.assertEqual(self.oracle.list_all(empty), {})


if __name__ == "__main__":
    sys.exit(main("test_safety.py"))
