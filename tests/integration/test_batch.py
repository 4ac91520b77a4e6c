"""`s3merge batch` against a loopback FAKE of S3 Control (fake_s3control.py,
which validates every field and runs each job's CopyObjects against RGW)
and the real RGW: plan, submit (manifest of only what is missing, awkward
keys), idempotent submit, confirm, wait, report (a failed task by key),
finish-move (sources deleted only for verified copies), objects over the
size limit copied by s3merge itself, a job the service rejects, a key
mapping the service cannot do.

usage: test_batch.py PATH/TO/s3merge
"""
import json
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "111122223333"
ROLE = "arn:aws:iam::111122223333:role/s3merge-batch"
KEYS = ["logs/a b/c,d+e%f.json", "logs/日本/ü.json", "logs/plain/x.json", "logs/fail-by-design/k.json",
        "logs/quote\"s/q.json", "logs/sp ace.json"] + ["logs/bulk/%03d.json" % i for i in range(40)]


class Batch(harness.S3MergeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake_log = os.path.join(cls.tmp.name, "s3control.log")
        cls.fake = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_s3control.py"), "--account", ACCOUNT,
                                     "--s3-endpoint", os.environ["S3MERGE_TEST_ENDPOINT"], "--log", cls.fake_log],
                                    stdout=subprocess.PIPE, text=True)
        cls.control = "http://127.0.0.1:%s" % cls.fake.stdout.readline().strip()

    @classmethod
    def tearDownClass(cls):
        cls.fake.terminate()
        cls.fake.wait()
        super().tearDownClass()

    def batch(self, *args, check=None):
        return self.s3merge("batch", *args, "--account", ACCOUNT, "--s3-control-endpoint-url", self.control,
                            "--no-progress", check=check)

    def test_1_round_trip_submit_wait_report_finish_move(self):
        src, dst, man = self.bucket("bsrc"), self.bucket("bdst"), self.bucket("bman")
        for k in KEYS:
            self.oracle.put(src, k, ("content of " + k).encode())
        self.oracle.put(src, "logs/big.bin", os.urandom(300 * 1024))
        self.oracle.put(src, "logs/already.json", b"same")
        self.oracle.put(dst, "logs/already.json", b"same")  # identical: not in the manifest
        loc = ["--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--max-object-size", "100000"]

        p = self.batch("plan", *loc, check=0)
        self.assertIn("batch: %d objects" % len(KEYS), p.stdout)
        self.assertIn("1 already at the destination", p.stdout)
        self.assertIn("1 over", p.stdout)
        self.assertIn("$", p.stdout)
        self.assertIn("time (estimate): at least 0 s", p.stdout)  # 47 objects at 3,500/s
        self.assertEqual(self.oracle.list_all(man), {})  # plan writes nothing

        sub = loc + ["--manifest-prefix", "s3://%s/manifests/" % man, "--role-arn", ROLE]
        p = self.batch("submit", *sub, check=0)
        jobs = re.findall(r"^job: (\S+)", p.stdout, re.M)
        self.assertEqual(len(jobs), 1, p.stdout)
        job = jobs[0]
        self.assertIn("waiting for confirmation", p.stdout)
        # The object over the limit was copied by s3merge itself.
        self.assertIn("logs/big.bin", self.oracle.list_all(dst))
        # The manifest: exactly what is missing, keys URL-encoded.
        manifests = [k for k in self.oracle.list_all(man) if k.endswith(".csv")]
        self.assertEqual(len(manifests), 1)
        body = self.get(man, manifests[0]).decode()
        lines = body.splitlines()
        self.assertEqual(sorted(urllib.parse.unquote(l.split(",", 1)[1]) for l in lines), sorted(KEYS))
        self.assertTrue(all(l.split(",", 1)[0] == src for l in lines))
        self.assertIn("logs/a%20b/c%2Cd%2Be%25f.json", body)
        # A retried submit finds the same job (same manifest, same token).
        p = self.batch("submit", *sub, check=0)
        self.assertEqual(re.findall(r"^job: (\S+)", p.stdout, re.M), [job])
        p = self.batch("status", "--job-id", job, check=0)
        self.assertIn("Suspended", p.stdout)
        self.assertEqual(len(self.oracle.list_all(dst)), 2)  # nothing copied before confirmation

        self.batch("confirm", "--job-id", job, check=0)
        p = self.batch("wait", "--job-id", job, "--timeout", "120", check=5)  # one task fails by design
        self.assertIn("Complete", p.stdout)
        p = self.batch("report", "--job-id", job, "--json", check=5)
        rep = json.loads(p.stdout)[0]
        self.assertEqual((rep["succeeded"], rep["failed"]), (len(KEYS) - 1, 1))
        self.assertEqual([(f["key"], f["code"], f["http_status"]) for f in rep["failures"]],
                         [("logs/fail-by-design/k.json", "AccessDenied", "403")])
        p = self.batch("report", "--job-id", job, check=5)
        self.assertIn("AccessDenied", p.stdout)
        at_dest = set(self.oracle.list_all(dst))
        self.assertEqual(at_dest, (set(KEYS) - {"logs/fail-by-design/k.json"}) | {"logs/big.bin", "logs/already.json"})
        for k in KEYS[:6]:
            if "fail-by-design" not in k:
                self.assertEqual(self.get(dst, k), ("content of " + k).encode())

        # A source rewritten after the service copied it: its listing no
        # longer matches the destination, so finish-move copies it again and
        # deletes it only once that copy is verified (as move does).
        self.oracle.put(src, "logs/plain/x.json", b"rewritten after the copy")
        p = self.batch("finish-move", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--job-id", job)
        left = set(self.oracle.list_all(src))
        # Deleted: what the service copied, confirmed by the listing. Kept:
        # the failed task and what the service never had (big, already).
        self.assertIn("logs/fail-by-design/k.json", left)
        self.assertIn("logs/big.bin", left)
        self.assertIn("logs/already.json", left)
        for k in KEYS:
            if "fail-by-design" not in k and k != "logs/plain/x.json":
                self.assertNotIn(k, left)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("logs/plain/x.json", left)
        self.assertEqual(self.get(dst, "logs/plain/x.json"), b"rewritten after the copy")
        self.assertIn("copied again", p.stdout)
        self.assertEqual(set(self.oracle.list_all(src)) | set(self.oracle.list_all(dst)),
                         set(KEYS) | {"logs/big.bin", "logs/already.json"})

    def test_3_cloudtrail_batch_moves_the_old_trails_logs(self):
        regions = ["us-east-1", "eu-west-1"]
        template = "ctb%s-{region}-{account}" % self.tag[:5]
        buckets = [template.replace("{region}", r).replace("{account}", ACCOUNT) for r in regions]
        for b, r in zip(buckets, regions):
            self.oracle.create_bucket(b)
            self.s3merge("generate", "--dest", "s3://%s/" % b, "--count", "30", "--account", ACCOUNT,
                         "--log-region", r, check=0)
        dst, man = self.bucket("ctbdst"), self.bucket("ctbman")
        want = set()
        for b in buckets:
            want |= set(self.oracle.list_all(b))
        ct = ["--account", ACCOUNT, "--regions", ",".join(regions), "--source-bucket-template", template,
              "--dest-bucket", dst, "--s3-control-endpoint-url", self.control, "--no-progress"]
        p = self.s3merge("cloudtrail", "batch", "submit", *ct, "--manifest-prefix", "s3://%s/ct/" % man,
                         "--role-arn", ROLE, "--yes", check=0)
        jobs = re.findall(r"^job: (\S+)", p.stdout, re.M)
        self.assertEqual(len(jobs), 1, p.stdout)
        self.batch("wait", "--job-id", jobs[0], "--timeout", "120", check=0)
        self.assertEqual(set(self.oracle.list_all(dst)), want)  # the same keys: CloudTrail's layout
        p = self.s3merge("cloudtrail", "batch", "finish-move", *ct, "--job-id", jobs[0], check=0)
        self.assertIn("%d confirmed at the destination and deleted" % len(want), p.stdout)
        for b in buckets:
            self.assertEqual(self.oracle.list_all(b), {})
        self.s3merge("cloudtrail", "batch", "status", *ct, check=2)  # status is s3merge batch's

    def test_2_refusals_name_the_fix(self):
        src, dst, man = self.bucket("brsrc", 3), self.bucket("brdst"), self.bucket("brman")
        sub = ["--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--manifest-prefix", "s3://%s/m/" % man]
        p = self.batch("submit", *sub, "--role-arn", "arn:aws:iam::111122223333:role/denied-role", check=1)
        self.assertIn("InvalidRequest", p.stderr)
        self.assertIn("Unable to assume role", p.stderr)
        # A mapping that removes the source prefix: refused before anything.
        p = self.batch("submit", "--source", "s3://%s/logs/" % src, "--dest", "s3://%s/other/" % dst,
                       "--manifest-prefix", "s3://%s/m2/" % man, "--role-arn", ROLE, check=2)
        self.assertIn("TargetKeyPrefix", p.stderr)
        self.assertEqual([k for k in self.oracle.list_all(man) if k.startswith("m2/")], [])
        # A prefix it can add: the job writes TargetKeyPrefix/key.
        p = self.batch("submit", "--source", "s3://%s/" % src, "--dest", "s3://%s/archive/" % dst,
                       "--manifest-prefix", "s3://%s/m3/" % man, "--role-arn", ROLE, "--yes", check=0)
        job = re.findall(r"^job: (\S+)", p.stdout, re.M)[0]
        self.batch("wait", "--job-id", job, "--timeout", "120", check=0)
        self.assertEqual(set(self.oracle.list_all(dst)), {"archive/logs/%04d.json" % i for i in range(3)})
        p = self.batch("status", "--job-id", "no-such-job", check=1)
        self.assertIn("NotFoundException", p.stderr)
        self.batch("submit", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, check=2)  # no prefix/role
        self.batch("wait", check=2)  # no job id


if __name__ == "__main__":
    sys.exit(harness.main("test_batch.py"))
