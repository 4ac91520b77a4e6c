"""Telemetry and unattended runs against the local RGW: the report's request
counts against RGW's own access log, the HTML report in a real headless
browser (Chromium), Prometheus metrics scraped mid-run and checked by
promtool, request and byte caps measured from the server's log, filters
against an independent listing, CloudTrail day ranges that list no other day,
job files and the job lock, JSON logs, and the systemd example units checked
by systemd-analyze.

usage: test_telemetry.py PATH/TO/s3merge
"""
import datetime
import fnmatch
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# beast: 0x7f..: 127.0.0.1 - user [04/Dec/2026:04:35:49.449 +0000] "PUT /b/k HTTP/1.1" 200 0 - "ua" - latency=...
ACCESS = re.compile(r'beast: \S+ \S+ - \S+ \[([^\]]+)\] "(\w+) (\S+) HTTP/1\.[01]" (\d+)')


def server_log():
    path = os.environ.get("S3MERGE_TEST_SERVER_LOG")
    if not path or not os.path.exists(path):
        raise AssertionError("S3MERGE_TEST_SERVER_LOG (RGW's log, from scripts/s3-server env) is not readable: %r" % path)
    return path


def log_offset():
    """Where the log ends once what was sent so far is in it (RGW writes it
    asynchronously): the size, once unchanged for a second."""
    size, deadline = -1, time.time() + 15
    while time.time() < deadline:
        now = os.path.getsize(server_log())
        if now == size:
            return now
        size = now
        time.sleep(1.0)
    return size


def classify(method, target):
    """The S3 operation of an access line (for a copy/move job's requests)."""
    path, _, query = target.partition("?")
    bucket, _, key = urllib.parse.unquote(path.lstrip("/")).partition("/")
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    if not key:
        if method == "HEAD":
            return bucket, "HeadBucket"
        if method == "GET" and "versioning" in q:
            return bucket, "GetBucketVersioning"
        if method == "GET" and "versions" in q:
            return bucket, "ListObjectVersions"
        if method == "GET" and "uploads" in q:
            return bucket, "ListMultipartUploads"
        if method == "GET" and q.get("list-type") == ["2"]:
            return bucket, "ListObjectsV2"
        if method == "POST" and "delete" in q:
            return bucket, "DeleteObjects"
        return bucket, "other %s" % method
    if method == "PUT":
        return bucket, "UploadPartCopy" if "partNumber" in q else "CopyObject"
    if method == "HEAD":
        return bucket, "HeadObject"
    if method == "POST":
        return bucket, "CreateMultipartUpload" if "uploads" in q else "CompleteMultipartUpload"
    if method == "DELETE":
        return bucket, "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    return bucket, "GetObject"


def access_lines(offset, buckets, settle=1.0, timeout=20.0):
    """(time, operation, target) of every request to `buckets` logged after
    offset; waits until the log has stopped growing (RGW writes it
    asynchronously)."""
    deadline = time.time() + timeout
    last = None
    while True:
        with open(server_log(), "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        out = []
        for m in ACCESS.finditer(text):
            when = datetime.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S.%f %z").timestamp()
            bucket, op = classify(m.group(2), m.group(3))
            if bucket in buckets:
                out.append((when, op, m.group(3)))
        if last is not None and len(out) == len(last):
            return out
        if time.time() > deadline:
            return out
        last = out
        time.sleep(settle)


def count_ops(lines):
    counts = {}
    for _, op, _ in lines:
        counts[op] = counts.get(op, 0) + 1
    return counts


class DomReader(html.parser.HTMLParser):
    """The numbers the page's charts and tables hold."""

    def __init__(self):
        super().__init__()
        self.polylines = []
        self.summary = {}  # row name -> [data-value per report]
        self.svgs = []
        self._in_summary = False
        self._row = None
        self._in_th = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "polyline":
            self.polylines.append(a)
        elif tag == "svg" and a.get("class") == "chart":
            self.svgs.append(a.get("id"))
        elif tag == "table" and a.get("id") == "summary":
            self._in_summary = True
        elif tag == "tr" and self._in_summary:
            self._row = None
        elif tag == "th" and self._in_summary:
            self._in_th = True
        elif tag == "td" and self._in_summary and self._row is not None and "data-value" in a:
            self.summary.setdefault(self._row, []).append(float(a["data-value"]))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_summary = False
        if tag == "th":
            self._in_th = False

    def handle_data(self, data):
        if self._in_summary and self._in_th and self._row is None and data.strip():
            self._row = data.strip()


def rates(report, column):
    """Per-second rates of a cumulative timeline column, as the page computes them."""
    cols = report["timeline"]["columns"]
    i, t = cols.index(column), cols.index("t_ms")
    prev_t, prev_v, out = 0, 0, []
    for row in report["timeline"]["rows"]:
        if row[t] <= prev_t:
            continue
        out.append((row[i] - prev_v) / ((row[t] - prev_t) / 1000.0))
        prev_t, prev_v = row[t], row[i]
    return out


class Telemetry(harness.S3MergeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.src = "telsrc-%s" % cls.tag
        cls.oracle.create_bucket(cls.src)
        p = subprocess.run([cls.s3merge_path, "generate", "--dest", "s3://%s/" % cls.src, "--count", "600",
                            "--endpoint-url", os.environ["S3MERGE_TEST_ENDPOINT"]], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        cls.reports = {}

    def generate(self, bucket, count, *extra):
        self.s3merge("generate", "--dest", "s3://%s/" % bucket, "--count", str(count), *extra, check=0)

    # -- the report against the server's own log ----------------------------

    def check_against_log(self, rep, offset, buckets):
        lines = access_lines(offset, buckets)
        server = count_ops(lines)
        client = {o["name"]: o["requests"] for o in rep["operations"]}
        self.assertEqual(client, server)
        self.assertEqual(sum(h["requests"] for h in rep["hosts"]), len(lines))
        return lines

    def test_1_copy_report_counts_equal_the_server_log(self):
        dst = self.bucket("teldst1")
        rep_path = os.path.join(self.tmp.name, "copy.json")
        offset = log_offset()
        self.s3merge("copy", "--source", "s3://%s/" % self.src, "--dest", "s3://%s/in/" % dst, "--report", rep_path,
                     "--no-progress", "--no-journal", "--concurrency", "64", check=0)
        rep = self.report(rep_path)
        self.check_against_log(rep, offset, {self.src, dst})
        ops = {o["name"]: o for o in rep["operations"]}
        self.assertEqual(ops["CopyObject"]["calls"], 600)
        lat = ops["CopyObject"]["latency_us"]
        self.assertTrue(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99.9"] <= lat["max"], lat)
        self.assertEqual(sum(n for _, n in ops["CopyObject"]["latency_histogram"]), 600)
        # The timeline: cumulative, ending at the totals.
        rows = rep["timeline"]["rows"]
        cols = rep["timeline"]["columns"]
        self.assertGreaterEqual(len(rows), 1)
        last = dict(zip(cols, rows[-1]))
        self.assertEqual(last["copies"], 600)
        self.assertEqual(last["listed"], 600)
        self.assertEqual(last["requests"], sum(o["requests"] for o in rep["operations"]))
        for a, b in zip(rows, rows[1:]):
            self.assertTrue(all(x <= y for x, y in zip(a[:7], b[:7])), (a, b))
        self.assertEqual(rep["hosts"][0]["host"], urllib.parse.urlsplit(os.environ["S3MERGE_TEST_ENDPOINT"]).netloc)
        self.assertGreater(rep["hosts"][0]["connections_opened"], 0)
        self.__class__.reports["copy.json"] = rep_path

    def test_2_move_report_counts_equal_the_server_log(self):
        src = self.bucket("telmv")
        self.generate(src, 300)
        dst = self.bucket("teldst2")
        rep_path = os.path.join(self.tmp.name, "move.json")
        offset = log_offset()
        self.s3merge("move", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--report", rep_path,
                     "--no-progress", "--no-journal", "--concurrency", "8", check=0)
        rep = self.report(rep_path)
        lines = self.check_against_log(rep, offset, {src, dst})
        ops = count_ops(lines)
        self.assertEqual(ops["CopyObject"], 300)
        self.assertGreaterEqual(ops["DeleteObjects"], 1)
        self.assertEqual(rep["totals"]["deleted"], 300)
        self.__class__.reports["move.json"] = rep_path

    def test_3_show_compare_and_html_in_a_real_browser(self):
        self.assertEqual(sorted(self.reports), ["copy.json", "move.json"], "tests 1 and 2 write the reports")
        a, b = self.reports["copy.json"], self.reports["move.json"]
        ra, rb = self.report(a), self.report(b)
        p = self.s3merge_local("report", "show", a)
        self.assertIn("CopyObject", p.stdout)
        self.assertIn("600", p.stdout)
        p = self.s3merge_local("report", "compare", a, b)
        row = [line for line in p.stdout.splitlines() if line.startswith("copied")][0].split()
        self.assertEqual(row[1:4], ["600", "300", "0.50x"])
        page = os.path.join(self.tmp.name, "report.html")
        self.s3merge_local("report", "html", a, b, "-o", page)
        chromium = shutil.which("chromium")
        self.assertIsNotNone(chromium, "chromium (Debian's package) is needed: scripts/install-deps installs it")
        base = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--user-data-dir=" + os.path.join(self.tmp.name, "chromium"),
                "--enable-logging=stderr", "--v=0"]
        p = subprocess.run(base + ["--dump-dom", "file://" + page], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        console = [line for line in p.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
        self.assertEqual(console, [])
        dom = DomReader()
        dom.feed(p.stdout)
        self.assertIn("copies", dom.svgs)
        self.assertIn("limit", dom.svgs)
        self.assertIn("latency-CopyObject", dom.svgs)
        # The summary table holds each report's totals, in order.
        self.assertEqual(dom.summary["copied"], [600, 300])
        self.assertEqual(dom.summary["listed"], [600, 300])
        # The throughput lines hold the timelines' rates.
        for label, rep in (("copy.json", ra), ("move.json", rb)):
            line = [pl for pl in dom.polylines if pl["data-report"] == label and pl["data-series"] == "copies/s"]
            self.assertEqual(len(line), 1)
            values = [float(v) for v in line[0]["data-values"].split()]
            want = rates(rep, "copies")
            self.assertEqual(len(values), len(want))
            for v, w in zip(values, want):
                self.assertAlmostEqual(v, w, delta=max(1e-3, abs(w) * 1e-5))
            limit = [pl for pl in dom.polylines if pl["data-report"] == label and pl["data-series"] == "adaptive limit"]
            self.assertEqual([float(v) for v in limit[0]["data-values"].split()],
                             [float(r[-1]) for r in rep["timeline"]["rows"]])
            cdf = [pl for pl in dom.polylines if pl["data-report"] == label and pl["data-series"] == "CopyObject CDF"]
            self.assertEqual(float(cdf[0]["data-values"].split()[-1]), 100.0)
        shot = os.path.join(self.tmp.name, "report.png")
        p = subprocess.run(base + ["--window-size=1200,2600", "--screenshot=" + shot, "file://" + page],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(shot, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 20000)

    def s3merge_local(self, *args, check=0):
        p = subprocess.run([self.s3merge_path] + list(args), capture_output=True, text=True, timeout=60)
        if p.returncode != check:
            raise AssertionError("%r exited %d\n%s\n%s" % (args, p.returncode, p.stdout, p.stderr))
        return p

    # -- metrics --------------------------------------------------------------

    def test_4_metrics_scraped_mid_run_increase_and_pass_promtool(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian's prometheus package) is needed")
        src = self.bucket("telmsrc")
        self.generate(src, 300)
        dst = self.bucket("telmdst")
        mfile = os.path.join(self.tmp.name, "s3merge.prom")
        rep_path = os.path.join(self.tmp.name, "metrics-run.json")
        cmd = [self.s3merge_path, "copy", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst,
               "--max-requests-per-second", "40", "--metrics-listen", "127.0.0.1:0", "--metrics-file", mfile,
               "--report", rep_path, "--no-progress", "--no-journal",
               "--endpoint-url", os.environ["S3MERGE_TEST_ENDPOINT"]]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = None
        for line in proc.stderr:
            m = re.search(r"serving metrics at (http://\S+/metrics)", line)
            if m:
                url = m.group(1)
                break
        self.assertIsNotNone(url, "no 'serving metrics at' line")
        scrapes = []
        while proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    self.assertIn("text/plain", r.headers["Content-Type"])
                    scrapes.append(r.read().decode())
            except (urllib.error.URLError, ConnectionError):
                pass  # the run ended between poll() and the request
            time.sleep(0.4)
        rest = proc.stderr.read()
        self.assertEqual(proc.wait(), 0, rest)
        self.assertGreaterEqual(len(scrapes), 5, "a run of ~8 s scraped every 0.4 s")

        def value(text, name):
            total = 0.0
            for line in text.splitlines():
                if line.startswith(name + "{"):
                    total += float(line.rsplit(" ", 1)[1])
            return total

        for name in ("s3merge_objects_copied_total", "s3merge_objects_listed_total", "s3merge_requests_total",
                     "s3merge_request_duration_seconds_count", "s3merge_bytes_copied_total"):
            series = [value(s, name) for s in scrapes]
            self.assertEqual(series, sorted(series), name)
            self.assertGreater(series[-1], series[0], name)
        mid = os.path.join(self.tmp.name, "mid.prom")
        with open(mid, "w") as f:
            f.write(scrapes[len(scrapes) // 2])
        for path in (mid, mfile):
            with open(path) as f:
                p = subprocess.run([promtool, "check", "metrics"], stdin=f, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(mfile) as f:
            final = f.read()
        rep = self.report(rep_path)
        self.assertEqual(value(final, "s3merge_objects_copied_total"), rep["totals"]["copied"])
        self.assertEqual(value(final, "s3merge_objects_copied_total"), 300)
        self.assertEqual(value(final, "s3merge_run_succeeded"), 1)
        self.assertGreater(value(final, "s3merge_run_end_time_seconds"), 0)
        self.assertEqual(value(final, "s3merge_requests_total"), sum(o["requests"] for o in rep["operations"]))

    # -- rate caps, measured by the server -------------------------------------

    def test_5_request_cap_holds_within_10_percent_over_20_s(self):
        src = self.bucket("telrsrc")
        self.generate(src, 470)
        dst = self.bucket("telrdst")
        offset = log_offset()
        rep_path = os.path.join(self.tmp.name, "capped.json")
        self.s3merge("copy", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--max-requests-per-second",
                     "25", "--concurrency", "64", "--report", rep_path, "--no-progress", "--no-journal", check=0,
                     timeout=120)
        lines = access_lines(offset, {src, dst})
        # Latencies are S3's, not the wait for the cap (64 in flight at 25/s
        # wait ~2.5 s each for their turn).
        copy = [o for o in self.report(rep_path)["operations"] if o["name"] == "CopyObject"][0]
        self.assertLess(copy["latency_us"]["p50"], 1_000_000, copy)
        self.assertEqual(self.report(rep_path)["max_requests_per_second"], 25)
        times = sorted(t for t, _, _ in lines)
        span = times[-1] - times[0]
        rate = (len(times) - 1) / span
        self.assertGreaterEqual(span, 18.0)
        self.assertLess(abs(rate - 25) / 25, 0.10, "server saw %.2f requests/s over %.1f s" % (rate, span))
        # No one-second window above the cap plus its burst (2.5).
        for i, t in enumerate(times):
            in_window = sum(1 for u in times[i:i + 60] if u < t + 1.0)
            self.assertLessEqual(in_window, 25 + 3 + 1, "at %.3f" % t)

    def test_6_byte_cap_paces_server_side_copies(self):
        src = self.bucket("telbsrc")
        body = os.urandom(256 * 1024)
        for i in range(16):
            self.oracle.put(src, "big/%02d.bin" % i, body)
        dst = self.bucket("telbdst")
        offset = log_offset()
        self.s3merge("copy", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--max-bytes-per-second",
                     "1MiB", "--no-progress", "--no-journal", check=0, timeout=120)
        copies = sorted(t for t, op, _ in access_lines(offset, {src, dst}) if op == "CopyObject")
        self.assertEqual(len(copies), 16)
        # 4 MiB at 1 MiB/s with a 0.1 MiB burst: the 16th copy starts >= ~3.65 s after the first.
        self.assertGreaterEqual(copies[-1] - copies[0], 3.3)
        self.assertLess(copies[-1] - copies[0], 8.0)

    # -- filters ------------------------------------------------------------------

    def test_7_filters_take_what_an_independent_listing_says(self):
        src = self.bucket("telfsrc")
        keys = ["a/x.json.gz", "a/x.json", "a/b/y.json.gz", "2024/01/k.json.gz", "2024/02/k.json.gz",
                "2024/02/k.tmp", "[odd]/z.json.gz", "top.json.gz", "b/deep/deeper/q.json.gz"]
        for k in keys:
            self.oracle.put(src, "pre/" + k, k.encode())
        rules = [("exclude", "*"), ("include", "*.json.gz"), ("exclude", "2024/01/*"), ("include", "a/*")]
        expected = set()
        for k in keys:  # the AWS CLI's rule: every filter in order, the last match decides
            keep = True
            for kind, pat in rules:
                if fnmatch.fnmatchcase(k, pat):
                    keep = kind == "include"
            if keep:
                expected.add(k)
        self.assertEqual(expected, {"a/x.json.gz", "a/x.json", "a/b/y.json.gz", "2024/02/k.json.gz",
                                    "[odd]/z.json.gz", "top.json.gz", "b/deep/deeper/q.json.gz"})
        dst = self.bucket("telfdst")
        args = []
        for kind, pat in rules:
            args += ["--" + kind, pat]
        rep_path = os.path.join(self.tmp.name, "filters.json")
        self.s3merge("move", "--source", "s3://%s/pre/" % src, "--dest", "s3://%s/" % dst, *args, "--report",
                     rep_path, "--no-progress", check=0)
        self.assertEqual(set(self.oracle.list_all(dst)), expected)
        # A move takes only its slice: the rest stays at the source.
        self.assertEqual(set(self.oracle.list_all(src)), {"pre/" + k for k in set(keys) - expected})
        self.assertEqual(self.report(rep_path)["totals"]["listed"], len(expected))

        # --modified-after: only objects written after the instant.
        src2 = self.bucket("telmod")
        self.oracle.put(src2, "old.json", b"old")
        time.sleep(1.5)
        cut = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=0)
        time.sleep(1.5)
        self.oracle.put(src2, "new.json", b"new")
        dst2 = self.bucket("telmoddst")
        self.s3merge("copy", "--source", "s3://" + src2, "--dest", "s3://" + dst2, "--modified-after",
                     cut.strftime("%Y-%m-%dT%H:%M:%SZ"), "--no-progress", check=0)
        self.assertEqual(set(self.oracle.list_all(dst2)), {"new.json"})
        self.s3merge("copy", "--source", "s3://" + src2, "--dest", "s3://" + dst2, "--modified-before", "2000-01-01",
                     "--modified-after", "2020-01-01", "--no-progress", check=2)

    def test_8_a_filter_sets_journal_never_resumes_another(self):
        src = self.bucket("teljsrc")
        self.generate(src, 300)
        dst = self.bucket("teljdst")
        journal = os.path.join(self.tmp.name, "filtered.journal")
        cmd = [self.s3merge_path, "copy", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--journal",
               journal, "--include", "*", "--max-requests-per-second", "20", "--no-progress",
               "--endpoint-url", os.environ["S3MERGE_TEST_ENDPOINT"]]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        self.assertTrue(os.path.exists(journal))
        p = self.s3merge("copy", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst, "--journal", journal,
                         "--exclude", "*.tmp", "--no-progress", check=3)
        self.assertIn("journal", p.stderr)
        self.assertIn(journal, p.stderr)

    # -- CloudTrail day ranges ----------------------------------------------------

    def test_9_cloudtrail_days_list_no_other_day(self):
        acct = "%012d" % (int(self.tag, 36) % 10**12)
        src = "ctd%s-us-east-1-%s" % (self.tag[:4], acct)
        self.oracle.create_bucket(src)
        dst = self.bucket("ctddst")
        self.generate(src, 60, "--account", acct, "--log-region", "us-east-1", "--files-per-day", "5")
        prefix = "AWSLogs/%s/CloudTrail/us-east-1/" % acct
        listed = self.oracle.list_all(src, prefix)
        days = sorted({k[len(prefix):len(prefix) + 10] for k in listed})
        self.assertEqual(len(days), 12)
        first, last = days[3], days[6]
        offset = log_offset()
        self.s3merge("cloudtrail", "copy", "--account", acct, "--regions", "us-east-1", "--source-bucket-template",
                     "ctd%s-{region}-{account}" % self.tag[:4], "--dest-bucket", dst, "--from-date",
                     first.replace("/", "-"), "--to-date", last.replace("/", "-"), "--no-progress", check=0)
        copied = self.oracle.list_all(dst, prefix)
        self.assertEqual(len(copied), 20)
        self.assertEqual(sorted({k[len(prefix):len(prefix) + 10] for k in copied}), days[3:7])
        # No listing of the source touched a day outside the range.
        for _, op, target in access_lines(offset, {src}):
            if op != "ListObjectsV2":
                continue
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
            p = q.get("prefix", [""])[0]
            if len(p) >= len(prefix) + 11:
                day = p[len(prefix):len(prefix) + 10]
                self.assertTrue(first <= day <= last, "listed %s" % p)
        self.s3merge("cloudtrail", "copy", "--account", acct, "--regions", "us-east-1", "--source-bucket-template",
                     "ctd%s-{region}-{account}" % self.tag[:4], "--dest-bucket", dst, "--from-date", "2024-02-30",
                     check=2)

    # -- job files and the job lock -------------------------------------------------

    def test_10_job_file_and_one_run_at_a_time(self):
        src = self.bucket("tellsrc")
        self.generate(src, 150)
        dst = self.bucket("telldst")
        job = os.path.join(self.tmp.name, "nightly.json")
        p = self.s3merge("copy", "--source", "s3://%s/" % src, "--dest", "s3://%s/" % dst,
                         "--max-requests-per-second", "20", "--exclude", "*.tmp", "--no-progress", "--print-job",
                         check=0)
        spec = json.loads(p.stdout)
        self.assertEqual(spec["command"], "copy")
        self.assertEqual(spec["options"]["max-requests-per-second"], "20")
        self.assertEqual(spec["options"]["filters"], [["exclude", "*.tmp"]])
        self.assertEqual(spec["options"]["endpoint-url"], os.environ["S3MERGE_TEST_ENDPOINT"])
        with open(job, "w") as f:
            f.write(p.stdout)
        first = subprocess.Popen([self.s3merge_path, "copy", "--job", job], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while not self.oracle.list_all(dst) and time.time() < deadline:
            time.sleep(0.2)
        second = subprocess.run([self.s3merge_path, "copy", "--job", job], capture_output=True, text=True,
                                timeout=60)
        out, err = first.communicate(timeout=120)
        self.assertEqual(second.returncode, 6, second.stderr)
        self.assertIn("another run of this job", second.stderr)
        self.assertEqual(len(second.stderr.strip().splitlines()), 1, second.stderr)
        self.assertEqual(first.returncode, 0, err)
        self.assertEqual(len(self.oracle.list_all(dst)), 150)
        # Flags override the file; the lock is free again.
        p = subprocess.run([self.s3merge_path, "copy", "--job", job, "--max-requests-per-second", "500"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("skipped 150", p.stdout)
        bad = os.path.join(self.tmp.name, "bad.json")
        with open(bad, "w") as f:
            json.dump({"s3merge_job": 1, "command": "copy", "options": {"concurency": 5}}, f)
        p = subprocess.run([self.s3merge_path, "copy", "--job", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown option "concurency"', p.stderr)

    # -- JSON logs -----------------------------------------------------------------

    def test_11_json_logs_one_object_per_line_with_what_failed(self):
        src = self.bucket("teljs", 5)
        dst = self.bucket("teljsdst")
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--verify", "--log-format",
                         "json", check=1)
        events = [json.loads(line) for line in p.stderr.splitlines() if line.strip()]
        self.assertTrue(events)
        for e in events:
            self.assertTrue({"time", "level", "event", "message"} <= set(e), e)
            datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
        failures = [e for e in events if e["event"] == "failure"]
        self.assertEqual(len(failures), 5)
        self.assertEqual({e["key"] for e in failures}, {"logs/%04d.json" % i for i in range(5)})
        self.assertTrue(all(e["bucket"] == src and e["level"] == "error" for e in failures), failures)
        self.assertIn("summary", {e["event"] for e in events})
        self.assertNotIn(os.environ["AWS_SECRET_ACCESS_KEY"], p.stdout + p.stderr)
        p = self.s3merge("ls", "s3://no-such-bucket-%s" % self.tag, "--log-format", "json", check=1)
        e = json.loads(p.stderr.strip())
        self.assertEqual((e["level"], e["event"], e["bucket"]), ("error", "error", "no-such-bucket-%s" % self.tag))

    def test_13_metrics_listen_refused_before_anything_is_written(self):
        src = self.bucket("telbad", 2)
        dst = self.bucket("telbaddst")
        p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--metrics-listen", "nowhere",
                         "--no-progress", check=2)
        self.assertIn("--metrics-listen 'nowhere' is not IP:PORT", p.stderr)
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            p = self.s3merge("copy", "--source", "s3://" + src, "--dest", "s3://" + dst, "--metrics-listen",
                             "127.0.0.1:%d" % port, "--no-progress", check=2)
        self.assertIn("cannot listen on 127.0.0.1:%d" % port, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.oracle.list_all(dst), {})

    # -- the scheduled-run examples ------------------------------------------------------

    def test_12_systemd_units_pass_systemd_analyze(self):
        analyze = shutil.which("systemd-analyze")
        self.assertIsNotNone(analyze, "systemd-analyze (Debian's systemd package) is needed")
        units = os.path.join(ROOT, "docs", "examples")
        d = os.path.join(self.tmp.name, "units")
        os.makedirs(d, exist_ok=True)
        for name in ("s3merge-cloudtrail.service", "s3merge-cloudtrail.timer"):
            with open(os.path.join(units, name)) as f:
                text = f.read()
            # The unit runs the installed binary; here, the one under test.
            text = text.replace("/usr/local/bin/s3merge", self.s3merge_path)
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        p = subprocess.run([analyze, "verify", os.path.join(d, "s3merge-cloudtrail.service"),
                            os.path.join(d, "s3merge-cloudtrail.timer")], capture_output=True, text=True,
                           env=dict(os.environ, SYSTEMD_LOG_LEVEL="warning"))
        problems = [line for line in (p.stdout + p.stderr).splitlines() if "s3merge-cloudtrail" in line]
        self.assertEqual((p.returncode, problems), (0, []), p.stdout + p.stderr)
        # The service's job file is a valid job for the command it runs.
        with open(os.path.join(units, "nightly-cloudtrail.json")) as f:
            job = json.load(f)
        self.assertEqual(job["command"], "cloudtrail copy")
        p = subprocess.run([self.s3merge_path, "cloudtrail", "copy", "--job", os.path.join(units, "nightly-cloudtrail.json"),
                            "--print-job"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(units, "cronjob.yaml")) as f:
            cron = f.read()
        self.assertIn("kind: CronJob", cron)
        self.assertIn("concurrencyPolicy: Forbid", cron)
        self.assertIn("--log-format", cron)


if __name__ == "__main__":
    sys.exit(harness.main("test_telemetry.py"))
