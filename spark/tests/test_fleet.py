"""The fleet job on PySpark ``local[2]`` over generated captures
(:mod:`fleetcaps`): 13 files of 5 sources, one conversation captured at both
ends, one source split into 3 files that a flow crosses.

Run from the repository root (``cargo test --test tests spark::`` does it):

    NWCAP_BIN=target/debug/nwcap PYTHONPATH=spark python3 -m unittest discover -s spark/tests -v

``NWCAP_BIN`` names the nwcap binary; Java 17 and pyspark must be installed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import fleetcaps  # noqa: E402

from nwcap_spark import job, queries  # noqa: E402

NWCAP = os.environ.get("NWCAP_BIN") or os.path.join(HERE, "..", "..", "target", "debug", "nwcap")


def nwcap(*args) -> str:
    p = subprocess.run([NWCAP, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"nwcap {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p.stdout


def snapshot(root: str) -> dict:
    """Every file below ``root`` (hidden ones too) -> SHA-256."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


class Fleet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from pyspark.sql import SparkSession

        cls.tmp = tempfile.mkdtemp(prefix="nwcap-spark-test-")
        cls.caps = os.path.join(cls.tmp, "caps")
        cls.fleet = fleetcaps.generate(cls.caps)
        cls.spark = (
            SparkSession.builder.master("local[2]")
            .appName("nwcap-fleet-test")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        cls.spark.sparkContext.setLogLevel("ERROR")
        cls.dataset = os.path.join(cls.tmp, "dataset")
        cls.glob = os.path.join(cls.caps, "**", "*.cap")
        cls.result = job.run_fleet(cls.spark, [cls.glob], cls.dataset, nwcap=NWCAP)
        print(cls.result.report(), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.spark.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def files(self, source):
        return self.fleet["files"][source]

    def test_every_source_ran_once_as_planned(self):
        run = self.result
        self.assertEqual(run.exit_code(), 0, run.report())
        self.assertEqual([s.source for s in run.sources], ["db1", "ss_0", "ss_1", "ss_2", "web1"])
        all_files = sum(self.fleet["files"].values(), [])
        self.assertGreaterEqual(len(all_files), 12)
        for s in run.sources:
            self.assertEqual(sorted(s.files), sorted(self.files(s.source)), s.source)
            self.assertEqual(s.status, "ok")
        # The dataset's layout.
        names = sorted(os.listdir(self.dataset))
        self.assertEqual(names, ["source=db1", "source=ss_0", "source=ss_1", "source=ss_2", "source=web1"])
        hours = sorted(os.listdir(os.path.join(self.dataset, "source=db1", "date=2025-03-01")))
        self.assertEqual(hours, ["hour=10", "hour=11", "hour=12"])
        for d, _, files in os.walk(self.dataset):
            for f in files:
                self.assertRegex(f, r"^part-\d{5}-[0-9a-f]{16}\.parquet$", d)

    def test_rows_are_the_per_source_flows(self):
        df = self.result.flows
        total = 0
        queries.register(df)
        counts = {r["source"]: r["flows"] for r in queries.per_source(self.spark).collect()}
        for s in self.result.sources:
            out = nwcap("flows", "--source", s.source, "--format", "csv", "--columns", "uid", *self.files(s.source))
            n = len(out.strip().splitlines()) - 1
            self.assertEqual(counts[s.source], n, s.source)
            self.assertEqual(s.flows, n, s.source)
            total += n
        self.assertEqual(df.count(), total)
        self.assertEqual(df.select("uid").distinct().count(), total, "duplicate uid")

    def test_fleet_top_talkers_equal_nwcap_top_per_source_summed(self):
        sums = defaultdict(lambda: [0, 0, 0, 0, 0])
        for s in self.result.sources:
            out = nwcap("top", "--by", "talkers", "-n", "1000000", "--format", "csv", "--source", s.source, *self.files(s.source))
            for r in csv.DictReader(io.StringIO(out)):
                acc = sums[r["addr"]]
                for i, k in enumerate(["flows", "pkts", "bytes", "tx_bytes", "rx_bytes"]):
                    acc[i] += int(r[k])
        want = sorted(sums.items(), key=lambda kv: (-kv[1][2], -kv[1][1], -kv[1][0], kv[0]))[:25]
        queries.register(self.result.flows)
        got = [
            (r["addr"], [r["flows"], r["pkts"], r["bytes"], r["tx_bytes"], r["rx_bytes"]])
            for r in queries.top_talkers(self.spark, 25).collect()
        ]
        self.assertEqual(got, want)

    def test_the_flow_crossing_three_files_is_one_row(self):
        from pyspark.sql import functions as F

        c, cp, s, sp = fleetcaps.CROSSING
        rows = (
            self.result.flows.where((F.col("orig_h") == c) & (F.col("orig_p") == cp) & (F.col("resp_h") == s) & (F.col("resp_p") == sp))
            .select("source", "orig_pkts", "resp_pkts", "conn_state", "file")
            .collect()
        )
        self.assertEqual(len(rows), 1, rows)
        r = rows[0]
        self.assertEqual(r["source"], "web1")
        self.assertEqual(r["orig_pkts"] + r["resp_pkts"], self.fleet["crossing_pkts"])
        self.assertEqual(r["conn_state"], "SF")
        self.assertTrue(r["file"].endswith("web1_000.cap"), r["file"])

    def test_the_two_ended_conversation_is_two_rows_with_one_community_id(self):
        from pyspark.sql import functions as F

        c, cp, s, sp = fleetcaps.TWO_ENDED
        rows = (
            self.result.flows.where((F.col("orig_h") == c) & (F.col("orig_p") == cp) & (F.col("resp_h") == s) & (F.col("resp_p") == sp))
            .select("source", "community_id", "uid", "orig_pkts", "resp_pkts")
            .orderBy("source")
            .collect()
        )
        self.assertEqual([r["source"] for r in rows], ["db1", "web1"])
        self.assertEqual(rows[0]["community_id"], rows[1]["community_id"])
        self.assertNotEqual(rows[0]["uid"], rows[1]["uid"])
        for r in rows:
            self.assertEqual(r["orig_pkts"] + r["resp_pkts"], self.fleet["two_ended_pkts"])
        queries.register(self.result.flows)
        seen = queries.seen_twice(self.spark).collect()
        self.assertEqual(len(seen), 1, seen)
        pair = seen[0]
        self.assertEqual((pair["source_a"], pair["source_b"]), ("db1", "web1"))
        self.assertEqual(pair["community_id"], rows[0]["community_id"])
        self.assertAlmostEqual(pair["skew_s"], -fleetcaps.SKEW, places=6)

    def test_conn_state_mix_per_source(self):
        queries.register(self.result.flows)
        mix = queries.conn_state_mix(self.spark).collect()
        by_source = defaultdict(dict)
        for r in mix:
            by_source[r["source"]][r["conn_state"]] = r["flows"]
        self.assertEqual(sorted(by_source), ["db1", "ss_0", "ss_1", "ss_2", "web1"])
        for states in by_source.values():
            self.assertIn("SF", states)
            self.assertIn("REJ", states)
        per = {r["source"]: r["flows"] for r in queries.per_source(self.spark).collect()}
        for source, states in by_source.items():
            self.assertEqual(sum(states.values()), per[source])

    def test_zz_a_second_run_leaves_the_dataset_identical(self):
        before = snapshot(self.dataset)
        again = job.run_fleet(self.spark, [self.glob], self.dataset, nwcap=NWCAP)
        self.assertEqual(again.exit_code(), 0, again.report())
        after = snapshot(self.dataset)
        self.assertEqual(before, after)
        self.assertFalse([f for f in after if os.path.basename(f).startswith(".")], "temporary files left")


class FailingSource(unittest.TestCase):
    """One unreadable capture fails its own source; the others complete; the
    exit status says a source failed (the job's command line, in its own
    Spark)."""

    def test_a_bad_capture_fails_its_source_only(self):
        tmp = tempfile.mkdtemp(prefix="nwcap-spark-bad-")
        try:
            caps = os.path.join(tmp, "caps")
            fleet = fleetcaps.generate(caps, flows_per_file=10)
            bad = fleetcaps.bad_source(caps)
            good = fleet["files"]["ss_2"] + fleet["files"]["db1"]
            dataset = os.path.join(tmp, "dataset")
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")]))
            p = subprocess.run(
                [sys.executable, "-m", "nwcap_spark", "--master", "local[2]", "--dataset", dataset, "--nwcap", NWCAP,
                 "--query", "per-source", bad, *good],
                capture_output=True, text=True, env=env, timeout=600,
            )
            self.assertEqual(p.returncode, 1, p.stderr)
            report = p.stderr
            self.assertRegex(report, r"(?m)^bad1\s+failed\s+1\s+0\s")
            self.assertRegex(report, r"(?m)^db1\s+ok\s+3\s")
            self.assertRegex(report, r"(?m)^ss_2\s+ok\s+1\s")
            self.assertIn("bad1: nwcap: error:", report)
            self.assertIn("packetcapture_10_00_00_000.cap", report)
            self.assertIn("nwcap-spark: 3 sources: 2 ok, 0 partial, 1 failed", report)
            self.assertEqual(sorted(os.listdir(dataset)), ["source=db1", "source=ss_2"])
            # The query's table: the two good sources.
            self.assertRegex(p.stdout, r"\|db1 +\|")
            self.assertRegex(p.stdout, r"\|ss_2 +\|")
            self.assertNotIn("bad1", p.stdout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
