#!/usr/bin/env python3
"""`s3merge cloudtrail` on an account as it really is: sources found from
the account's trails (fake_cloudtrail.py, a fake of the CloudTrail API,
SigV4 checked) and from the content of its buckets on the local S3 server:
arbitrary bucket names, two regions' trails sharing one bucket, a trail
with an S3 key prefix, a deleted trail whose bucket remains, and an
organization all-region trail with a key prefix as the destination.
Checked by an independent listing (s3oracle.py): every log lands where the
organization trail would have written it.

Usage: test_cloudtrail_discovery.py PATH/TO/s3merge   (with `scripts/s3-server env`)
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from fake_cloudtrail import FakeCloudTrail  # noqa: E402

ORG = "o-a1b2c3d4e5"
REGIONS = ["ap-south-1", "ca-central-1", "eu-west-1", "us-east-1", "us-west-2"]


class Discovery(S3MergeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = "%012d" % random.randrange(10**11, 10**12)

    def setUp(self):
        a = self.account
        self.dest = self.bucket("central")
        self.east = self.bucket("team-a-east")
        self.shared = self.bucket("old-shared")
        self.apac = self.bucket("apac")
        self.deleted = self.bucket("gone-trail")
        trails = [
            {"Name": "org-all", "HomeRegion": "us-east-1", "S3BucketName": self.dest, "S3KeyPrefix": "central",
             "IsMultiRegionTrail": True, "IsOrganizationTrail": True},
            {"Name": "east", "HomeRegion": "us-east-1", "S3BucketName": self.east, "IsMultiRegionTrail": False},
            {"Name": "west", "HomeRegion": "us-west-2", "S3BucketName": self.shared, "IsMultiRegionTrail": False},
            {"Name": "eu", "HomeRegion": "eu-west-1", "S3BucketName": self.shared, "IsMultiRegionTrail": False},
            {"Name": "apac", "HomeRegion": "ap-south-1", "S3BucketName": self.apac, "S3KeyPrefix": "legacy",
             "IsMultiRegionTrail": False},
        ]
        self.fake = FakeCloudTrail(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], trails,
                                   account=a).start()
        # The organization trail's own logs (how its organization id is found).
        self.oracle.put(self.dest, "central/AWSLogs/%s/%s/CloudTrail/us-east-1/2025/01/01/%s_CloudTrail_us-east-1_"
                        "20250101T0000Z_neworg.json.gz" % (ORG, a, a), b"{}")
        for bucket, region, count, prefix in [(self.east, "us-east-1", 12, ""), (self.shared, "us-west-2", 9, ""),
                                              (self.shared, "eu-west-1", 7, ""), (self.apac, "ap-south-1", 5, "legacy/"),
                                              (self.deleted, "ca-central-1", 6, "")]:
            self.s3merge("generate", "--dest", "s3://%s/%s" % (bucket, prefix), "--count", str(count), "--account", a,
                         "--log-region", region, "--seed", str(count), check=0)
        # Digests and Insights follow the same mapping (--include-digests, --include-insights).
        for i in range(2):
            self.oracle.put(self.east, "AWSLogs/%s/CloudTrail-Digest/us-east-1/2024/01/0%d/%s_CloudTrail-Digest_"
                            "us-east-1_east_us-east-1_2024010%dT000000Z.json.gz" % (a, i + 1, a, i + 1), b"digest")
        self.oracle.put(self.apac, "legacy/AWSLogs/%s/CloudTrail-Insight/ap-south-1/2024/01/01/%s_CloudTrail-Insight_"
                        "ap-south-1_20240101T0000Z_x.json.gz" % (a, a), b"insight")
        # Not CloudTrail data: the bucket holding it is never dropped.
        self.oracle.put(self.shared, "notes/readme.txt", b"keep me")
        # Another account's logs in the shared bucket: not this account's sources.
        self.oracle.put(self.shared, "AWSLogs/999999999999/CloudTrail/us-west-2/2024/01/01/x.json.gz", b"{}")

    def tearDown(self):
        self.fake.stop()

    def ct(self, sub, *args, check=0):
        env = {"AWS_ENDPOINT_URL_CLOUDTRAIL": self.fake.url}
        return self.s3merge("cloudtrail", sub, "--account", self.account, "--regions", ",".join(REGIONS),
                            "--no-progress", "--include-digests", "--include-insights", *args, check=check, env=env)

    def expected(self):
        """{dest key: (size, etag)} where the organization trail would have put each source log."""
        a, out = self.account, {}
        for bucket, prefix in [(self.east, ""), (self.shared, ""), (self.apac, "legacy/"), (self.deleted, "")]:
            for key, (size, etag, _) in self.oracle.list_all(bucket, prefix + "AWSLogs/%s/" % a).items():
                rest = key[len(prefix + "AWSLogs/%s/" % a):]
                out["central/AWSLogs/%s/%s/%s" % (ORG, a, rest)] = (size, etag)
        return out

    def test_discover_plan_copy_verify_move_drop(self):
        a = self.account
        p = self.ct("discover", "--json")
        d = json.loads(p.stdout)
        self.assertEqual(d["destination"]["bucket"], self.dest)
        self.assertEqual(d["destination"]["key_prefix"], "central")
        self.assertEqual(d["destination"]["organization_id"], ORG)
        self.assertEqual(d["destination"]["trail"], "org-all")
        got = {(s["region"], s["bucket"], s["found_by"], s["trail"], s["mappings"][0]["source_prefix"],
                s["mappings"][0]["dest_prefix"]) for s in d["sources"]}
        dp = "central/AWSLogs/%s/%s/CloudTrail/" % (ORG, a)
        top = "central/AWSLogs/%s/%s/" % (ORG, a)
        self.assertEqual(got, {
            ("ap-south-1", self.apac, "trail", "apac", "legacy/AWSLogs/%s/CloudTrail/ap-south-1/" % a,
             dp + "ap-south-1/"),
            ("ca-central-1", self.deleted, "content", "", "AWSLogs/%s/CloudTrail/ca-central-1/" % a,
             dp + "ca-central-1/"),
            ("eu-west-1", self.shared, "trail", "eu", "AWSLogs/%s/CloudTrail/eu-west-1/" % a, dp + "eu-west-1/"),
            ("us-east-1", self.east, "trail", "east", "AWSLogs/%s/CloudTrail/us-east-1/" % a, dp + "us-east-1/"),
            ("us-west-2", self.shared, "trail", "west", "AWSLogs/%s/CloudTrail/us-west-2/" % a, dp + "us-west-2/"),
        })
        self.assertEqual(sorted(self.fake.calls), REGIONS)  # DescribeTrails once in every region
        self.assertTrue(all(n == 1 for n in self.fake.calls.values()), self.fake.calls)
        self.assertEqual(self.fake.refused, [])
        # The table says the same.
        p = self.ct("discover")
        self.assertIn("all-region trail org-all, organization trail", p.stdout)
        self.assertIn("s3://%s/legacy/AWSLogs/%s/CloudTrail/ap-south-1/" % (self.apac, a), p.stdout)

        # plan: the mapping with a sample key; nothing written.
        before = self.oracle.list_all(self.dest)
        p = self.ct("plan")
        self.assertIn("-> s3://%s/%sap-south-1/2024/01/01/%s_CloudTrail_ap-south-1_" % (self.dest, dp, a), p.stdout)
        self.assertIn("42", p.stdout)  # 12 + 9 + 7 + 5 + 6 logs, 2 digests, 1 insight to copy
        self.assertEqual(self.oracle.list_all(self.dest), before)

        want = self.expected()
        self.assertEqual(len(want), 42)
        self.assertEqual(len([k for k in want if "/CloudTrail-Digest/us-east-1/" in k]), 2)
        self.assertEqual(len([k for k in want if "/CloudTrail-Insight/ap-south-1/" in k]), 1)
        self.ct("copy")
        have = self.oracle.list_all(self.dest, top)
        for key, (size, etag) in want.items():
            self.assertIn(key, have)
            self.assertEqual(have[key][:2], (size, etag), key)
        self.assertEqual(len(have), 43)  # the 42, and the organization trail's own log
        p = self.ct("verify")
        self.assertIn("all 42 source objects are at s3://%s" % self.dest, p.stdout)

        # A log changed at the destination: verify fails naming it.
        victim = sorted(want)[0]
        self.oracle.put(self.dest, victim, b"tampered")
        p = self.ct("verify", check=1)
        self.assertIn("INCOMPLETE", p.stdout)
        self.ct("copy")  # copied again over the changed one
        self.ct("verify")

        # drop-sources: every bucket verified whole against its mapping is
        # deleted; the shared bucket holds other data and is kept.
        p = self.ct("drop-sources", "--yes", check=1)
        for b in (self.east, self.apac, self.deleted):
            self.assertFalse(self.oracle.bucket_exists(b), b)
        self.assertTrue(self.oracle.bucket_exists(self.shared))
        self.assertTrue(self.oracle.bucket_exists(self.dest))
        self.assertIn("kept s3://%s: it holds 2 objects that are not CloudTrail logs of account %s" % (self.shared, a),
                      p.stdout)
        self.assertIn("drop-sources: 3 buckets deleted, 1 kept", p.stdout)
        # The hints and the Athena table follow the organization layout.
        self.assertIn("s3://%s/%s (see --athena-ddl)" % (self.dest, dp), p.stdout)
        p = self.ct("plan", "--athena-ddl")
        self.assertIn("'storage.location.template'='s3://%s/%s${region}/${timestamp}'" % (self.dest, dp), p.stdout)

        # move: what is left (the shared bucket's two regions) goes, and
        # only what is not this account's logs stays.
        p = self.ct("move")
        self.assertEqual(sorted(self.oracle.list_all(self.shared)),
                         ["AWSLogs/999999999999/CloudTrail/us-west-2/2024/01/01/x.json.gz", "notes/readme.txt"])
        have = self.oracle.list_all(self.dest, top)
        self.assertEqual(len(have), 43)
        for key, (size, etag) in want.items():
            self.assertEqual(have[key][:2], (size, etag), key)

    def test_errors_name_the_fix(self):
        # No all-region trail among these trails, and no --dest-bucket.
        self.fake.trails = [t for t in self.fake.trails if not t["IsMultiRegionTrail"]]
        p = self.ct("plan", check=1)
        self.assertIn("has no all-region trail", p.stderr)
        self.assertIn("--dest-bucket", p.stderr)
        # --dest-bucket: the account layout there, no organization.
        p = self.ct("discover", "--json", "--dest-bucket", self.dest)
        d = json.loads(p.stdout)
        self.assertEqual(d["destination"]["prefix"], "AWSLogs/%s/CloudTrail/" % self.account)
        # An explicit --source: only that place.
        p = self.ct("discover", "--json", "--dest-bucket", self.dest, "--source", "s3://" + self.deleted)
        d = json.loads(p.stdout)
        self.assertEqual([(s["region"], s["found_by"]) for s in d["sources"]], [("ca-central-1", "--source")])
        p = self.ct("discover", "--dest-bucket", self.dest, "--source", "not-a-uri", check=2)
        self.assertIn("--source 'not-a-uri'", p.stderr)
        # Wrong keys for CloudTrail: a credentials error, nothing written.
        env = {"AWS_ENDPOINT_URL_CLOUDTRAIL": self.fake.url, "AWS_SECRET_ACCESS_KEY": "wrong" * 8}
        p = self.s3merge("cloudtrail", "plan", "--account", self.account, "--regions", "us-east-1", "--no-progress",
                         env=env)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("DescribeTrails", p.stderr)
        self.assertIn("InvalidSignatureException", p.stderr)


if __name__ == "__main__":
    sys.exit(main("test_cloudtrail_discovery.py"))
