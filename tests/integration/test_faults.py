#!/usr/bin/env python3
"""Fail fast and clearly: a server that dies or goes silent mid-run, Ctrl-C
while retries wait, a wrong secret, and bad input — each against the local
S3 server (Ceph RGW), through hold_proxy.py where the fault must be shaped
(a dead or silent endpoint), checked with an independent client
(s3oracle.py): one clear line, the exit code the README's table gives, and
nothing deleted that is not at the destination.

Usage: test_faults.py PATH/TO/s3merge   (with the environment of `scripts/s3-server env`)
Fails, never skips, when the server environment is missing.
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import S3MergeCase, main  # noqa: E402
from hold_proxy import HoldProxy  # noqa: E402



class Faults(S3MergeCase):
    def assert_nothing_lost(self, src, dst, originals):
        """Every original object is at the source or, with its content, at the destination."""
        at_src, at_dst = self.oracle.list_all(src), self.oracle.list_all(dst)
        for k, (size, etag, _) in originals.items():
            if k in at_src:
                continue
            self.assertIn(k, at_dst, "%s deleted from the source but not at the destination" % k)
            self.assertEqual(at_dst[k][:2], (size, etag), k)

    def error_lines(self, stderr):
        return [line for line in stderr.splitlines() if "error" in line]

    def test_dead_endpoint_mid_move_stops_with_exit_4(self):
        src, dst = self.bucket("deadsrc", 120), self.bucket("deaddst")
        originals = self.oracle.list_all(src)
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        proxy.after = (40, proxy.kill)  # the server dies after 40 answers
        t0 = time.time()
        p = self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress",
                         "--concurrency", "4", endpoint=proxy.url, check=4, timeout=120)
        took = time.time() - t0
        self.assertLess(took, 60, p.stderr)
        errors = self.error_lines(p.stderr)
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("127.0.0.1:%d has not answered" % proxy.port, errors[0])
        self.assertIn("re-run the same command to resume", errors[0])
        self.assertIn("warning: 127.0.0.1:%d" % proxy.port, p.stderr)
        # No object failed one by one after its attempts: one reason for all.
        self.assertNotIn("s3merge: failed:", p.stderr)
        self.assertLess(len(p.stderr.splitlines()), 12, p.stderr)
        self.assert_nothing_lost(src, dst, originals)
        # A re-run against the live server resumes and finishes.
        self.s3merge("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress", check=0)
        self.assertEqual(self.oracle.list_all(src), {})
        self.assertEqual(sorted(self.oracle.list_all(dst)), sorted(originals))

    def test_objects_failed_by_the_network_alone_exit_4(self):
        src, dst = self.bucket("netsrc", 5), self.bucket("netdst")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        # Every CopyObject of one key is cut off; everything else answers.
        proxy.drop = lambda method, path, headers: method == "PUT" and path.endswith("/logs/0002.json")
        rep = os.path.join(self.tmp.name, "net.json")
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress",
                         "--max-attempts", "3", "--report", rep, endpoint=proxy.url, check=4)
        proxy.close()
        r = self.report(rep)
        self.assertEqual((r["totals"]["copied"], r["totals"]["failed"], r["network_failures"]), (4, 1, 1))
        self.assertEqual(r["failures"][0]["key"], "logs/0002.json")
        self.assertEqual(r["failures"][0]["attempts"], 3)
        self.assertIn("1 objects failed", p.stdout)

    def test_silent_endpoint_warns_then_exits_4(self):
        src, dst = self.bucket("silsrc", 3), self.bucket("sildst")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        proxy.black_hole = True  # accepts, reads, never answers
        t0 = time.time()
        proc = subprocess.Popen([self.s3merge_path, "copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress",
                                 "--endpoint-url", proxy.url], stderr=subprocess.PIPE, text=True)
        warned_at = None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if warned_at is None and "warning" in line:
                warned_at = time.time() - t0
        rc = proc.wait(timeout=120)
        took = time.time() - t0
        proxy.close()
        self.assertEqual(rc, 4, "".join(lines))
        self.assertIsNotNone(warned_at, "".join(lines))
        self.assertLess(warned_at, 25)
        self.assertIn("no answer from 127.0.0.1:%d within 20 s" % proxy.port, "".join(lines))
        self.assertLess(took, 90)
        self.assertEqual(self.oracle.list_all(dst), {})

    def test_ctrl_c_while_retries_wait_stops_within_seconds(self):
        src, dst = self.bucket("intsrc", 3), self.bucket("intdst")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        proxy.kill()  # connections refused: every request waits between retries
        proc = subprocess.Popen([self.s3merge_path, "copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress",
                                 "--endpoint-url", proxy.url], stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        t0 = time.time()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(rc, 130, proc.stderr.read())

    def test_second_ctrl_c_exits_at_once(self):
        src, dst = self.bucket("int2src", 3), self.bucket("int2dst")
        proxy = HoldProxy(os.environ["S3MERGE_TEST_ENDPOINT"])
        proxy.black_hole = True
        proc = subprocess.Popen([self.s3merge_path, "copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress",
                                 "--endpoint-url", proxy.url], stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        t0 = time.time()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
        proxy.close()
        self.assertLess(time.time() - t0, 2)
        self.assertEqual(rc, 130)
        self.assertIn("interrupted again", proc.stderr.read())

    def test_wrong_secret_says_so_with_exit_3(self):
        src, dst = self.bucket("secsrc", 1), self.bucket("secdst")
        bad = {"AWS_SECRET_ACCESS_KEY": "not-the-secret-at-all-0000"}
        runs = [
            ("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress"),
            ("move", "--source", "s3://" + src, "--dest", "s3://" + dst, "--no-progress"),
            ("cp", "s3://%s/logs/0000.json" % src, "s3://%s/x.json" % dst),
            ("cloudtrail", "plan", "--account", "123456789012", "--regions", "us-east-1",
             "--source-bucket-template", src + "-{region}", "--dest-bucket", dst),
        ]
        for args in runs:
            p = self.s3merge(*args, env=bad, check=3)
            self.assertIn("SignatureDoesNotMatch", p.stderr, args)
            self.assertIn("check the secret access key", p.stderr, args)
            self.assertNotIn("not-the-secret-at-all-0000", p.stderr + p.stdout)
        self.assertEqual(len(self.oracle.list_all(src)), 1)
        self.assertEqual(self.oracle.list_all(dst), {})

    def test_bad_input_is_one_line_and_writes_nothing(self):
        src, dst = self.bucket("badsrc", 1), self.bucket("baddst")
        s, d = "s3://" + src, "s3://" + dst
        cases = [
            (["copy", "--source", "s3://mybucket--usw2-az1--x-s3", "--dest", d], 2, "directory bucket"),
            (["copy", "--source", s, "--dest", "s3://Bad_Name!"], 2, "not valid"),
            (["cp", "s3://ab/k", d + "/k"], 2, "3 to 63 characters"),
            (["copy", "--source", s, "--dest", d, "--sse-kms-key-id", "k"], 2, "needs --sse aws:kms"),
            (["copy", "--source", s, "--dest", d, "--journal", "/tmp/j", "--no-journal"], 2, "cannot be combined"),
            (["move", "--source", s, "--dest", d, "--conditional-deletes", "maybe"], 2, "auto, on or off"),
            (["copy", "--source", s, "--dest", d, "--ca-bundle", "/nonexistent/ca.pem"], 3, "cannot read the CA bundle"),
        ]
        for args, code, text in cases:
            p = self.s3merge(*args, check=code)
            self.assertIn(text, p.stderr, args)
            self.assertEqual(len([x for x in p.stderr.splitlines() if x.strip()]), 1, p.stderr)
        p = subprocess.run([self.s3merge_path, "copy", "--source", s, "--dest", d, "--endpoint-url", ""], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--endpoint-url is empty", p.stderr)
        self.assertEqual(self.oracle.list_all(dst), {})
        # Warnings, and the job still runs.
        p = self.s3merge("copy", "--source", s + "/logs", "--dest", d + "/", "--no-progress", check=0)
        self.assertIn("has no trailing '/'", p.stderr)
        p = self.s3merge("ls", s, "--no-verify-ssl", check=0)
        self.assertIn("warning: --no-verify-ssl", p.stderr)

    def test_rb_against_a_non_s3_answer_is_an_error(self):
        import http.server
        import threading

        class Page(http.server.BaseHTTPRequestHandler):
            def _page(self):
                body = b"<html>not S3</html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            do_GET = do_DELETE = do_HEAD = do_PUT = _page

            def log_message(self, *a):
                pass
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            p = self.s3merge("rb", "s3://some-bucket", endpoint="http://127.0.0.1:%d" % srv.server_address[1],
                             check=1)
            self.assertIn("not S3's 204", p.stderr)
        finally:
            srv.shutdown()


if __name__ == "__main__":
    sys.exit(main("test_faults.py"))
