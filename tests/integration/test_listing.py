#!/usr/bin/env python3
"""Listing in parallel against the local S3 server (Ceph RGW): a flat bucket
(no '/') has one listing leaf, so idle listers split the key range being
listed (start-after bisection). Checked with an independent client
(s3oracle.py): every key copied once, moves delete only what is copied,
and a run cut off by a dead server resumes from the journal's key ranges.
A dry run lists a level with a prefix for every lister whole (a month,
not its days).

Usage: test_listing.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import json
import os
import random
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from hold_proxy import HoldProxy  # noqa: E402

# Flat names of several shapes, keys that need encoding, and a few under
# '/' (so the bucket's one node also has sub-prefixes).
EXTRA = ["with space", "plus+sign", "percent%20", "日本語", "é", "~tilde", "dir/a", "dir/b/c", "zz/last"]


class Listing(S3MergeCase):
    def flat_bucket(self, stem, n, seed):
        b = self.bucket(stem)
        rng = random.Random(seed)
        keys = set(EXTRA)
        while len(keys) < n:
            shape = rng.randrange(3)
            if shape == 0:
                keys.add("%08x" % rng.getrandbits(32))
            elif shape == 1:
                keys.add("obj-%06d" % rng.randrange(1000000))
            else:
                keys.add("".join(rng.choice("abcXYZ019-_.") for _ in range(rng.randrange(1, 12))))
        for k in sorted(keys):
            self.oracle.put(b, k, ("object " + k).encode())
        return b, self.oracle.list_all(b)

    def assert_holds(self, bucket, expected):
        got = self.oracle.list_all(bucket)
        self.assertEqual(sorted(got), sorted(expected))
        for k, (size, etag, _) in expected.items():
            self.assertEqual(got[k][:2], (size, etag), k)

    def split_lists(self, proxy, bucket):
        """ListObjectsV2 requests of `bucket` that start after a key: split ranges."""
        n = 0
        for method, path, _ in proxy.requests:
            u = urllib.parse.urlparse(path)
            q = urllib.parse.parse_qs(u.query)
            if method == "GET" and u.path.strip("/") == bucket and "list-type" in q and "start-after" in q:
                n += 1
        return n

    def test_1_flat_bucket_splits_and_copies_every_key_once(self):
        src, expected = self.flat_bucket("flat", 500, 1)
        dst = self.bucket("flatdst")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        rep = os.path.join(self.tmp.name, "flat.json")
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--page-size", "10",
                     "--listers", "16", "--report", rep, "--no-progress", endpoint=proxy.url, check=0)
        proxy.close()
        r = self.report(rep)
        n = len(expected)
        self.assertEqual((r["totals"]["listed"], r["totals"]["copied"], r["totals"]["failed"]), (n, n, 0))
        self.assertGreater(r["listing_splits"], 3)
        # The server was asked for ranges after keys other than the start.
        self.assertGreater(self.split_lists(proxy, src), 3)
        self.assert_holds(dst, expected)
        # Again: every key listed once more, all identical.
        self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--page-size", "10",
                     "--listers", "16", "--report", rep, "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual((r["totals"]["listed"], r["totals"]["skipped"], r["totals"]["copied"]), (n, n, 0))
        self.assertGreater(r["listing_splits"], 0)

    def test_2_move_with_splits_deletes_only_what_is_copied(self):
        src, expected = self.flat_bucket("flatmv", 300, 2)
        dst = self.bucket("flatmvdst")
        rep = os.path.join(self.tmp.name, "move.json")
        self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--page-size", "7",
                     "--listers", "12", "--report", rep, "--no-progress", check=0)
        r = self.report(rep)
        n = len(expected)
        self.assertEqual((r["totals"]["listed"], r["totals"]["copied"], r["totals"]["deleted"]), (n, n, n))
        self.assertGreater(r["listing_splits"], 0)
        self.assert_holds(dst, expected)
        self.assertEqual(self.oracle.list_all(src), {})

    def test_3_dead_server_mid_run_resumes_from_the_ranges(self):
        src, expected = self.flat_bucket("flatres", 400, 3)
        dst = self.bucket("flatresdst")
        journal = os.path.join(self.tmp.name, "flat.journal")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        proxy.after = (180, proxy.kill)  # the server dies mid-run
        args = ["move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--page-size", "10", "--listers", "16",
                "--concurrency", "4", "--journal", journal, "--no-progress"]
        p = self.s3merge(*args, endpoint=proxy.url, check=4, timeout=120)
        self.assertTrue(os.path.exists(journal), p.stderr)
        with open(journal, encoding="utf-8") as f:
            j = json.load(f)
        # The journal names key ranges of the one leaf, not just a watermark.
        self.assertTrue(any(l.get("from") or l.get("to") for l in j["leaves"]), j["leaves"])
        # Nothing lost: what left the source is at the destination.
        at_src, at_dst = self.oracle.list_all(src), self.oracle.list_all(dst)
        for k, (size, etag, _) in expected.items():
            if k not in at_src:
                self.assertEqual(at_dst[k][:2], (size, etag), k)
        moved_before = len(expected) - len(at_src)
        self.assertGreater(moved_before, 0)
        rep = os.path.join(self.tmp.name, "resume.json")
        p = self.s3merge(*args, "--report", rep, check=0)
        self.assertIn("resuming from " + journal, p.stderr)
        r = self.report(rep)
        # What the journal claims is not listed again.
        self.assertLess(r["totals"]["listed"], len(expected))
        self.assert_holds(dst, expected)
        self.assertEqual(self.oracle.list_all(src), {})
        self.assertFalse(os.path.exists(journal), "a finished job leaves no journal")

    def test_4_dry_run_lists_a_wide_level_whole(self):
        # CloudTrail-like keys: 3 regions x 2 months x 4 days x 3 files, and
        # half the keys already at the destination. With --listers 4 the
        # month level (6 prefixes) is wide enough: each month is listed
        # whole (no delimiter), never day by day; every key is counted once.
        src, dst = self.bucket("wide"), self.bucket("widedst")
        keys = []
        for region in ("eu-west-1", "us-east-1", "us-west-2"):
            for month in ("01", "02"):
                for day in ("01", "02", "03", "04"):
                    for n in range(3):
                        keys.append("AWSLogs/1/CloudTrail/%s/2024/%s/%s/f%d.json.gz" % (region, month, day, n))
        for i, k in enumerate(keys):
            self.oracle.put(src, k, ("log " + k).encode())
            if i % 2 == 0:
                self.oracle.put(dst, k, ("log " + k).encode())
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        rep = os.path.join(self.tmp.name, "wide.json")
        self.s3merge("copy", "--dry-run", "--source", "s3://" + src, "--dest", "s3://" + dst, "--listers", "4",
                     "--page-size", "5", "--report", rep, "--no-progress", endpoint=proxy.url, check=0)
        proxy.close()
        r = self.report(rep)
        self.assertEqual(r["totals"]["listed"], len(keys))
        self.assertEqual(r["sources"][0]["missing"], len(keys) // 2)
        months, days = set(), set()
        for method, path, _ in proxy.requests:
            u = urllib.parse.urlparse(path)
            q = urllib.parse.parse_qs(u.query)
            if method != "GET" or u.path.strip("/") != src or "list-type" not in q:
                continue
            prefix = q.get("prefix", [""])[0]
            depth = prefix.count("/")
            if depth == 6 and "delimiter" not in q:
                months.add(prefix)
            if depth >= 6 and "delimiter" in q:
                days.add(prefix)  # a month or day listed level by level
        self.assertEqual(len(months), 6, "each month listed whole")
        self.assertEqual(days, set(), "no month listed by its days")
        self.assertEqual(self.oracle.list_all(dst).keys() - set(keys), set())  # nothing written
        self.assertEqual(len(self.oracle.list_all(dst)), len(keys) // 2)


if __name__ == "__main__":
    sys.exit(main("test_listing.py"))
