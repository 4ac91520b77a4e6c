"""s3merge against bench/s3-load-target with S3's request-rate model on: a
move of 30,000 objects under throttling (CopyObject 503s and per-key SlowDown
in DeleteObjects) ends with every object copied once and deleted, nothing
failed. The load target counts what it received itself (one bit per key).

usage: test_load_target.py PATH/TO/s3merge PATH/TO/s3-load-target
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

S3MERGE = LOAD_TARGET = None


class LoadTarget(unittest.TestCase):
    def test_move_under_throttling_loses_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            lt = subprocess.Popen([LOAD_TARGET, "--objects", "30000", "--split-after", "2", "--latency-ms", "5"],
                                  stdout=subprocess.PIPE, text=True)
            port = lt.stdout.readline().split()[1]
            rep = os.path.join(tmp, "r.json")
            env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y", XDG_STATE_HOME=tmp,
                       AWS_CONFIG_FILE=os.path.join(tmp, "none"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(tmp, "none"))
            p = subprocess.run([S3MERGE, "move", "--source", "s3://load-src/", "--dest", "s3://load-dst/",
                                "--endpoint-url", "http://127.0.0.1:" + port, "--no-progress", "--report", rep],
                               capture_output=True, text=True, timeout=300, env=env)
            lt.send_signal(signal.SIGINT)
            out = lt.communicate(timeout=30)[0]
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-3000:])
            r = json.load(open(rep))
            self.assertEqual((r["totals"]["copied"], r["totals"]["deleted"], r["totals"]["failed"]), (30000, 30000, 0))
            m = re.search(r"copied (\d+) of (\d+) \(missing (\d+)\), copied twice (\d+), deleted (\d+)", out)
            self.assertIsNotNone(m, out)
            self.assertEqual(m.groups(), ("30000", "30000", "0", "0", "30000"))
            throttled = int(re.search(r"throttled (\d+)", out).group(1))
            self.assertGreater(throttled, 0, "the model throttled nothing: the test proves nothing")
            self.assertEqual(sum(o["throttles"] for o in r["operations"]), throttled)


if __name__ == "__main__":
    S3MERGE, LOAD_TARGET = os.path.abspath(sys.argv.pop(1)), os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
