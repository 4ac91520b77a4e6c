#!/usr/bin/env python3
"""Credentials beyond static keys, against the local S3 server's own STS
(Ceph RGW: AssumeRole, session tokens that radosgw itself verifies, role
policies it enforces). The roles come from scripts/s3-server:
s3merge-reader (assumable by the test user; buckets sts-ok* only) and
s3merge-chained (assumable from s3merge-reader; the same buckets).

Usage: test_credentials.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import json
import os
import pty
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from fake_credentials import FakeCredentials  # noqa: E402
from expiring_sts_proxy import ExpiringStsProxy  # noqa: E402


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

    def test_mfa_without_a_terminal_is_a_clear_error(self):
        cfg = os.path.join(self.tmp.name, "mfa.config")
        with open(self.config) as f, open(cfg, "w") as g:
            g.write(f.read() + "[profile mfa]\nrole_arn = %s\nsource_profile = base\nmfa_serial = "
                    "arn:aws:iam::123456789012:mfa/me\n" % os.environ["S3MERGE_TEST_ROLE"])
        env = dict(os.environ, AWS_CONFIG_FILE=cfg, AWS_ENDPOINT_URL_STS=os.environ["S3MERGE_TEST_ENDPOINT"],
                   AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
        # A new session: no controlling terminal to ask on.
        p = subprocess.run([self.s3merge_path, "ls", "s3://sts-ok-x", "--profile", "mfa", "--endpoint-url",
                            os.environ["S3MERGE_TEST_ENDPOINT"]], capture_output=True, text=True, env=env,
                           start_new_session=True, stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("needs an MFA code for arn:aws:iam::123456789012:mfa/me", p.stderr)
        self.assertIn("no terminal", p.stderr)

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


class Sources(S3MergeCase):
    """Every other source of the chain: credential_process (a real process),
    and, through fake_credentials.py (a fake of the endpoints with no local
    server, handing out real session credentials of the S3 server's STS),
    instance metadata, the container endpoint, IAM Identity Center and web
    identity. Each run copies between buckets the session's role may use."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        e = os.environ
        cls.fake = FakeCredentials(e["S3MERGE_TEST_ENDPOINT"], e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"],
                                   e["S3MERGE_TEST_ROLE"]).start()
        cls.home = os.path.join(cls.tmp.name, "home")
        os.makedirs(os.path.join(cls.home, ".aws", "sso", "cache"))

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        super().tearDownClass()

    def run_with(self, env, config="", check=0, name="src"):
        src, dst = self.bucket("sts-ok-" + name, 3), self.bucket("sts-ok-" + name + "d")
        cfg = os.path.join(self.tmp.name, name + ".config")
        with open(cfg, "w") as f:
            f.write(config)
        full = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": cfg, "HOME": self.home,
                "AWS_EC2_METADATA_DISABLED": "true"}
        full.update(env)
        rep = os.path.join(self.tmp.name, name + ".json")
        # --debug prints every canonical request: still no secret, token or signature.
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep,
                         "--no-progress", "--debug", check=check, env=full)
        written = p.stdout + p.stderr
        if os.path.exists(rep):
            with open(rep) as f:
                written += f.read()
        for secret in [os.environ["AWS_SECRET_ACCESS_KEY"], self.fake.container_token, self.fake.sso_token,
                       self.fake.web_token] + self.fake.handed:
            self.assertNotIn(secret, written)
        self.assertNotIn("Signature=", written)
        if check == 0:
            r = self.report(rep)
            self.assertEqual(r["totals"]["copied"], 3)
            return p, r
        return p, None

    def test_instance_metadata_v2(self):
        before = dict(self.fake.calls)
        p, r = self.run_with({"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.fake.url},
                             name="imds")
        self.assertIn("EC2 instance metadata", r["credentials"])
        self.assertGreater(self.fake.calls.get("imds-credentials", 0), before.get("imds-credentials", 0))
        self.assertEqual(self.fake.calls.get("imds-v1-refused", 0), 0)
        self.assertEqual(self.fake.calls.get("imds-token-bad-ttl", 0), 0)

    def test_no_instance_metadata_fails_fast_saying_what_was_tried(self):
        started = time.monotonic()
        # A loopback port where nothing listens: refused at once, tried twice.
        p, _ = self.run_with({"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"},
                             check=3, name="noimds")
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn("no AWS_ACCESS_KEY_ID", p.stderr)
        self.assertIn("no container credentials", p.stderr)
        self.assertIn("EC2 instance metadata at http://127.0.0.1:9 did not answer", p.stderr)

    def test_container_endpoint_with_its_authorization_token_file(self):
        token_file = os.path.join(self.tmp.name, "pod-token")
        with open(token_file, "w") as f:
            f.write(self.fake.container_token + "\n")
        p, r = self.run_with({"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.fake.url + "/v2/credentials/task",
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file}, name="ctr")
        self.assertIn("container credentials", r["credentials"])
        # A wrong token is refused by the endpoint: a credentials error.
        p, _ = self.run_with({"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.fake.url + "/v2/credentials/task",
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"}, check=3, name="ctrbad")
        self.assertIn("HTTP 401", p.stderr)
        # Another host over plain HTTP is refused before any request.
        p, _ = self.run_with({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/creds"}, check=3, name="ctrhost")
        self.assertIn("AWS_CONTAINER_CREDENTIALS_FULL_URI", p.stderr)

    def test_iam_identity_center(self):
        start = "https://d-0000000000.awsapps.com/start"
        config = ("[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Migrator\n"
                  "[sso-session corp]\nsso_start_url = %s\nsso_region = us-east-1\n" % start)
        import hashlib
        cache = os.path.join(self.home, ".aws", "sso", "cache", hashlib.sha1(b"corp").hexdigest() + ".json")
        if os.path.exists(cache):
            os.remove(cache)
        # No cached token: say how to log in.
        p, _ = self.run_with({"AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": self.fake.url}, config, check=3,
                             name="ssonone")
        self.assertIn("aws sso login --profile sso", p.stderr)
        with open(cache, "w") as f:
            json.dump({"startUrl": start, "region": "us-east-1", "accessToken": self.fake.sso_token,
                       "expiresAt": "2099-01-01T00:00:00Z"}, f)
        p, r = self.run_with({"AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": self.fake.url}, config, name="sso")
        self.assertIn("IAM Identity Center", r["credentials"])
        # A token cached for another start URL is not used.
        with open(cache, "w") as f:
            json.dump({"startUrl": "https://d-1111111111.awsapps.com/start", "accessToken": self.fake.sso_token,
                       "expiresAt": "2099-01-01T00:00:00Z"}, f)
        p, _ = self.run_with({"AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": self.fake.url}, config, check=3,
                             name="ssoother")
        self.assertIn("another start URL", p.stderr)
        # An expired token: log in again.
        with open(cache, "w") as f:
            json.dump({"startUrl": start, "accessToken": self.fake.sso_token, "expiresAt": "2020-01-01T00:00:00Z"}, f)
        p, _ = self.run_with({"AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": self.fake.url}, config, check=3,
                             name="ssoold")
        self.assertIn("expired", p.stderr)
        self.assertIn("aws sso login --profile sso", p.stderr)

    def test_web_identity_from_the_environment(self):
        token_file = os.path.join(self.tmp.name, "web-token")
        with open(token_file, "w") as f:
            f.write(self.fake.web_token)
        env = {"AWS_WEB_IDENTITY_TOKEN_FILE": token_file, "AWS_ROLE_ARN": self.fake.web_role,
               "AWS_ROLE_SESSION_NAME": "pod-1", "AWS_ENDPOINT_URL_STS": self.fake.url}
        p, r = self.run_with(env, name="web")
        self.assertIn("web identity", r["credentials"])
        self.assertEqual(self.fake.calls.get("web-signed", 0), 0)
        with open(token_file, "w") as f:
            f.write("not-the-token")
        p, _ = self.run_with(env, check=3, name="webbad")
        self.assertIn("InvalidIdentityToken", p.stderr)

    def test_credential_process(self):
        script = os.path.join(self.tmp.name, "creds tool.py")
        with open(script, "w") as f:
            f.write("import json, sys\n"
                    "print('fetching keys', file=sys.stderr)\n"
                    "print(json.dumps({'Version': 1, 'AccessKeyId': sys.argv[1], 'SecretAccessKey': sys.argv[2]}))\n")
        config = "[profile proc]\ncredential_process = /usr/bin/python3 \"%s\" %s %s\n" % (
            script, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        p, r = self.run_with({"AWS_PROFILE": "proc"}, config, name="proc")
        self.assertIn("credential_process", r["credentials"])
        self.assertIn("fetching keys", p.stderr)  # its stderr passes through
        bad = "[profile proc]\ncredential_process = /usr/bin/python3 -c \"print('AccessKeyId=oops-not-json')\"\n"
        p, _ = self.run_with({"AWS_PROFILE": "proc"}, bad, check=3, name="procbad")
        self.assertIn("not a JSON object", p.stderr)
        self.assertNotIn("oops-not-json", p.stderr + p.stdout)  # its stdout is never printed
        failing = "[profile proc]\ncredential_process = /usr/bin/python3 -c \"import sys; sys.exit(7)\"\n"
        p, _ = self.run_with({"AWS_PROFILE": "proc"}, failing, check=3, name="procfail")
        self.assertIn("exited with status 7", p.stderr)


class ExpiringKeys(S3MergeCase):
    """A copy of 20,000 objects through expiring_sts_proxy.py (a fake STS
    whose sessions live 30 s though their Expiration says an hour, in front
    of a proxy that answers ExpiredToken for expired keys and forwards the
    rest, signed again, to the S3 server, each held 20 ms so that the run
    lasts over a minute): every renewal comes from an ExpiredToken answer
    told to the 16 requests in flight at once, and nothing fails."""

    def test_a_large_copy_runs_across_expired_keys(self):
        n = 20000
        e = os.environ
        src, dst = self.bucket("expiring-src"), self.bucket("expiring-dst")
        self.s3merge("generate", "--dest", "s3://" + src, "--count", str(n), check=0, timeout=900)
        base_akid, base_secret = "AKIDEXPIRINGBASE", "base-secret-" + self.tag
        proxy = ExpiringStsProxy(e["S3MERGE_TEST_ENDPOINT"], e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"],
                                 base_akid, base_secret, life=30.0, advertised=3600.0, delay=0.02).start()
        try:
            cfg = os.path.join(self.tmp.name, "expiring.config")
            with open(cfg, "w") as f:
                f.write("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                        "[profile migrator]\nrole_arn = arn:aws:iam::123456789012:role/migrator\n"
                        "source_profile = base\n" % (base_akid, base_secret))
            rep = os.path.join(self.tmp.name, "expiring.json")
            env = {"AWS_CONFIG_FILE": cfg, "AWS_ENDPOINT_URL_STS": proxy.url, "AWS_ACCESS_KEY_ID": "",
                   "AWS_SECRET_ACCESS_KEY": ""}
            started = time.monotonic()
            p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--report", rep,
                             "--profile", "migrator", "--concurrency", "16", "--no-progress",
                             endpoint=proxy.url, env=env, check=0, timeout=1200)
            elapsed = time.monotonic() - started
        finally:
            proxy.stop()
        r = self.report(rep)
        calls = proxy.calls
        print("expiring keys: %d objects in %.1f s, %d renewals, %d ExpiredToken answers, %d forwarded"
              % (n, elapsed, r["credential_renewals"], calls.get("expired", 0), calls.get("forwarded", 0)),
              file=sys.stderr)
        self.assertEqual(r["totals"]["copied"], n)
        self.assertEqual(r["totals"]["failed"], 0)
        # The run outlives at least two sessions: each renewal was asked for
        # by an ExpiredToken answer (the Expiration said an hour).
        self.assertGreaterEqual(elapsed, 60.0, "the run was too short to outlive two sessions")
        self.assertGreaterEqual(calls.get("assume-role", 0), 3)
        self.assertGreaterEqual(r["credential_renewals"], 2)
        self.assertEqual(r["credential_renewals"], calls["assume-role"] - 1)
        self.assertGreaterEqual(calls.get("expired", 0), r["credential_renewals"])
        for what in ("bad-signature", "invalid-token", "unknown-key", "unsigned", "sts-bad-signature", "sts-refused"):
            self.assertEqual(calls.get(what, 0), 0, what)
        self.assertEqual(len(self.oracle.list_all(dst)), n)
        # The status lines say where the keys come from and count renewals;
        # the summary names the role and its base.
        self.assertIn("keys: role migrator, renewed 0", p.stderr)
        self.assertIn("keys: role migrator, renewed 1", p.stderr)
        self.assertIn("credentials: role arn:aws:iam::123456789012:role/migrator (profile migrator)", p.stdout)
        written = p.stdout + p.stderr
        with open(rep) as f:
            written += f.read()
        for secret in [base_secret, e["AWS_SECRET_ACCESS_KEY"]] + proxy.handed:
            self.assertNotIn(secret, written)

    def run_on_terminal(self, args, env, answer):
        """s3merge with a terminal of its own (a pty): answers the MFA prompt
        when it appears. Returns (exit code, everything the terminal showed)."""
        argv = [self.s3merge_path] + list(args)
        full = dict(os.environ)
        full.update(env)
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(argv[0], argv, full)
            finally:
                os._exit(127)
        shown, answered, deadline = b"", False, time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 1.0)
                if not ready:
                    continue
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the terminal's other end is closed
                    break
                if not chunk:
                    break
                shown += chunk
                if not answered and b"Enter MFA code for arn:aws:iam::123456789012:mfa/migrator: " in shown:
                    os.write(fd, answer + b"\n")
                    answered = True
            else:
                os.kill(pid, 9)
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        self.assertTrue(answered, "no MFA prompt on the terminal:\n" + shown.decode(errors="replace"))
        return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")

    def test_mfa_code_asked_on_the_terminal(self):
        e = os.environ
        src, dst = self.bucket("mfa-src", 5), self.bucket("mfa-dst")
        base_akid, base_secret = "AKIDMFABASE", "mfa-base-secret-" + self.tag
        proxy = ExpiringStsProxy(e["S3MERGE_TEST_ENDPOINT"], e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"],
                                 base_akid, base_secret).start()
        proxy.mfa = ("arn:aws:iam::123456789012:mfa/migrator", "492817")
        try:
            cfg = os.path.join(self.tmp.name, "mfa.config")
            with open(cfg, "w") as f:
                f.write("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                        "[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/migrator\nsource_profile = base\n"
                        "mfa_serial = arn:aws:iam::123456789012:mfa/migrator\n" % (base_akid, base_secret))
            env = {"AWS_CONFIG_FILE": cfg, "AWS_ENDPOINT_URL_STS": proxy.url, "AWS_ACCESS_KEY_ID": "",
                   "AWS_SECRET_ACCESS_KEY": ""}
            args = ["copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--profile", "mfa", "--no-progress",
                    "--endpoint-url", proxy.url]
            code, shown = self.run_on_terminal(args, env, b"492817")
            self.assertEqual(code, 0, shown)
            self.assertEqual(proxy.calls.get("sts-mfa", 0), 1)
            self.assertEqual(len(self.oracle.list_all(dst)), 5)
            # A wrong code: AssumeRole refused, a credentials error naming the role, nothing copied.
            dst2 = self.bucket("mfa-dst2")
            args[args.index("s3://" + dst)] = "s3://" + dst2
            code, shown = self.run_on_terminal(args, env, b"000000")
            self.assertEqual(code, 3, shown)
            self.assertIn("MultiFactorAuthentication failed", shown)
            self.assertIn("arn:aws:iam::123456789012:role/migrator", shown)
            self.assertEqual(proxy.calls.get("sts-mfa-refused", 0), 1)
            self.assertEqual(len(self.oracle.list_all(dst2)), 0)
            for secret in [base_secret] + proxy.handed:
                self.assertNotIn(secret, shown)
        finally:
            proxy.stop()

if __name__ == "__main__":
    sys.exit(main("test_credentials.py"))
