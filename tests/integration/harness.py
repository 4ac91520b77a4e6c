"""What the Python integration tests share: an environment of their own (no
profile, no site CA bundle, a private journal directory), the independent
client (s3oracle.py), running s3merge, fresh buckets, and a main() that
fails (never skips) without the local S3 server."""
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from s3oracle import Oracle  # noqa: E402

SERVER_VARS = ("S3MERGE_TEST_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def suffix():
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))


def isolate(tmpdir):
    """Journals under tmpdir; no profile, shared files or site CA bundle of the machine."""
    os.environ["XDG_STATE_HOME"] = os.path.join(tmpdir, "state")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_CA_BUNDLE", None)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(tmpdir, "none")
    os.environ["AWS_CONFIG_FILE"] = os.path.join(tmpdir, "none")


def oracle():
    return Oracle(os.environ["S3MERGE_TEST_ENDPOINT"], os.environ["AWS_ACCESS_KEY_ID"],
                  os.environ["AWS_SECRET_ACCESS_KEY"])


class S3MergeCase(unittest.TestCase):
    """A test class with its own environment, an oracle and s3merge at hand."""
    s3merge_path = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        isolate(cls.tmp.name)
        cls.oracle = oracle()
        cls.tag = suffix()

    def s3merge(self, *args, check=None, endpoint=None, timeout=300, env=None, stdin=None):
        cmd = [self.s3merge_path] + list(args) + ["--endpoint-url", endpoint or os.environ["S3MERGE_TEST_ENDPOINT"]]
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e, stdin=stdin)
        if check is not None and p.returncode != check:
            raise AssertionError("%r exited %d, expected %d\nstdout: %s\nstderr: %s" %
                                 (cmd, p.returncode, check, p.stdout[-3000:], p.stderr[-3000:]))
        return p

    def bucket(self, stem, objects=0):
        """A new bucket, with `objects` small objects under logs/."""
        b = "%s-%s-%s" % (stem, self.tag, suffix())
        self.oracle.create_bucket(b)
        for i in range(objects):
            self.oracle.put(b, "logs/%04d.json" % i, ("object %d" % i).encode())
        return b

    def get(self, bucket, key):
        status, _, body = self.oracle.request("GET", "/%s/%s" % (bucket, key))
        self.assertEqual(status, 200, "GET %s/%s" % (bucket, key))
        return body

    def report(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)


def main(name, on_path=None):
    """Runs the unittest classes of the calling module: argv[1] is s3merge."""
    if len(sys.argv) < 2:
        print("usage: %s PATH/TO/s3merge [TEST...]" % name, file=sys.stderr)
        return 2
    path = os.path.abspath(sys.argv.pop(1))
    S3MergeCase.s3merge_path = path
    if on_path:
        on_path(path)
    for k in SERVER_VARS:
        if not os.environ.get(k):
            print("FAIL: %s: no S3 test server (%s unset): run scripts/run-tests, or `scripts/s3-server start && "
                  "eval \"$(scripts/s3-server env)\"`; this test fails rather than skips" % (name, k), file=sys.stderr)
            return 1
    prog = unittest.main(module="__main__", exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1
