#!/usr/bin/env python3
"""Credentials beyond static keys, against the local S3 server's own STS
(Ceph RGW: AssumeRole, session tokens that radosgw itself verifies, role
policies it enforces). The roles come from scripts/s3-server:
s3merge-reader (assumable by the test user; buckets sts-ok* only) and
s3merge-chained (assumable from s3merge-reader; the same buckets).

Usage: test_credentials.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402


class Roles(S3MergeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = os.environ
        cls.config = os.path.join(cls.tmp.name, "config")
        with open(cls.config, "w") as f:
            f.write("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]))
            f.write("[profile reader]\nrole_arn = %s\nsource_profile = base\n" % env["S3MERGE_TEST_ROLE"])
            f.write("[profile chained]\nrole_arn = %s\nsource_profile = reader\n" % env["S3MERGE_TEST_ROLE_CHAINED"])
            f.write("[profile short]\nrole_arn = %s\nsource_profile = base\nduration_seconds = 15\n"
                    "role_session_name = renewal-test\n" % env["S3MERGE_TEST_ROLE"])
            f.write("[profile nobody]\nrole_arn = arn:aws:iam:::role/s3merge-missing\nsource_profile = base\n")
            f.write("[profile loop-a]\nrole_arn = %s\nsource_profile = loop-b\n" % env["S3MERGE_TEST_ROLE"])
            f.write("[profile loop-b]\nrole_arn = %s\nsource_profile = loop-a\n" % env["S3MERGE_TEST_ROLE"])

    def as_profile(self, profile, *args, check=None, timeout=300):
        # No keys in the environment: only the profile's chain.
        env = {"AWS_CONFIG_FILE": self.config, "AWS_ENDPOINT_URL_STS": os.environ["S3MERGE_TEST_ENDPOINT"],
               "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
        return self.s3merge(*args, "--profile", profile, check=check, env=env, timeout=timeout)

    def no_secret(self, *texts):
        for t in texts:
            self.assertNotIn(os.environ["AWS_SECRET_ACCESS_KEY"], t)
            self.assertNotIn("X-Amz-Security-Token", t)

    def test_copy_through_a_role(self):
        src, dst = self.bucket("sts-ok-src", 20), self.bucket("sts-ok-dst")
        rep = os.path.join(self.tmp.name, "role.json")
        p = self.as_profile("reader", "copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep,
                            "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual(r["totals"]["copied"], 20)
        self.assertIn(os.environ["S3MERGE_TEST_ROLE"], r["credentials"])
        self.assertIn("profile base", r["credentials"])
        self.assertEqual(len(self.oracle.list_all(dst)), 20)
        with open(rep) as f:
            self.no_secret(f.read(), p.stdout, p.stderr)

    def test_a_bucket_outside_the_role_policy_is_denied_for_that_source_only(self):
        ok, denied, dst = self.bucket("sts-ok-a", 3), self.bucket("other", 3), self.bucket("sts-ok-d")
        rep = os.path.join(self.tmp.name, "denied.json")
        p = self.as_profile("reader", "copy", "--source", "s3://" + ok, "--source", "s3://" + denied, "--dest",
                            "s3://" + dst, "--report", rep, "--no-progress")
        # Found before any copy (HeadBucket: a bare 403), naming that bucket only.
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("403", p.stderr)
        self.assertIn(denied, p.stderr)
        self.assertNotIn(ok, p.stderr)
        self.assertEqual(self.oracle.list_all(dst), {})
        # The policy is the server's: the same copy with the user's own keys works.
        self.s3merge("copy", "--source", "s3://" + ok, "--source", "s3://" + denied, "--dest", "s3://" + dst,
                     "--no-progress", check=0)

    def test_a_chain_of_two_roles(self):
        src, dst = self.bucket("sts-ok-csrc", 5), self.bucket("sts-ok-cdst")
        rep = os.path.join(self.tmp.name, "chain.json")
        self.as_profile("chained", "copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep,
                        "--no-progress", check=0)
        r = self.report(rep)
        self.assertEqual(r["totals"]["copied"], 5)
        self.assertIn(os.environ["S3MERGE_TEST_ROLE_CHAINED"], r["credentials"])

    def test_a_role_that_does_not_exist_is_a_credentials_error(self):
        b = self.bucket("sts-ok-none", 1)
        p = self.as_profile("nobody", "ls", "s3://" + b, check=3)
        self.assertIn("arn:aws:iam:::role/s3merge-missing", p.stderr)
        self.assertIn("NoSuchEntity", p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)

    def test_a_source_profile_loop_is_refused_before_any_request(self):
        p = self.as_profile("loop-a", "ls", "s3://sts-ok-anything", check=3)
        self.assertIn("loop-a -> loop-b -> loop-a", p.stderr)

    def test_sessions_are_renewed_during_a_long_run(self):
        # Sessions of 15 s (radosgw's minimum is set to 15 s by the server
        # script): renewed halfway, so a run of 20 s or more needs at least
        # two renewals; the keys are never found expired. One copy at a time
        # through a role session takes ~40 ms on radosgw here.
        n = 700
        src, dst = self.bucket("sts-ok-long"), self.bucket("sts-ok-longd")
        self.s3merge("generate", "--dest", "s3://" + src, "--count", str(n), check=0, timeout=600)
        rep = os.path.join(self.tmp.name, "renew.json")
        started = time.monotonic()
        p = self.as_profile("short", "copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep,
                            "--concurrency", "1", "--no-progress", check=0, timeout=900)
        elapsed = time.monotonic() - started
        r = self.report(rep)
        self.assertEqual(r["totals"]["copied"], n)
        self.assertEqual(r["totals"]["failed"], 0)
        expected = int(elapsed // 7.5) - 1
        print("renewal run: %.1f s, %d renewals" % (elapsed, r["credential_renewals"]), file=sys.stderr)
        self.assertGreaterEqual(elapsed, 20.0, "the run was too short to need two renewals")
        self.assertGreaterEqual(r["credential_renewals"], max(2, expected))
        self.assertEqual(len(self.oracle.list_all(dst)), n)
        self.no_secret(p.stdout, p.stderr)


if __name__ == "__main__":
    sys.exit(main("test_credentials.py"))
