#!/usr/bin/env python3
"""The transfer engine (s3merge copy / move / generate) against the local S3
server: 16 regional source buckets holding 20,000 CloudTrail-style objects
plus awkward keys, checked with an independent listing (s3oracle.py).

Usage: test_engine.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
Size: S3MERGE_ENGINE_OBJECTS (default 20000) objects over 16 buckets.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import isolate, suffix  # noqa: E402
from s3oracle import Oracle  # noqa: E402

S3MERGE = None
ENV = {}
REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
           "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
           "ap-southeast-1", "ap-southeast-2", "sa-east-1"]
ACCOUNT = "123456789012"
AWKWARD = ["with space/and more spaces.json", "日本語/ログ.json.gz", "plus+sign+key", "percent%key%20x",
           "literal%2Fslash", "equals=and&ampersand", "question?mark", "hash#mark", "tilde~key",
           "double//slash", "trailing/slash/", "k" * 1020 + ".bin"]


class Engine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        isolate(cls.tmp.name)
        cls.oracle = Oracle(ENV["S3MERGE_TEST_ENDPOINT"], ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"])
        cls.tag = suffix()
        cls.total = int(os.environ.get("S3MERGE_ENGINE_OBJECTS", "20000"))
        cls.sources = ["ct-%s-%s" % (r, cls.tag) for r in REGIONS]
        for b in cls.sources:
            cls.oracle.create_bucket(b)
        per = cls.total // len(cls.sources)
        t0 = time.time()
        procs = []
        for i, (b, region) in enumerate(zip(cls.sources, REGIONS)):
            procs.append(subprocess.Popen(
                [S3MERGE, "generate", "--dest", "s3://" + b, "--count", str(per), "--log-region", region,
                 "--account", ACCOUNT, "--concurrency", "16", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT"]],
                stdout=subprocess.DEVNULL))
            if len(procs) == 4 or i == len(cls.sources) - 1:
                for p in procs:
                    assert p.wait() == 0, "generate failed"
                procs = []
        for k in AWKWARD:
            cls.oracle.put(cls.sources[0], k, ("awkward " + k).encode())
        cls.expected = {}
        for b in cls.sources:
            cls.expected.update(cls.oracle.list_all(b))
        print("setup: %d objects in %d buckets in %.1f s" % (len(cls.expected), len(cls.sources), time.time() - t0),
              file=sys.stderr)
        assert len(cls.expected) >= 20000 or cls.total < 20000

    def s3merge(self, *args, check=None, timeout=900):
        cmd = [S3MERGE] + list(args) + ["--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT"]]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check is not None and p.returncode != check:
            raise AssertionError("%r exited %d, expected %d\nstdout: %s\nstderr: %s" %
                                 (cmd[:6], p.returncode, check, p.stdout[-3000:], p.stderr[-3000:]))
        return p

    def new_bucket(self, stem):
        b = "%s-%s-%s" % (stem, self.tag, suffix())
        self.oracle.create_bucket(b)
        return b

    def sources_args(self, buckets):
        args = []
        for b in buckets:
            args += ["--source", "s3://" + b]
        return args

    def report(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def assert_complete(self, dest, expected):
        got = self.oracle.list_all(dest)
        missing = [k for k in expected if k not in got]
        self.assertEqual(missing[:5], [])
        for k, (size, etag, _) in expected.items():
            self.assertEqual((got[k][0], got[k][1]), (size, etag), k)
        self.assertEqual(len(got), len(expected))

    def test_1_copy_then_rerun_skips_everything(self):
        dest = self.new_bucket("all")
        rep = os.path.join(self.tmp.name, "copy.json")
        t0 = time.time()
        p = self.s3merge("copy", *self.sources_args(self.sources), "--dest", "s3://" + dest, "--report", rep,
                         "--no-progress", check=0)
        elapsed = time.time() - t0
        self.assert_complete(dest, self.expected)
        r = self.report(rep)
        n = len(self.expected)
        self.assertEqual(r["totals"]["listed"], n)
        self.assertEqual(r["totals"]["copied"], n)
        self.assertEqual(r["totals"]["failed"], 0)
        self.assertEqual(len(r["sources"]), 16)
        self.assertEqual(sum(s["copied"] for s in r["sources"]), n)
        self.assertIn("copied %d" % n, p.stdout)
        print("copy: %d objects in %.1f s" % (n, elapsed), file=sys.stderr)
        # Again: everything is already there.
        p = self.s3merge("copy", *self.sources_args(self.sources), "--dest", "s3://" + dest, "--report", rep,
                         "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual(r["totals"]["copied"], 0)
        self.assertEqual(r["totals"]["skipped"], n)
        self.assertEqual(r["totals"]["listed"], n)
        type(self).complete_dest = dest

    def test_1b_dry_run_and_verify_write_nothing_and_name_differences(self):
        pair = self.sources[10:12]
        expected = {}
        for b in pair:
            expected.update(self.oracle.list_all(b))
        dest = self.new_bucket("dry")
        self.s3merge("copy", *self.sources_args(pair), "--dest", "s3://" + dest, "--no-progress", check=0)
        keys = sorted(expected)
        gone, changed = keys[3], keys[-2]
        self.oracle.delete(dest, gone)
        self.oracle.put(dest, changed, b"other content")
        before = {b: self.oracle.list_all(b) for b in pair + [dest]}
        rep = os.path.join(self.tmp.name, "dry.json")
        p = self.s3merge("move", *self.sources_args(pair), "--dest", "s3://" + dest, "--dry-run", "--report", rep,
                         "--no-progress", check=0)
        n = len(expected)
        self.assertIn("listed %d" % n, p.stdout)
        self.assertIn("already at the destination %d, missing 1, different 1; would copy 2" % (n - 2), p.stdout)
        self.assertIn("nothing was written", p.stdout)
        self.assertIn("would then delete the %d source objects" % n, p.stdout)
        after = {b: self.oracle.list_all(b) for b in pair + [dest]}
        self.assertEqual(after, before)  # sources and destination untouched
        r = self.report(rep)
        self.assertEqual(r["mode"], "plan")
        self.assertEqual((r["totals"]["listed"], r["totals"]["skipped"], r["totals"]["copied"],
                          r["totals"]["deleted"]), (n, n - 2, 0, 0))
        # --verify fails for exactly the two objects, naming them.
        rep = os.path.join(self.tmp.name, "verify.json")
        p = self.s3merge("copy", *self.sources_args(pair), "--dest", "s3://" + dest, "--verify", "--report", rep,
                         "--no-progress", check=1)
        self.assertIn("missing 1, different 1", p.stdout)
        r = self.report(rep)
        self.assertEqual(r["totals"]["failed"], 2)
        codes = sorted((f["key"], f["code"]) for f in r["failures"])
        self.assertEqual(codes, sorted([(gone, "Missing"), (changed, "SizeDiffers")]))
        # A copy mends both; --verify then passes.
        self.s3merge("copy", *self.sources_args(pair), "--dest", "s3://" + dest, "--no-progress", check=0)
        p = self.s3merge("copy", *self.sources_args(pair), "--dest", "s3://" + dest, "--verify", "--no-progress",
                         check=0)
        self.assertIn("identical at the destination %d, missing 0, different 0" % n, p.stdout)
        self.assert_complete(dest, expected)
        p = self.s3merge("copy", *self.sources_args(pair), "--dest", "s3://" + dest, "--verify", "--dry-run",
                         check=2)
        self.assertIn("cannot be combined", p.stderr)

    def test_2_sigkill_then_resume_does_not_start_over(self):
        dest = self.new_bucket("kill")
        journal = os.path.join(self.tmp.name, "kill.journal")
        cmd = [S3MERGE, "copy", *self.sources_args(self.sources), "--dest", "s3://" + dest, "--journal", journal,
               "--no-progress", "--concurrency", "32", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT"]]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Kill once a good part is copied but well before the end.
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(1.0)
            if os.path.exists(journal) and len(self.oracle.list_all(dest)) > len(self.expected) // 4:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        copied_before = len(self.oracle.list_all(dest))
        self.assertTrue(os.path.exists(journal), "no journal was written before the kill")
        self.assertLess(copied_before, len(self.expected), "the run finished before it was killed")
        rep = os.path.join(self.tmp.name, "resume.json")
        p = self.s3merge("copy", *self.sources_args(self.sources), "--dest", "s3://" + dest, "--journal", journal,
                         "--report", rep, "--no-progress", check=0)
        self.assertIn("resuming from " + journal, p.stderr)
        self.assert_complete(dest, self.expected)
        r = self.report(rep)
        # Watermarked work is not listed again: the resumed run lists less
        # than everything and copies only what was missing.
        self.assertLess(r["totals"]["listed"], len(self.expected))
        self.assertLessEqual(r["totals"]["copied"], len(self.expected) - copied_before + 300)
        self.assertEqual(r["totals"]["failed"], 0)
        self.assertFalse(os.path.exists(journal), "a finished job leaves no journal")

    def test_2b_ctrl_c_writes_the_journal_and_exits_130(self):
        dest = self.new_bucket("sigint")
        journal = os.path.join(self.tmp.name, "sigint.journal")
        some = self.sources[:4]
        expected = {}
        for b in some:
            expected.update(self.oracle.list_all(b))
        cmd = [S3MERGE, "copy", *self.sources_args(some), "--dest", "s3://" + dest, "--journal", journal,
               "--no-progress", "--concurrency", "4", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT"]]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("interrupted", err)
        self.assertIn("re-run the same command to resume", out)
        self.assertTrue(os.path.exists(journal))
        partial = len(self.oracle.list_all(dest))
        self.assertLess(partial, len(expected))
        p = self.s3merge("copy", *self.sources_args(some), "--dest", "s3://" + dest, "--journal", journal,
                         "--no-progress", check=0)
        self.assertIn("resuming from", p.stderr)
        self.assert_complete(dest, expected)

    def test_2c_versioned_source_copies_current_versions_and_counts_the_rest(self):
        src = self.new_bucket("versioned")
        body = b"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
               b"<Status>Enabled</Status></VersioningConfiguration>"
        status, _, resp = self.oracle.request("PUT", "/" + src, [("versioning", "")], [], body)
        self.assertEqual(status, 200, resp)
        self.oracle.put(src, "a.json", b"old")
        self.oracle.put(src, "a.json", b"newer")          # a noncurrent version of a.json
        self.oracle.put(src, "gone.json", b"gone")
        self.oracle.delete(src, "gone.json")              # a delete marker + a noncurrent version
        dest = self.new_bucket("versioned-dst")
        rep = os.path.join(self.tmp.name, "versioned.json")
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dest, "--report", rep,
                     "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual(r["totals"]["copied"], 1)
        self.assertEqual(r["noncurrent_skipped"], 3)
        got = self.oracle.list_all(dest)
        self.assertEqual(list(got), ["a.json"])
        self.assertEqual(got["a.json"][0], len(b"newer"))

    def test_3_move_deletes_sources_only_after_copy(self):
        # Copy-then-delete into a fresh bucket.
        movers = self.sources[12:14]
        expected = {}
        for b in movers:
            expected.update(self.oracle.list_all(b))
        dest = self.new_bucket("moved")
        rep = os.path.join(self.tmp.name, "move.json")
        self.s3merge("move", *self.sources_args(movers), "--dest", "s3://" + dest, "--report", rep,
                     "--no-progress", check=0)
        self.assert_complete(dest, expected)
        for b in movers:
            self.assertEqual(self.oracle.list_all(b), {})
        r = self.report(rep)
        self.assertEqual(r["totals"]["deleted"], len(expected))
        self.assertEqual(r["totals"]["copied"], len(expected))

    def test_4_move_into_complete_dest_deletes_identical_sources(self):
        dest = getattr(type(self), "complete_dest", None)
        self.assertIsNotNone(dest, "test_1 must run first")
        movers = self.sources[14:16]
        expected = {}
        for b in movers:
            expected.update(self.oracle.list_all(b))
        # One destination object differs: its source must survive the move.
        victim = sorted(expected)[7]
        self.oracle.put(dest, victim, b"different content")
        rep = os.path.join(self.tmp.name, "move2.json")
        self.s3merge("move", *self.sources_args(movers), "--dest", "s3://" + dest, "--report", rep,
                     "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual(r["totals"]["copied"], 1)  # the differing one was replaced
        self.assertEqual(r["totals"]["skipped"], len(expected) - 1)
        self.assertEqual(r["totals"]["deleted"], len(expected))
        for b in movers:
            self.assertEqual(self.oracle.list_all(b), {})
        got = self.oracle.list_all(dest)
        self.assertEqual(got[victim][:2], expected[victim][:2])

    def test_5_glacier_objects_are_skipped_and_counted_or_fail(self):
        src = self.new_bucket("glacier")
        self.oracle.put(src, "cold/archived.json.gz", b"cold", [("x-amz-storage-class", "GLACIER")])
        self.oracle.put(src, "cold/deep.json.gz", b"deep", [("x-amz-storage-class", "DEEP_ARCHIVE")])
        self.oracle.put(src, "warm/ir.json.gz", b"ir", [("x-amz-storage-class", "GLACIER_IR")])
        self.oracle.put(src, "warm/plain.json.gz", b"plain")
        listing = self.oracle.list_all(src)
        self.assertEqual(listing["cold/archived.json.gz"][2], "GLACIER")
        dest = self.new_bucket("glacier-dst")
        rep = os.path.join(self.tmp.name, "glacier.json")
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dest, "--report", rep,
                     "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual(r["glacier_skipped"], 2)
        self.assertEqual(r["totals"]["copied"], 2)
        self.assertEqual(sorted(self.oracle.list_all(dest)), ["warm/ir.json.gz", "warm/plain.json.gz"])
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dest, "--report", rep,
                         "--glacier", "fail", "--no-progress", check=5)  # partially done
        r = self.report(rep)
        self.assertEqual(r["totals"]["failed"], 2)
        self.assertEqual({f["code"] for f in r["failures"]}, {"InvalidObjectState"})
        self.assertEqual({f["attempts"] for f in r["failures"]}, {0})  # decided from the listing: no request
        self.assertIn("InvalidObjectState", p.stderr)

    def test_6_multipart_copy_with_small_threshold(self):
        src = self.new_bucket("mp")
        body = os.urandom(12 * 1024 * 1024 + 12345)
        self.oracle.put(src, "big/object.bin", body, [("Content-Type", "application/x-test"),
                                                      ("x-amz-meta-origin", "s3merge")])
        self.oracle.put(src, "small.bin", b"small")
        dest = self.new_bucket("mp-dst")
        rep = os.path.join(self.tmp.name, "mp.json")
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dest + "/copied/",
                     "--multipart-threshold", "8MiB", "--part-size", "5MiB", "--report", rep, "--no-progress",
                     check=0)
        got = self.oracle.list_all(dest)
        self.assertEqual(got["copied/big/object.bin"][0], len(body))
        self.assertTrue(got["copied/big/object.bin"][1].endswith("-3"), got)  # three parts: 5+5+2 MiB
        self.assertEqual(got["copied/small.bin"][0], 5)
        status, headers, _ = self.oracle.request("HEAD", "/%s/copied/big/object.bin" % dest)
        self.assertEqual(status, 200)
        low = {k.lower(): v for k, v in headers.items()}
        self.assertEqual(low.get("x-amz-meta-origin"), "s3merge")   # metadata carried over
        self.assertEqual(low.get("content-type"), "application/x-test")
        status, _, body_back = self.oracle.request("GET", "/%s/copied/big/object.bin" % dest)
        self.assertEqual(body_back, body)
        status, _, uploads = self.oracle.request("GET", "/" + dest, [("uploads", "")])
        self.assertNotIn(b"<Upload>", uploads)  # nothing left half-done

    def test_7_bad_input_is_refused_and_writes_nothing(self):
        b = self.sources[0]
        p = self.s3merge("copy", "--source", "s3://%s/AWSLogs/" % b, "--dest", "s3://%s/AWSLogs/x/" % b, check=2)
        self.assertIn("overlap", p.stderr.lower())
        before = self.oracle.list_all(b)
        dest = self.new_bucket("nosrc")
        p = self.s3merge("copy", "--source", "s3://no-such-bucket-" + self.tag, "--source", "s3://" + b,
                         "--dest", "s3://" + dest, check=1)
        self.assertIn("no-such-bucket-" + self.tag, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.oracle.list_all(dest), {})
        self.assertEqual(self.oracle.list_all(b), before)
        p = self.s3merge("move", "--source", "s3://" + b, check=2)
        self.assertIn("--dest", p.stderr)


def main():
    global S3MERGE, ENV
    S3MERGE = os.path.abspath(sys.argv[1])
    names = ["S3MERGE_TEST_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        print("FAIL: no S3 test server environment (missing %s): run scripts/run-tests" % ", ".join(missing),
              file=sys.stderr)
        return 1
    ENV = {n: os.environ[n] for n in names}
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
