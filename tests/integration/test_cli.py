#!/usr/bin/env python3
"""The s3merge command line against the local S3 server (scripts/s3-server).

Usage: test_cli.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import os
import random
import string
import subprocess
import sys
import tempfile
import unittest

S3MERGE = None
ENV = {}


def rand_bucket(stem):
    return stem + "-" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(10))


def run(*args, env_override=None, check=None, tls=False):
    env = dict(os.environ)
    env.update(env_override or {})
    endpoint = ENV["S3MERGE_TEST_ENDPOINT_HTTPS"] if tls else ENV["S3MERGE_TEST_ENDPOINT"]
    cmd = [S3MERGE] + list(args)
    if "--endpoint-url" not in args:
        cmd += ["--endpoint-url", endpoint]
    if tls and "--ca-bundle" not in args:
        cmd += ["--ca-bundle", ENV["S3MERGE_TEST_CA"]]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if check is not None and p.returncode != check:
        raise AssertionError(f"{cmd!r} exited {p.returncode}, expected {check}\nstdout:{p.stdout}\nstderr:{p.stderr}")
    return p


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        # The tests must not depend on a profile or CA of the machine.
        os.environ.pop("AWS_PROFILE", None)
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(cls.tmp.name, "none-credentials")
        os.environ["AWS_CONFIG_FILE"] = os.path.join(cls.tmp.name, "none-config")
        os.environ.pop("AWS_CA_BUNDLE", None)

    def file_with(self, name, content):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
        return path

    def test_help_for_every_command(self):
        for cmd in ["ls", "cp", "mb", "rb", "put"]:
            p = subprocess.run([S3MERGE, cmd, "--help"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, cmd)
            self.assertTrue(p.stdout.startswith("usage: s3merge " + cmd), p.stdout)
            self.assertIn("--endpoint-url URL", p.stdout)
        p = subprocess.run([S3MERGE, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("exit codes:", p.stdout)
        p = subprocess.run([S3MERGE, "frobnicate"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", p.stderr)

    def test_usage_errors_exit_2(self):
        p = run("ls", "not-an-s3-uri", check=2)
        self.assertIn("not of the form s3://BUCKET", p.stderr)
        p = run("ls", "s3://b", "--bogus", check=2)
        self.assertIn("unknown option '--bogus'", p.stderr)
        p = run("cp", "s3://a/k", check=2)

    def test_mb_put_ls_cp_rb_over_http_and_https(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                src, dst = rand_bucket("clisrc"), rand_bucket("clidst")
                run("mb", f"s3://{src}", check=0, tls=tls)
                run("mb", f"s3://{dst}", check=0, tls=tls)
                keys = ["a b/日本語 ログ.json.gz", "x+y%2Fz=1&2?#~", "plain", "dir//double", "dir/trailing/"]
                for k in keys:
                    path = self.file_with("body", "body of " + k)
                    p = run("put", path, f"s3://{src}/{k}", check=0, tls=tls)
                    self.assertIn("upload: s3://", p.stdout)
                p = run("ls", f"s3://{src}", "--recursive", "--summarize", check=0, tls=tls)
                lines = [l for l in p.stdout.splitlines() if l.strip() and not l.strip().startswith("Total")]
                listed = sorted(l.split(None, 4)[4] for l in lines)
                self.assertEqual(listed, sorted(keys))
                self.assertIn("Total Objects: 5", p.stdout)
                for l in lines:
                    cols = l.split(None, 4)
                    self.assertRegex(cols[0], r"^\d{4}-\d\d-\d\dT")
                    self.assertEqual(int(cols[1]), len(("body of " + cols[4]).encode()))
                    self.assertEqual(cols[2], "STANDARD")
                    self.assertRegex(cols[3], r"^[0-9a-f]{32}$")
                # Non-recursive groups at '/'.
                p = run("ls", f"s3://{src}/", check=0, tls=tls)
                self.assertIn("PRE a b/", p.stdout)
                self.assertIn("PRE dir/", p.stdout)
                self.assertIn(" plain\n", p.stdout)
                # cp each key server-side, then the listing of the copy matches.
                for k in keys:
                    p = run("cp", f"s3://{src}/{k}", f"s3://{dst}/copy/{k}", check=0, tls=tls)
                    self.assertIn("copied s3://", p.stdout)
                a = run("ls", f"s3://{src}", "--recursive", check=0, tls=tls).stdout.splitlines()
                b = run("ls", f"s3://{dst}/copy/", "--recursive", check=0, tls=tls).stdout.splitlines()
                self.assertEqual(
                    sorted((l.split(None, 4)[1], l.split(None, 4)[3], l.split(None, 4)[4]) for l in a),
                    sorted((l.split(None, 4)[1], l.split(None, 4)[3], l.split(None, 4)[4][len("copy/"):]) for l in b))
                # cp into a "directory" destination keeps the last segment.
                run("cp", f"s3://{src}/plain", f"s3://{dst}/", check=0, tls=tls)
                self.assertIn(" plain\n", run("ls", f"s3://{dst}/", check=0, tls=tls).stdout)
                # rb on a non-empty bucket fails with BucketNotEmpty.
                p = run("rb", f"s3://{src}", check=1, tls=tls)
                self.assertIn("BucketNotEmpty", p.stderr)

    def test_ls_streams_many_pages(self):
        b = rand_bucket("clipages")
        run("mb", f"s3://{b}", check=0)
        path = self.file_with("small", "x")
        for i in range(25):
            run("put", path, f"s3://{b}/k{i:03d}", check=0)
        p = run("ls", f"s3://{b}", "--recursive", "--page-size", "4", "--debug", check=0)
        keys = [l.split()[-1] for l in p.stdout.splitlines()]
        self.assertEqual(keys, [f"k{i:03d}" for i in range(25)])
        # 25 keys at 4 per page: 7 ListObjectsV2 requests, each in --debug.
        self.assertEqual(p.stderr.count("--- canonical request (GET"), 7)
        self.assertIn("continuation-token=", p.stderr)

    def test_wrong_secret_is_one_clear_line(self):
        p = run("ls", "s3://anybucket", env_override={"AWS_SECRET_ACCESS_KEY": "not-the-secret-at-all-0000"}, check=3)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("SignatureDoesNotMatch", lines[0])
        self.assertIn("s3://anybucket", lines[0])
        self.assertIn("secret access key", lines[0])
        self.assertNotIn("not-the-secret-at-all-0000", p.stderr)

    def test_unknown_bucket_names_bucket(self):
        p = run("ls", "s3://no-such-bucket-s3merge-test", check=1)
        self.assertIn("NoSuchBucket", p.stderr)
        self.assertIn("s3://no-such-bucket-s3merge-test", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_tls_wrong_host_is_refused_with_hint(self):
        p = run("ls", "s3://anybucket", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT_HTTPS_WRONG"],
                "--ca-bundle", ENV["S3MERGE_TEST_CA"], check=4)
        self.assertIn("certificate verify failed", p.stderr)
        self.assertIn("--ca-bundle", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)
        # AWS_CA_BUNDLE is honoured like --ca-bundle.
        b = rand_bucket("clica")
        p = run("mb", f"s3://{b}", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT_HTTPS"],
                env_override={"AWS_CA_BUNDLE": ENV["S3MERGE_TEST_CA"]}, check=0)
        run("rb", f"s3://{b}", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT_HTTPS"],
            env_override={"AWS_CA_BUNDLE": ENV["S3MERGE_TEST_CA"]}, check=0)
        # Without the test CA, the system store refuses the server.
        p = run("ls", "s3://anybucket", "--endpoint-url", ENV["S3MERGE_TEST_ENDPOINT_HTTPS"], check=4)
        self.assertIn("certificate verify failed", p.stderr)

    def test_debug_never_prints_secrets(self):
        token = "SESSIONTOKEN-should-never-be-printed"
        p = run("ls", "s3://anybucket", "--debug",
                env_override={"AWS_SESSION_TOKEN": token}, check=1)
        self.assertIn("--- canonical request", p.stderr)
        self.assertIn("--- string to sign ---", p.stderr)
        self.assertIn("x-amz-security-token:<redacted>", p.stderr)
        self.assertNotIn(token, p.stderr + p.stdout)
        self.assertNotIn(ENV["AWS_SECRET_ACCESS_KEY"], p.stderr + p.stdout)
        self.assertNotIn("Signature=", p.stderr + p.stdout)

    def test_profile_from_shared_files(self):
        creds = self.file_with("credentials", "[itest]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (
            ENV["AWS_ACCESS_KEY_ID"], ENV["AWS_SECRET_ACCESS_KEY"]))
        cfg = self.file_with("config", "[profile itest]\nregion = eu-west-3\n")
        env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": "",
               "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": cfg}
        b = rand_bucket("cliprof")
        run("mb", f"s3://{b}", "--profile", "itest", env_override=env, check=0)
        p = run("ls", f"s3://{b}", "--profile", "itest", "--debug", env_override=env, check=0)
        self.assertIn("/eu-west-3/s3/aws4_request", p.stderr)  # region from the profile
        run("rb", f"s3://{b}", "--profile", "itest", env_override=env, check=0)
        p = run("ls", f"s3://{b}", "--profile", "nosuchprofile", env_override=env, check=3)
        self.assertIn("nosuchprofile", p.stderr)


def main():
    global S3MERGE, ENV
    if len(sys.argv) < 2:
        print("usage: test_cli.py PATH/TO/s3merge", file=sys.stderr)
        return 2
    S3MERGE = os.path.abspath(sys.argv[1])
    names = ["S3MERGE_TEST_ENDPOINT", "S3MERGE_TEST_ENDPOINT_HTTPS", "S3MERGE_TEST_ENDPOINT_HTTPS_WRONG",
             "S3MERGE_TEST_CA", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        print("FAIL: no S3 test server environment (missing %s): run scripts/run-tests, or "
              "scripts/s3-server start && eval \"$(scripts/s3-server env)\"" % ", ".join(missing), file=sys.stderr)
        return 1
    ENV = {n: os.environ[n] for n in names}
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
