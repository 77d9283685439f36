"""The command line of the fleet job.

    python -m nwcap_spark --dataset DIR [--nwcap NAME_OR_PATH] [--master URL]
        [--partition-by COLS] [--source NAME | --source-per-file]
        [--flow-arg=ARG ...] [--query NAME ...] [-n N] CAPTURE...

CAPTUREs are local paths or globs (quote them), blob URLs or ``abfss://``
paths. The report goes to stderr, the queries' results to stdout. Exit
status: 0 when every source succeeded, 1 when some source failed or read
some input partially (the others are in the dataset), 2 when all failed or
the job could not run.
"""

from __future__ import annotations

import argparse
import sys

from . import queries
from .job import DEFAULT_PARTITIONS, run_fleet


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nwcap-spark", description=__doc__.split("\n\n")[0])
    p.add_argument("captures", nargs="+", metavar="CAPTURE")
    p.add_argument("--dataset", required=True, help="dataset folder every executor writes to")
    p.add_argument("--nwcap", default="nwcap", help="nwcap binary: a path, a file shipped with --files, or a name on PATH")
    p.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    p.add_argument("--partition-by", default=DEFAULT_PARTITIONS)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--source", help="every capture is one source named SOURCE")
    g.add_argument("--source-per-file", action="store_true", help="every capture is its own source")
    p.add_argument("--flow-arg", action="append", default=[], metavar="ARG",
                   help="argument for nwcap flows (repeatable; --flow-arg=--protocol --flow-arg=TCP)")
    p.add_argument("--query", action="append", choices=sorted(queries.ALL), default=[],
                   help="fleet query to print (repeatable)")
    p.add_argument("-n", type=int, default=10, help="rows of top-talkers")
    p.add_argument("--fetch-dir", help="folder for captures fetched from storage (default: the temp folder)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from pyspark.sql import SparkSession

    # Times in UTC as nwcap prints them; no progress bars between the
    # lines of the report.
    b = (
        SparkSession.builder.appName("nwcap-fleet")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if args.master:
        b = b.master(args.master)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    source_args = []
    if args.source:
        source_args = ["--source", args.source]
    elif args.source_per_file:
        source_args = ["--source-per-file"]
    try:
        run = run_fleet(
            spark,
            args.captures,
            args.dataset,
            nwcap=args.nwcap,
            partition_by=args.partition_by,
            source_args=source_args,
            flow_args=args.flow_arg,
            fetch_dir=args.fetch_dir,
        )
    except Exception as e:
        print(f"nwcap-spark: error: {e}", file=sys.stderr)
        return 2
    print(run.report(), file=sys.stderr)
    if run.flows is not None and args.query:
        queries.register(run.flows)
        for q in args.query:
            df = queries.top_talkers(spark, args.n) if q == "top-talkers" else queries.ALL[q](spark)
            print(f"== {q}")
            df.show(n=1000, truncate=False)
    return run.exit_code()
