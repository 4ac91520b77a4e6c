"""Sharded runs against the local RGW: four processes of a copy and of a move
of 20,000 objects in CloudTrail layout plus a flat bucket of 5,000 keys cover
the union disjointly (RGW's access log shows every object copied once), the
merged report equals an unsharded run's totals, and a killed shard re-run
resumes alone.

usage: test_shards.py PATH/TO/s3merge
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from test_telemetry import access_lines, log_offset  # noqa: E402

REGIONS = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"]
PER_REGION = 5000
FLAT = 5000
N = 4
# AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/: a shard per day.
DEPTH = "7"


def shard_of(key, depth=int(DEPTH), n=N):
    """The documented assignment, computed here independently: FNV-1a 64 of
    the key's first `depth` '/' components, else of the whole key."""
    parts = key.split("/")
    text = "/".join(parts[:depth]) + "/" if len(parts) > depth else key
    h = 14695981039346656037
    for c in text.encode():
        h = ((h ^ c) * 1099511628211) % (1 << 64)
    return h % n


class Shards(harness.S3MergeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = os.environ["S3MERGE_TEST_ENDPOINT"]

    def ct_bucket(self, stem):
        b = self.bucket(stem)
        with concurrent.futures.ThreadPoolExecutor(len(REGIONS)) as pool:
            runs = [pool.submit(subprocess.run, [self.s3merge_path, "generate", "--dest", "s3://%s/" % b, "--count",
                                                 str(PER_REGION), "--log-region", r, "--files-per-day", "100",
                                                 "--endpoint-url", self.endpoint], capture_output=True, text=True)
                    for r in REGIONS]
            for f in runs:
                self.assertEqual(f.result().returncode, 0, f.result().stderr)
        return b

    def flat_bucket(self, stem):
        b = self.bucket(stem)
        def put_some(lane):  # one connection (oracle) per thread
            o = harness.oracle()
            for i in range(lane, FLAT, 16):
                o.put(b, "object-%05d" % i, b"%d" % i)
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(put_some, range(16)))
        return b

    def shard_cmd(self, mode, sources, dst, i, *extra):
        cmd = [self.s3merge_path, mode]
        for s in sources:
            cmd += ["--source", "s3://%s/" % s]
        return cmd + ["--dest", "s3://%s/" % dst, "--shard", "%d/%d" % (i, N), "--shard-depth", DEPTH,
                      "--report", os.path.join(self.tmp.name, "%s-%s-%d.json" % (mode, dst, i)), "--no-progress",
                      "--endpoint-url", self.endpoint] + list(extra)

    def run_shards(self, mode, sources, dst, extra_for=None):
        procs = []
        for i in range(N):
            extra = (extra_for or {}).get(i, [])
            procs.append(subprocess.Popen(self.shard_cmd(mode, sources, dst, i, *extra), stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
        return procs

    def reports(self, mode, dst):
        return [os.path.join(self.tmp.name, "%s-%s-%d.json" % (mode, dst, i)) for i in range(N)]

    def test_1_copy_four_shards_each_object_once_merged_equals_unsharded(self):
        ct, flat = self.ct_bucket("shct"), self.flat_bucket("shflat")
        dst = self.bucket("shdst")
        want = {k for k in self.oracle.list_all(ct)} | {k for k in self.oracle.list_all(flat)}
        self.assertEqual(len(want), len(REGIONS) * PER_REGION + FLAT)
        offset = log_offset()
        procs = self.run_shards("copy", [ct, flat], dst)
        for p in procs:
            out, err = p.communicate(timeout=600)
            self.assertEqual(p.returncode, 0, err[-2000:])
        self.assertEqual(set(self.oracle.list_all(dst)), want)
        # The server saw one CopyObject per object: no shard copied another's.
        copies = [t for _, op, t in access_lines(offset, {dst}, timeout=60) if op == "CopyObject"]
        self.assertEqual(len(copies), len(want))
        self.assertEqual(len(set(copies)), len(want))
        reps = [self.report(p) for p in self.reports("copy", dst)]
        copied = [r["totals"]["copied"] for r in reps]
        self.assertEqual(sum(copied), len(want))
        self.assertEqual(copied, [sum(1 for k in want if shard_of(k) == i) for i in range(N)])
        for c in copied:  # spread: ~80 days and 5,000 flat keys over 4 shards
            self.assertGreater(c, len(want) * 0.10, copied)
        self.assertEqual([(r["shard_index"], r["shard_count"]) for r in reps], [(i, N) for i in range(N)])
        # Every shard's job is its own: journals (and locks) by shard.
        self.assertEqual(len({r["job_id"] for r in reps}), N)
        merged = os.path.join(self.tmp.name, "merged.json")
        p = self.s3merge_local("report", "merge", *self.reports("copy", dst), "-o", merged)
        m = self.report(merged)
        self.assertEqual(sum(o["calls"] for o in m["operations"] if o["name"] == "CopyObject"), len(want))
        # An unsharded run of the same copy: the same totals.
        dst2 = self.bucket("shdst2")
        whole = os.path.join(self.tmp.name, "whole.json")
        self.s3merge("copy", "--source", "s3://%s/" % ct, "--source", "s3://%s/" % flat, "--dest", "s3://%s/" % dst2,
                     "--report", whole, "--no-progress", check=0, timeout=600)
        w = self.report(whole)
        self.assertEqual(m["totals"], w["totals"])
        self.assertEqual([(s["source"], s["copied"], s["bytes_copied"]) for s in m["sources"]],
                         [(s["source"], s["copied"], s["bytes_copied"]) for s in w["sources"]])
        # A missing shard is named.
        p = self.s3merge_local("report", "merge", *self.reports("copy", dst)[:3], "-o", merged, check=1)
        self.assertIn("shard 3 of 4 missing", p.stderr)
        # A shard run again finds its part done (skipped), copies nothing.
        p = self.s3merge("copy", "--source", "s3://%s/" % ct, "--source", "s3://%s/" % flat, "--dest",
                         "s3://%s/" % dst, "--shard", "1/4", "--shard-depth", DEPTH, "--no-progress", check=0,
                         timeout=600)
        self.assertIn("copied 0 ", p.stdout)
        self.assertIn("skipped %d" % copied[1], p.stdout)

    def test_2_move_four_shards_one_killed_resumes_alone(self):
        ct, flat = self.ct_bucket("shmvct"), self.flat_bucket("shmvflat")
        dst = self.bucket("shmvdst")
        want = {k for k in self.oracle.list_all(ct)} | {k for k in self.oracle.list_all(flat)}
        journal = os.path.join(self.tmp.name, "shard2.journal")
        # Shard 2 goes slowly (a request cap) and is killed mid-run.
        procs = self.run_shards("move", [ct, flat], dst,
                                {2: ["--max-requests-per-second", "100", "--journal", journal]})
        time.sleep(8)
        procs[2].send_signal(signal.SIGKILL)
        procs[2].communicate(timeout=60)
        for i, p in enumerate(procs):
            if i == 2:
                continue
            out, err = p.communicate(timeout=600)
            self.assertEqual(p.returncode, 0, err[-2000:])
        left = set(self.oracle.list_all(ct)) | set(self.oracle.list_all(flat))
        self.assertTrue(left, "shard 2 had objects left when it was killed")
        # What is left is shard 2's alone: the others moved all of theirs.
        self.assertEqual({shard_of(k) for k in left}, {2})
        moved = [self.report(p)["totals"]["deleted"] for i, p in enumerate(self.reports("move", dst)) if i != 2]
        self.assertEqual(moved, [sum(1 for k in want if shard_of(k) == i) for i in range(N) if i != 2])
        self.assertTrue(os.path.exists(journal))
        p = subprocess.run(self.shard_cmd("move", [ct, flat], dst, 2, "--journal", journal), capture_output=True,
                           text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertIn("resuming from " + journal, p.stderr)
        self.assertEqual(set(self.oracle.list_all(ct)) | set(self.oracle.list_all(flat)), set())
        self.assertEqual(set(self.oracle.list_all(dst)), want)

    def test_3_bad_shards_are_refused(self):
        src, dst = self.bucket("shbad", 2), self.bucket("shbaddst")
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--shard", "4/4", check=2)
        self.assertIn("from 0 to 3", p.stderr)
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--shard", "auto/4", check=2,
                         env={"JOB_COMPLETION_INDEX": "", "AWS_BATCH_JOB_ARRAY_INDEX": ""})
        self.assertIn("JOB_COMPLETION_INDEX", p.stderr)
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--shard", "auto/2", "--no-progress",
                     env={"JOB_COMPLETION_INDEX": "1"}, check=0)
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--shard-depth", "3", check=2)
        self.assertIn("--shard-depth needs --shard", p.stderr)
        self.s3merge("cloudtrail", "drop-sources", "--shard", "0/2", check=2)

    def s3merge_local(self, *args, check=0):
        p = subprocess.run([self.s3merge_path] + list(args), capture_output=True, text=True, timeout=120)
        if p.returncode != check:
            raise AssertionError("%r exited %d\n%s\n%s" % (args, p.returncode, p.stdout, p.stderr))
        return p


if __name__ == "__main__":
    sys.exit(harness.main("test_shards.py"))
