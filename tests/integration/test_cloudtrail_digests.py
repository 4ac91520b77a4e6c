#!/usr/bin/env python3
"""CloudTrail log file integrity validation of the moved logs, on the local
S3 server: logs and signed digest files written by `s3merge generate
--digests-key` (checked here independently: the signing string rebuilt in
Python from CloudTrail's documentation, the signature checked by the
openssl command line), then `cloudtrail verify --digests` and
`drop-sources --require-proof`: an altered log (altered at the source too,
so that size and ETag agree) and a digest removed from the chain are named
exactly and keep their bucket; a proven bucket goes.

Usage: test_cloudtrail_digests.py PATH/TO/s3merge   (with `scripts/s3-server env`)
"""
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from fake_cloudtrail import FakeCloudTrail  # noqa: E402

REGIONS = {"us-east-1": 30, "eu-west-1": 24, "ap-south-1": 10}  # logs per region, two an hour


class Digests(S3MergeCase):
    def setUp(self):
        self.account = "%012d" % random.randrange(10**11, 10**12)
        self.key = os.path.join(self.tmp.name, "key-%s.pem" % self.account)
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True, capture_output=True)
        self.pub_pem = self.key + ".pub"
        subprocess.run(["openssl", "rsa", "-in", self.key, "-pubout", "-out", self.pub_pem], check=True,
                       capture_output=True)
        self.public_keys = os.path.join(self.tmp.name, "public-keys-%s.json" % self.account)
        self.dest = "cloudtrail-all-region-" + self.account
        self.oracle.create_bucket(self.dest)
        for region, n in REGIONS.items():
            b = "cloudtrail-%s-%s" % (region, self.account)
            self.oracle.create_bucket(b)
            self.s3merge("generate", "--dest", "s3://%s/" % b, "--count", str(n), "--files-per-day", "48",
                         "--account", self.account, "--log-region", region, "--digests-key", self.key,
                         "--public-keys-out", self.public_keys, check=0)

    def ct(self, sub, *args, check=None):
        return self.s3merge("cloudtrail", sub, "--account", self.account, "--regions", ",".join(REGIONS),
                            "--source-bucket-template", "cloudtrail-{region}-{account}", "--include-digests",
                            "--no-progress", *args, check=check)

    def digests_of(self, bucket, region):
        prefix = "AWSLogs/%s/CloudTrail-Digest/%s/" % (self.account, region)
        return sorted(self.oracle.list_all(bucket, prefix))

    def test_generated_digests_follow_cloudtrails_documented_format(self):
        # An independent check of what the generator writes (and so of what
        # the proof accepts): the signing string of CloudTrail's
        # documentation, verified by the openssl command line.
        b = "cloudtrail-eu-west-1-" + self.account
        keys = self.digests_of(b, "eu-west-1")
        self.assertEqual(len(keys), 12)
        prev_sig = None
        for key in keys:
            status, headers, body = self.oracle.request("GET", "/%s/%s" % (b, key))
            self.assertEqual(status, 200)
            sig_hex = dict((k.lower(), v) for k, v in headers.items())["x-amz-meta-signature"]
            raw = gzip.decompress(body)
            d = json.loads(raw)
            self.assertEqual(d["previousDigestSignature"], prev_sig)
            to_sign = "%s\n%s/%s\n%s\n%s" % (d["digestEndTime"], d["digestS3Bucket"], d["digestS3Object"],
                                             hashlib.sha256(raw).hexdigest(),
                                             "null" if d["previousDigestSignature"] is None
                                             else d["previousDigestSignature"])
            msg, sig = os.path.join(self.tmp.name, "msg"), os.path.join(self.tmp.name, "sig")
            with open(msg, "wb") as f:
                f.write(to_sign.encode())
            with open(sig, "wb") as f:
                f.write(bytes.fromhex(sig_hex))
            p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", self.pub_pem, "-signature", sig, msg],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            for lf in d["logFiles"]:
                st, _, log = self.oracle.request("GET", "/%s/%s" % (lf["s3Bucket"], lf["s3Object"]))
                self.assertEqual(st, 200)
                self.assertEqual(hashlib.sha256(gzip.decompress(log)).hexdigest(), lf["hashValue"])
            prev_sig = sig_hex

    def test_verify_digests_and_require_proof(self):
        a = self.account
        self.ct("copy", check=0)
        p = self.ct("verify", "--digests", "--public-keys", self.public_keys, check=0)
        self.assertIn("every log file a digest names (64)", p.stdout)

        # A copy altered at the destination only: named, exit 1.
        east = "cloudtrail-us-east-1-" + a
        logs = sorted(self.oracle.list_all(self.dest, "AWSLogs/%s/CloudTrail/us-east-1/" % a))
        victim = logs[3]
        self.oracle.put(self.dest, victim, gzip.compress(b'{"Records":[{"eventID":"forged"}]}'))
        p = self.ct("verify", "--digests", "--public-keys", self.public_keys, check=1)
        self.assertIn("altered: s3://%s/%s" % (self.dest, victim), p.stdout)

        # The same alteration at the source: size and ETag agree, only the
        # digest sees it. And a digest removed from the eu-west-1 chain
        # (source and destination alike).
        status, _, forged = self.oracle.request("GET", "/%s/%s" % (self.dest, victim))
        self.oracle.put(east, victim, forged)
        west = "cloudtrail-eu-west-1-" + a
        gone = self.digests_of(west, "eu-west-1")[5]
        after = self.digests_of(west, "eu-west-1")[6]
        self.oracle.delete(west, gone)
        self.oracle.delete(self.dest, gone)
        p = self.ct("verify", "--digests", "--public-keys", self.public_keys, check=1)
        # 64 logs and 32 digests, less the one removed: the bytes agree.
        self.assertIn("all 95 source objects are at s3://%s" % self.dest, p.stdout)
        self.assertIn("altered: s3://%s/%s" % (self.dest, victim), p.stdout)
        self.assertIn("digest %s: its previous digest s3://%s/%s is missing" % (after, west, gone), p.stdout)
        self.assertIn("NOT PROVEN in 2 regions", p.stdout)
        # The two logs the removed digest named are now logs without a digest.
        west_row = [l for l in p.stdout.splitlines() if l.startswith("eu-west-1") and "DIGESTS" not in l][-1].split()
        self.assertEqual(west_row[2:], ["11", "22", "0", "0", "0", "2", "0", "1", "0"])

        # drop-sources --require-proof: only the proven bucket goes.
        p = self.ct("drop-sources", "--yes", "--require-proof", "--public-keys", self.public_keys, check=1)
        self.assertFalse(self.oracle.bucket_exists("cloudtrail-ap-south-1-" + a))
        self.assertTrue(self.oracle.bucket_exists(east))
        self.assertTrue(self.oracle.bucket_exists(west))
        self.assertIn("kept s3://%s: --require-proof" % east, p.stdout)
        self.assertIn("kept s3://%s: --require-proof" % west, p.stdout)

    def test_before_a_copy_the_originals_are_proven_where_cloudtrail_delivered_them(self):
        p = self.ct("verify", "--digests", "--public-keys", self.public_keys, check=1)
        self.assertIn("64 log files are not at the destination yet, but intact at their source", p.stdout)
        east = [l for l in p.stdout.splitlines() if l.startswith("us-east-1") and "cloudtrail-" in l][-1].split()
        self.assertEqual(east[2:], ["15", "0", "0", "0", "30", "0", "0", "0", "0"])

    def test_a_move_with_digests_then_proof_at_the_destination(self):
        rep = os.path.join(self.tmp.name, "move-%s.json" % self.account)
        p = self.ct("move", "--report", rep, "--digests", "--public-keys", self.public_keys, check=0)
        self.assertIn("every log file a digest names (64)", p.stdout)  # proven right after the move
        self.assertEqual(self.report(rep)["totals"]["deleted"], 96)  # 64 logs and 32 digests
        for region in REGIONS:
            self.assertEqual(self.oracle.list_all("cloudtrail-%s-%s" % (region, self.account)), {})
        # The digests name the old buckets; the proof follows the mapping to the copies.
        p = self.ct("verify", "--digests", "--public-keys", self.public_keys, check=0)
        self.assertIn("every log file a digest names (64)", p.stdout)

    def test_public_keys_from_cloudtrail_list_public_keys(self):
        # No --public-keys: CloudTrail's ListPublicKeys (a fake, SigV4
        # checked), which pages; a decoy key first.
        self.ct("copy", check=0)
        with open(self.public_keys) as f:
            key = json.load(f)["PublicKeyList"][0]
        epoch = {"Value": key["Value"], "ValidityStartTime": 1356998400, "ValidityEndTime": 4102444800,
                 "Fingerprint": key["Fingerprint"]}
        decoy = dict(epoch, Fingerprint="f" * 32)
        fake = FakeCloudTrail(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], [],
                              account=self.account, public_keys=[decoy, epoch]).start()
        try:
            p = self.s3merge("cloudtrail", "verify", "--account", self.account, "--regions", ",".join(REGIONS),
                             "--source-bucket-template", "cloudtrail-{region}-{account}", "--no-progress",
                             "--digests", env={"AWS_ENDPOINT_URL_CLOUDTRAIL": fake.url}, check=0)
        finally:
            fake.stop()
        self.assertIn("every log file a digest names (64)", p.stdout)
        self.assertEqual(sorted(fake.key_calls), sorted(REGIONS))
        self.assertTrue(all(n == 2 for n in fake.key_calls.values()), fake.key_calls)  # two pages each
        self.assertEqual(fake.refused, [])

    def test_a_wrong_public_key_proves_nothing(self):
        self.ct("copy", check=0)
        other = os.path.join(self.tmp.name, "other.json")
        with open(self.public_keys) as f:
            doc = json.load(f)
        doc["PublicKeyList"][0]["Fingerprint"] = "0" * 32
        with open(other, "w") as f:
            json.dump(doc, f)
        p = self.ct("verify", "--digests", "--public-keys", other, check=1)
        self.assertIn("no CloudTrail public key with fingerprint", p.stdout)
        p = self.ct("verify", "--digests", "--public-keys", "/nonexistent", check=2)
        self.assertIn("--public-keys /nonexistent", p.stderr)


if __name__ == "__main__":
    sys.exit(main("test_cloudtrail_digests.py"))
