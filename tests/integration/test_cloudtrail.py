#!/usr/bin/env python3
"""s3merge cloudtrail plan / copy / move / verify / drop-sources against the
local S3 server (Ceph RGW), checked with an independent client (s3oracle.py).
Account and region discovery (STS, EC2) run against fake_query_api.py, which
answers with the AWS documentation's response shapes and verifies SigV4.

Usage: test_cloudtrail.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import json
import os
import pty
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from s3oracle import Oracle  # noqa: E402

S3MERGE = None
ENV = {}
REGIONS16 = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
             "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
             "ap-southeast-1", "ap-southeast-2", "sa-east-1"]


def new_account():
    return "".join(random.choice("0123456789") for _ in range(12))


def src_bucket(region, account):
    return "cloudtrail-%s-%s" % (region, account)


def dest_bucket(account):
    return "cloudtrail-all-region-%s" % account


class CloudTrail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        os.environ["XDG_STATE_HOME"] = os.path.join(cls.tmp.name, "state")
        for v in ("AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EC2"):
            os.environ.pop(v, None)
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(cls.tmp.name, "none")
        os.environ["AWS_CONFIG_FILE"] = os.path.join(cls.tmp.name, "none")
        cls.oracle = Oracle(ENV["S3MERGE_TEST_ENDPOINT"], ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"])

    def run_s3merge(self, *args, check=None, stdin=subprocess.DEVNULL, env=None, timeout=900):
        cmd = [S3MERGE] + list(args) + ["--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT"]]
        if args[0] == "cloudtrail":
            cmd.append("--no-progress")
            if "--source-bucket-template" not in args:
                # These tests name the per-region buckets; test_cloudtrail_discovery.py finds them.
                cmd += ["--source-bucket-template", "cloudtrail-{region}-{account}"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=stdin,
                           env=dict(os.environ, **(env or {})))
        if check is not None and p.returncode != check:
            raise AssertionError("%r exited %d, expected %d\nstdout: %s\nstderr: %s" %
                                 (cmd[:4], p.returncode, check, p.stdout[-4000:], p.stderr[-4000:]))
        return p

    def seed(self, account, region, count):
        b = src_bucket(region, account)
        self.oracle.create_bucket(b)
        if count:
            self.run_s3merge("generate", "--dest", "s3://" + b, "--count", str(count), "--log-region", region,
                             "--account", account, "--concurrency", "16", check=0)
        return b

    def ct(self, sub, account, regions, *extra, check=None, **kw):
        return self.run_s3merge("cloudtrail", sub, "--account", account, "--regions", ",".join(regions), *extra,
                                check=check, **kw)

    def row(self, stdout, region):
        """The table row of a region, split on runs of spaces."""
        for line in stdout.splitlines():
            cells = line.split()
            if cells and cells[0] == region:
                return cells
        raise AssertionError("no row for %s in:\n%s" % (region, stdout))

    # ---- the full flow over 16 regions --------------------------------------

    def test_full_flow_over_16_regions(self):
        acct = new_account()
        prefix = "AWSLogs/%s/CloudTrail/" % acct
        digests = "AWSLogs/%s/CloudTrail-Digest/" % acct
        dest = dest_bucket(acct)
        self.oracle.create_bucket(dest)
        missing = {"sa-east-1", "ap-northeast-2"}
        empty = {"eu-north-1", "ca-central-1"}
        versioned = "eu-west-1"
        counts = {}
        for i, r in enumerate(REGIONS16):
            if r in missing:
                continue
            n = 0 if r in empty else 150 + 25 * i
            if r == versioned:
                b = src_bucket(r, acct)
                self.oracle.create_bucket(b)
                self.oracle.enable_versioning(b)
                self.run_s3merge("generate", "--dest", "s3://" + b, "--count", str(n), "--log-region", r,
                                 "--account", acct, "--concurrency", "16", check=0)
            else:
                self.seed(acct, r, n)
            counts[r] = n
        vb = src_bucket(versioned, acct)
        keys = sorted(self.oracle.list_all(vb))
        for k in keys[:5]:  # old versions
            self.oracle.put(vb, k, b"an older version of " + k.encode())
            self.oracle.put(vb, k, b"the current version of " + k.encode())
        for k in keys[5:8]:  # delete markers
            self.oracle.delete(vb, k)
        counts[versioned] -= 3
        self.oracle.start_multipart_upload(vb, prefix + "unfinished.json.gz")
        self.oracle.put(src_bucket("us-east-1", acct), digests + "us-east-1/2024/01/01/digest.json.gz", b"digest")
        counts["us-east-1"] += 1
        total = sum(counts.values())
        self.assertGreaterEqual(total, 2000)
        buckets = [src_bucket(r, acct) for r in REGIONS16] + [dest]
        expected = {}
        for r in counts:
            for k, v in self.oracle.list_all(src_bucket(r, acct)).items():
                expected[k] = v
        self.assertEqual(len(expected), total)

        # plan: writes nothing, and says what it would do
        before = self.oracle.snapshot(buckets)
        report = os.path.join(self.tmp.name, "plan-%s.json" % acct)
        p = self.ct("plan", acct, REGIONS16, "--include-digests", "--report", report, "--athena-ddl", check=0)
        self.assertEqual(self.oracle.snapshot(buckets), before)
        self.assertEqual(self.oracle.list_uploads(vb), [prefix + "unfinished.json.gz"])
        for r in missing:
            self.assertEqual(self.row(p.stdout, r)[2:4], ["no", "bucket"])
        for r, n in counts.items():
            cells = self.row(p.stdout, r)
            self.assertEqual(cells[2], "found")
            self.assertEqual(cells[3], "{:,}".format(n), cells)  # OBJECTS
        # Old versions: 5 keys written twice more (2 noncurrent each), 3 deleted
        # keys (their versions become noncurrent) and their 3 delete markers.
        self.assertEqual(self.row(p.stdout, versioned)[-1], "16")
        total_row = self.row(p.stdout, "total")
        self.assertEqual(total_row[1], "{:,}".format(total))
        self.assertIn("nothing was written", p.stdout)
        self.assertIn("drop-sources would then delete 14 buckets", p.stdout)
        self.assertIn("1 unfinished multipart uploads", p.stdout)
        self.assertIn("CREATE EXTERNAL TABLE", p.stdout)
        self.assertIn("projection.timestamp.format", p.stdout)
        self.assertIn("s3://%s/%s" % (dest, prefix), p.stdout)
        with open(report) as f:
            rep = json.load(f)
        self.assertEqual(rep["mode"], "plan")
        self.assertEqual(sum(s["to_copy"] for s in rep["sources"]), total)
        self.assertEqual(rep["totals"]["copied"], 0)

        # move: every object at the destination, the sources' current objects gone
        p = self.ct("move", acct, REGIONS16, "--include-digests", check=0)
        self.assertIn("still to do by hand", p.stdout)
        got = self.oracle.list_all(dest)
        self.assertEqual({k: v[:2] for k, v in got.items()}, {k: v[:2] for k, v in expected.items()})
        for r in counts:
            self.assertEqual(self.oracle.list_all(src_bucket(r, acct)), {}, r)
        self.assertEqual(self.row(p.stdout, "total")[1:3], ["{:,}".format(total), "{:,}".format(total)])

        # verify: complete
        p = self.ct("verify", acct, REGIONS16, "--include-digests", check=0)
        self.assertIn("verify: complete", p.stdout)

        # drop-sources: the versioned bucket goes with its versions, markers and upload
        versions, markers = self.oracle.list_versions(vb)
        self.assertGreater(len(versions), 0)
        self.assertGreater(len(markers), 0)
        p = self.ct("drop-sources", acct, REGIONS16, "--yes", check=0)
        self.assertIn("14 buckets deleted, 0 kept", p.stdout)
        for r in REGIONS16:
            self.assertFalse(self.oracle.bucket_exists(src_bucket(r, acct)), r)
        self.assertEqual(len(self.oracle.list_all(dest)), total)
        for r in missing:
            self.assertIn("no bucket", self.row(p.stdout, r)[2] + " " + self.row(p.stdout, r)[3])

    # ---- drop-sources refuses a bucket whose copy lost an object ------------

    def test_drop_sources_keeps_a_bucket_with_an_object_missing_at_the_destination(self):
        acct = new_account()
        dest = dest_bucket(acct)
        self.oracle.create_bucket(dest)
        regions = ["us-east-1", "eu-central-1"]
        for r in regions:
            self.seed(acct, r, 40)
        self.ct("copy", acct, regions, check=0)
        lost = sorted(self.oracle.list_all(src_bucket("eu-central-1", acct)))[7]
        self.oracle.delete(dest, lost)
        before = self.oracle.list_all(src_bucket("eu-central-1", acct))
        p = self.ct("drop-sources", acct, regions, "--yes", check=1)
        self.assertIn(lost, p.stdout)
        self.assertIn("kept s3://" + src_bucket("eu-central-1", acct), p.stdout)
        self.assertIn("nothing in this bucket was deleted", p.stdout)
        self.assertEqual(self.oracle.list_all(src_bucket("eu-central-1", acct)), before)
        self.assertFalse(self.oracle.bucket_exists(src_bucket("us-east-1", acct)))
        self.assertIn("1 buckets deleted, 1 kept", p.stdout)

    def test_same_size_other_bytes_is_not_verified_and_keeps_the_bucket(self):
        # A log whose destination copy has the same size but other bytes,
        # behind a multipart ETag: neither verify nor drop-sources may call
        # it identical.
        acct = new_account()
        dest = dest_bucket(acct)
        self.oracle.create_bucket(dest)
        b = self.seed(acct, "ap-south-1", 10)
        self.ct("copy", acct, ["ap-south-1"], check=0)
        victim = sorted(self.oracle.list_all(b))[3]
        size = self.oracle.list_all(b)[victim][0]
        upload = self.oracle.start_multipart_upload(dest, victim)
        status, headers, _ = self.oracle.request("PUT", "/%s/%s" % (dest, victim),
                                                 [("partNumber", "1"), ("uploadId", upload)], [], b"z" * size)
        self.assertEqual(status, 200)
        etag = {k.lower(): v for k, v in headers.items()}["etag"]
        done = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                "</CompleteMultipartUpload>" % etag).encode()
        status, _, _ = self.oracle.request("POST", "/%s/%s" % (dest, victim), [("uploadId", upload)], [], done)
        self.assertEqual(status, 200)
        self.assertTrue(self.oracle.list_all(dest)[victim][1].endswith("-1"))
        before = self.oracle.list_all(b)
        p = self.ct("verify", acct, ["ap-south-1"], check=1)
        self.assertIn("INCOMPLETE", p.stdout)
        p = self.ct("drop-sources", acct, ["ap-south-1"], "--yes", check=1)
        self.assertIn("Unverifiable: " + victim, p.stdout)
        self.assertIn("nothing in this bucket was deleted", p.stdout)
        self.assertEqual(self.oracle.list_all(b), before)
        # A move copies it again; then the bucket is provably at the destination.
        self.ct("move", acct, ["ap-south-1"], check=0)
        status, _, body = self.oracle.request("GET", "/%s/%s" % (dest, victim))
        self.assertNotEqual(body, b"z" * size)
        self.ct("drop-sources", acct, ["ap-south-1"], "--yes", check=0)
        self.assertFalse(self.oracle.bucket_exists(b))

    def test_drop_sources_keeps_a_bucket_with_objects_outside_the_prefix(self):
        acct = new_account()
        self.oracle.create_bucket(dest_bucket(acct))
        b = self.seed(acct, "us-west-1", 5)
        digest = "AWSLogs/%s/CloudTrail-Digest/us-west-1/2024/01/01/d.json.gz" % acct
        self.oracle.put(b, digest, b"digest")
        self.ct("move", acct, ["us-west-1"], check=0)  # moves the logs only
        p = self.ct("drop-sources", acct, ["us-west-1"], "--yes", check=1)
        self.assertIn("Missing: " + digest, p.stdout)
        self.assertEqual(list(self.oracle.list_all(b)), [digest])
        self.ct("move", acct, ["us-west-1"], "--include-digests", check=0)
        self.ct("drop-sources", acct, ["us-west-1"], "--yes", check=0)
        self.assertFalse(self.oracle.bucket_exists(b))
        self.assertIn(digest, self.oracle.list_all(dest_bucket(acct)))

    def test_drop_sources_needs_yes_or_a_typed_account(self):
        acct = new_account()
        self.oracle.create_bucket(dest_bucket(acct))
        b = self.seed(acct, "us-west-2", 5)
        p = self.ct("drop-sources", acct, ["us-west-2"], check=2)
        self.assertIn("--yes", p.stderr)
        self.assertEqual(len(self.oracle.list_all(b)), 5)

    def test_drop_sources_asks_for_the_account_id_on_a_terminal(self):
        acct = new_account()
        self.oracle.create_bucket(dest_bucket(acct))
        b = self.seed(acct, "eu-west-2", 6)
        self.ct("copy", acct, ["eu-west-2"], check=0)
        for typed, code in ((acct[::-1], 1), (acct, 0)):
            master, slave = pty.openpty()
            try:
                os.write(master, (typed + "\n").encode())
                p = self.ct("drop-sources", acct, ["eu-west-2"], stdin=slave, check=code)
            finally:
                os.close(master)
                os.close(slave)
            self.assertIn("Type the account id (%s)" % acct, p.stdout)
            if code:
                self.assertIn("not confirmed: nothing was deleted", p.stdout)
                self.assertEqual(len(self.oracle.list_all(b)), 6)
        self.assertFalse(self.oracle.bucket_exists(b))

    def test_drop_sources_reports_object_lock_per_bucket_and_goes_on(self):
        acct = new_account()
        self.oracle.create_bucket(dest_bucket(acct))
        free = self.seed(acct, "us-east-2", 10)
        locked = src_bucket("ap-southeast-1", acct)
        self.oracle.create_bucket(locked, object_lock=True)
        self.run_s3merge("generate", "--dest", "s3://" + locked, "--count", "10", "--log-region", "ap-southeast-1",
                         "--account", acct, "--concurrency", "4", check=0)
        held = sorted(self.oracle.list_all(locked))[3]
        self.oracle.set_legal_hold(locked, held, True)
        regions = ["us-east-2", "ap-southeast-1"]
        self.ct("copy", acct, regions, check=0)
        p = self.ct("drop-sources", acct, regions, "--yes", check=1)
        self.assertIn("kept s3://" + locked, p.stdout)
        self.assertIn("Object Lock", p.stdout)
        self.assertFalse(self.oracle.bucket_exists(free))
        self.assertTrue(self.oracle.bucket_exists(locked))
        self.assertIn(held, self.oracle.list_all(locked))
        self.oracle.set_legal_hold(locked, held, False)
        p = self.ct("drop-sources", acct, regions, "--yes", check=0)
        self.assertFalse(self.oracle.bucket_exists(locked))
        self.assertEqual(len(self.oracle.list_all(dest_bucket(acct))), 20)

    # ---- bad input: clear error, nothing written ---------------------------

    def test_wrong_account_or_template_typo_writes_nothing(self):
        acct = new_account()
        dest = dest_bucket(acct)
        self.oracle.create_bucket(dest)
        regions = ["us-east-1", "us-east-2"]
        for r in regions:
            self.seed(acct, r, 10)
        buckets = [src_bucket(r, acct) for r in regions] + [dest]
        before = self.oracle.snapshot(buckets)
        wrong = acct[:-1] + ("0" if acct[-1] != "0" else "1")
        p = self.ct("move", wrong, regions, check=1)
        self.assertIn("s3://" + dest_bucket(wrong) + " does not exist", p.stderr)
        self.assertIn("--account", p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        p = self.run_s3merge("cloudtrail", "move", "--account", acct, "--regions", ",".join(regions),
                             "--source-bucket-template", "cloudtrail-{regoin}-{account}", check=2)
        self.assertIn("unknown placeholder {regoin}", p.stderr)
        p = self.run_s3merge("cloudtrail", "copy", "--account", acct, "--regions", ",".join(regions),
                             "--source-bucket-template", "trail-{region}-{account}", check=1)
        self.assertIn("no source bucket found for account " + acct, p.stderr)
        p = self.ct("copy", "12345", regions, check=2)
        self.assertIn("12345", p.stderr)
        p = self.ct("copy", acct, ["us-east-1", "mars-west-1x"], check=2)
        self.assertIn("mars-west-1x", p.stderr)
        self.assertEqual(self.oracle.snapshot(buckets), before)

    def test_a_missing_region_bucket_is_skipped_with_exit_0(self):
        acct = new_account()
        dest = dest_bucket(acct)
        self.oracle.create_bucket(dest)
        self.seed(acct, "ap-south-1", 12)
        p = self.ct("copy", acct, ["ap-south-1", "eu-west-3"], check=0)
        self.assertEqual(self.row(p.stdout, "eu-west-3")[2:4], ["no", "bucket"])
        self.assertEqual(self.row(p.stdout, "ap-south-1")[4], "12")  # COPIED
        self.assertEqual(len(self.oracle.list_all(dest)), 12)
        p = self.ct("verify", acct, ["ap-south-1", "eu-west-3"], check=0)
        self.assertIn("verify: complete: all 12", p.stdout)
        self.oracle.delete(dest, sorted(self.oracle.list_all(dest))[0])
        p = self.ct("verify", acct, ["ap-south-1", "eu-west-3"], check=1)
        self.assertIn("INCOMPLETE: 1 missing", p.stdout)

    # ---- discovery through STS and EC2 -------------------------------------

    def test_account_and_regions_come_from_sts_and_ec2(self):
        acct = new_account()
        self.oracle.create_bucket(dest_bucket(acct))
        self.seed(acct, "eu-west-2", 8)
        log = os.path.join(self.tmp.name, "query-%s.log" % acct)
        fake = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_query_api.py"), "--port", "0",
                                 "--account", acct, "--regions", "us-east-1,eu-west-2",
                                 "--opt-in-regions", "me-south-1", "--log", log],
                                stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        try:
            port = int(fake.stdout.readline().strip())
            url = "http://127.0.0.1:%d" % port
            env = {"AWS_ENDPOINT_URL_STS": url, "AWS_ENDPOINT_URL_EC2": url}
            p = self.run_s3merge("cloudtrail", "plan", "--include-opt-in", env=env, check=0)
            self.assertIn("account %s, 3 regions" % acct, p.stdout)
            self.assertEqual(self.row(p.stdout, "eu-west-2")[3], "8")
            self.assertEqual(self.row(p.stdout, "us-east-1")[2:4], ["no", "bucket"])
            self.assertIn("not opted in", " ".join(self.row(p.stdout, "me-south-1")))
            with open(log) as f:
                calls = f.read()
            self.assertIn("GetCallerIdentity sts", calls)
            self.assertIn("DescribeRegions ec2", calls)
            # A wrong secret: STS says SignatureDoesNotMatch and nothing else happens.
            p = self.run_s3merge("cloudtrail", "plan", env=dict(env, AWS_SECRET_ACCESS_KEY="wrong" * 8), check=3)
            self.assertIn("SignatureDoesNotMatch", p.stderr)
            self.assertIn("--account", p.stderr)
        finally:
            fake.terminate()
            fake.wait()
            fake.stdout.close()


def main():
    global S3MERGE
    if len(sys.argv) < 2:
        print("usage: test_cloudtrail.py PATH/TO/s3merge", file=sys.stderr)
        return 2
    S3MERGE = os.path.abspath(sys.argv[1])
    for k in ("S3MERGE_TEST_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not os.environ.get(k):
            print("FAIL: no S3 test server (%s unset): run scripts/run-tests, or `scripts/s3-server start && "
                  "eval \"$(scripts/s3-server env)\"`" % k, file=sys.stderr)
            return 1
        ENV[k] = os.environ[k]
    prog = unittest.main(argv=[sys.argv[0]] + sys.argv[2:], exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
