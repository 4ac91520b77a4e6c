#!/usr/bin/env python3
"""Overlap de-duplication on the local S3 server: while the regional trail
and the all-region trail both ran, the same events were delivered twice
under other file names. Here: 5 days of regional logs (4 files a day, 10
events each); on 3 of those days the destination also holds the all-region
trail's files carrying all events of two files a day and half of a third's.
Counted against that ground truth: plan shows the window and the counts and
writes nothing; a move with --dedup keep leaves out (and deletes) the fully
duplicated files and copies the partial ones as they are; a copy with
--dedup filter writes the partial ones without their duplicate events, so
that no eventID is at the destination twice. Through a recording proxy:
no source file outside the window is ever read.

Usage: test_cloudtrail_dedup.py PATH/TO/s3merge   (with `scripts/s3-server env`)
"""
import collections
import gzip
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from hold_proxy import HoldProxy  # noqa: E402

WINDOW = ["2024/01/02", "2024/01/03", "2024/01/04"]


class Dedup(S3MergeCase):
    def setUp(self):
        a = self.account = "%012d" % random.randrange(10**11, 10**12)
        self.src = "cloudtrail-us-east-1-" + a
        self.dest = "cloudtrail-all-region-" + a
        self.oracle.create_bucket(self.src)
        self.oracle.create_bucket(self.dest)
        self.s3merge("generate", "--dest", "s3://%s/" % self.src, "--count", "20", "--files-per-day", "4",
                     "--records-per-file", "10", "--account", a, check=0)
        self.prefix = "AWSLogs/%s/CloudTrail/us-east-1/" % a
        self.source_events = {}  # key -> [records]
        for key in sorted(self.oracle.list_all(self.src, self.prefix)):
            _, _, body = self.oracle.request("GET", "/%s/%s" % (self.src, key))
            self.source_events[key] = json.loads(gzip.decompress(body))["Records"]
        self.assertEqual(len(self.source_events), 20)
        # The all-region trail's files: per window day, one holding every event
        # of the day's first two files and half of the third's.
        self.full, self.partial = [], []
        for day in WINDOW:
            files = sorted(k for k in self.source_events if k[len(self.prefix):].startswith(day))
            self.assertEqual(len(files), 4)
            records = self.source_events[files[0]] + self.source_events[files[1]] + self.source_events[files[2]][:5]
            self.full += files[:2]
            self.partial.append(files[2])
            key = "%s%s/%s_CloudTrail_us-east-1_%sT2359Z_allregion.json.gz" % (self.prefix, day, a,
                                                                                  day.replace("/", ""))
            self.oracle.put(self.dest, key, gzip.compress(json.dumps({"Records": records}).encode()))
        # A day the regional trail never had: outside the window.
        self.oracle.put(self.dest, "%s2024/01/09/%s_CloudTrail_us-east-1_20240109T0000Z_x.json.gz" % (self.prefix, a),
                        gzip.compress(b'{"Records":[{"eventID":"later"}]}'))
        self.proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])

    def tearDown(self):
        self.proxy.close()

    def ct(self, sub, *args, check=0):
        return self.s3merge("cloudtrail", sub, "--account", self.account, "--regions", "us-east-1",
                            "--source-bucket-template", "cloudtrail-{region}-{account}", "--no-progress", *args,
                            check=check, endpoint=self.proxy.url)

    def dest_event_counts(self):
        counts = collections.Counter()
        for key in self.oracle.list_all(self.dest, self.prefix):
            _, _, body = self.oracle.request("GET", "/%s/%s" % (self.dest, key))
            counts.update(r["eventID"] for r in json.loads(gzip.decompress(body))["Records"])
        return counts

    def source_gets(self):
        return [p for m, p, _ in self.proxy.requests if m == "GET" and p.startswith("/%s/AWSLogs" % self.src)]

    def assert_window_only(self):
        for path in self.source_gets():
            self.assertTrue(any("/%s/" % d in path for d in WINDOW), "read outside the window: " + path)

    def test_plan_then_move_with_keep(self):
        before = self.oracle.list_all(self.dest)
        p = self.ct("plan")
        self.assertEqual(self.oracle.list_all(self.dest), before)  # nothing written
        row = [l for l in p.stdout.splitlines() if l.startswith("us-east-1") and "2024/01/02 .. 2024/01/04" in l]
        self.assertEqual(len(row), 1, p.stdout)
        cells = row[0].split()
        # REGION BUCKET 2024/01/02 .. 2024/01/04 (3) FILES-READ DUP PARTIAL AS-IS DUP-EVENTS EVENTS
        self.assertEqual(cells[6:], ["15", "6", "3", "3", "75", "120"])
        self.assert_window_only()

        self.proxy.requests.clear()
        rep = os.path.join(self.tmp.name, "move-%s.json" % self.account)
        p = self.ct("move", "--report", rep)
        r = self.report(rep)
        self.assertEqual(r["dedup"], "keep")
        self.assertEqual(len(r["overlap"]), 1)
        o = r["overlap"][0]
        self.assertEqual(o["days"], WINDOW)
        self.assertEqual((o["duplicate_files"], o["partial_files"], o["duplicate_events"], o["deleted"]), (6, 3, 75, 6))
        self.assertEqual(r["totals"]["copied"], 14)  # 20 less the 6 duplicates
        # Per operation: the calls the copy made and their latencies.
        ops = {o["name"]: o for o in r["operations"]}
        self.assertEqual(ops["CopyObject"]["calls"], 14)
        self.assertEqual(ops["CopyObject"]["errors"], 0)
        lat = ops["CopyObject"]["latency_us"]
        self.assertTrue(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99.9"] <= lat["max"], lat)
        self.assertGreaterEqual(ops["ListObjectsV2"]["calls"], 2)  # the source and the destination
        self.assert_window_only()
        self.assertEqual(self.oracle.list_all(self.src), {})  # every source log gone: moved or confirmed duplicate
        have = set(self.oracle.list_all(self.dest, self.prefix))
        for k in self.full:
            self.assertNotIn(k, have)  # left out: its events were there
        for k in self.partial:
            self.assertIn(k, have)     # copied as is
        counts = self.dest_event_counts()
        everything = {r["eventID"] for rs in self.source_events.values() for r in rs}
        self.assertTrue(everything <= set(counts))  # no event lost
        self.assertEqual(sum(1 for c in counts.values() if c > 1), 15)  # the partial files' halves, kept (keep)
        self.assertIn("DELETED", p.stdout)

    def test_a_truncated_log_in_the_window_is_copied_as_is_never_counted_or_deleted(self):
        key = "%s2024/01/03/%s_CloudTrail_us-east-1_20240103T2300Z_truncated.json.gz" % (self.prefix, self.account)
        whole = gzip.compress(json.dumps({"Records": self.source_events[self.full[2]]}).encode())
        self.oracle.put(self.src, key, whole[: len(whole) // 2])
        p = self.ct("move")
        self.assertIn("not a gzip file, or a corrupt one (copied as is)", p.stdout)
        self.assertIn(key, p.stdout)
        # Moved like any object: the same bytes at the destination.
        self.assertEqual(self.get(self.dest, key), whole[: len(whole) // 2])

    def test_copy_with_filter(self):
        p = self.ct("copy", "--dedup", "filter")
        self.assert_window_only()
        have = set(self.oracle.list_all(self.dest, self.prefix))
        for k in self.full + self.partial:
            self.assertNotIn(k, have)
        for k in self.partial:
            filtered = k[:-len(".json.gz")] + "_dedup.json.gz"
            self.assertIn(filtered, have)
            _, _, body = self.oracle.request("GET", "/%s/%s" % (self.dest, filtered))
            self.assertEqual(json.loads(gzip.decompress(body))["Records"], self.source_events[k][5:])
        counts = self.dest_event_counts()
        self.assertEqual([e for e, c in counts.items() if c > 1], [])  # no event twice
        everything = {r["eventID"] for rs in self.source_events.values() for r in rs}
        self.assertTrue(everything <= set(counts))
        self.assertEqual(len(self.oracle.list_all(self.src)), 20)  # a copy deletes nothing
        self.assertIn("FILTERED", p.stdout)
        # Run again: nothing more to do, nothing changes.
        before = self.oracle.list_all(self.dest)
        self.ct("copy", "--dedup", "filter")
        self.assertEqual(self.oracle.list_all(self.dest).keys(), before.keys())

    def test_off_copies_everything(self):
        self.ct("copy", "--dedup", "off")
        self.assertEqual(self.source_gets(), [])
        have = set(self.oracle.list_all(self.dest, self.prefix))
        self.assertTrue(set(self.source_events) <= have)
        p = self.ct("copy", "--dedup", "maybe", check=2)
        self.assertIn("--dedup must be keep, filter or off", p.stderr)


class GeneratedOverlap(S3MergeCase):
    """The generator's own overlap (generate --overlap-into): s3merge's
    counts equal the ground truth it prints."""

    def test_counts_equal_the_generators_ground_truth(self):
        a = "%012d" % random.randrange(10**11, 10**12)
        src, dest = "cloudtrail-us-west-2-" + a, "cloudtrail-all-region-" + a
        self.oracle.create_bucket(src)
        self.oracle.create_bucket(dest)
        p = self.s3merge("generate", "--dest", "s3://%s/" % src, "--count", "24", "--files-per-day", "6",
                         "--records-per-file", "8", "--account", a, "--log-region", "us-west-2",
                         "--overlap-into", "s3://%s/" % dest, "--overlap-days", ",".join(WINDOW), check=0)
        m = re.search(r"overlap: 3 all-region files .*: (\d+) regional files fully duplicated, (\d+) partially, "
                      r"(\d+) duplicate events", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        full, partial, events = map(int, m.groups())
        self.assertEqual((full, partial, events), (9, 9, 9 * 8 + 9 * 4))
        args = ("--account", a, "--regions", "us-west-2", "--source-bucket-template", "cloudtrail-{region}-{account}",
                "--no-progress")
        p = self.s3merge("cloudtrail", "plan", *args, check=0)
        row = [l for l in p.stdout.splitlines() if l.startswith("us-west-2") and "2024/01/02 .. 2024/01/04" in l]
        self.assertEqual(len(row), 1, p.stdout)
        cells = row[0].split()
        self.assertEqual((int(cells[7]), int(cells[8]), int(cells[10])), (full, partial, events))
        rep = os.path.join(self.tmp.name, "gen-%s.json" % a)
        self.s3merge("cloudtrail", "move", *args, "--dedup", "filter", "--report", rep, check=0)
        o = self.report(rep)["overlap"][0]
        self.assertEqual((o["duplicate_files"], o["partial_files"], o["filtered_files"], o["duplicate_events"],
                          o["deleted"]), (full, partial, partial, events, full + partial))
        self.assertEqual(self.oracle.list_all(src), {})
        counts = collections.Counter()
        for key in self.oracle.list_all(dest, "AWSLogs/"):
            _, _, body = self.oracle.request("GET", "/%s/%s" % (dest, key))
            counts.update(r["eventID"] for r in json.loads(gzip.decompress(body))["Records"])
        self.assertEqual(sum(counts.values()), 24 * 8)  # every event once
        self.assertEqual(max(counts.values()), 1)


if __name__ == "__main__":
    sys.exit(main("test_cloudtrail_dedup.py"))
