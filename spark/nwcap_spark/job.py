"""The fleet job: captures grouped by source on the driver (``nwcap sources``,
the rule nwcap itself uses), one Spark task per source running ``nwcap flows
--dataset`` on an executor, the dataset read back as one DataFrame.

Why one task per source: a source's files are one stream (a flow crossing
from one file to the next is one flow, and a TCP connection's state needs
every packet in order), and sources never share flows; so a source is the
smallest unit that can be analysed alone and the largest that never needs
another's data. Spark balances sources over the executors' cores; nwcap
itself uses every core its task has (``spark.task.cpus``).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field

from . import binary, remote

#: Partition columns of the dataset, outermost first (nwcap's default).
DEFAULT_PARTITIONS = "source,date,hour"


@dataclass
class SourceResult:
    """What the task of one source did."""

    source: str
    files: list
    #: ``ok`` (every input read whole), ``partial`` (some input damaged or
    #: unreadable: the rest is in the dataset), ``failed`` (no rows from this
    #: run; the source's previous rows, if any, stay).
    status: str
    exit_code: int
    flows: int = 0
    packets: int = 0
    seconds: float = 0.0
    messages: list = field(default_factory=list)


@dataclass
class FleetRun:
    """The outcome of :func:`run_fleet`."""

    #: One result per source, in name order.
    sources: list
    #: The flows of this run's sources (``None`` when no source produced any
    #: file), with ``source``, ``date`` and ``hour`` columns.
    flows: object = None
    dataset: str = ""

    @property
    def failed(self) -> list:
        """Sources whose task failed or read some input partially."""
        return [s for s in self.sources if s.status != "ok"]

    def exit_code(self) -> int:
        """0 when every source is ok, 1 when some source is partial or failed,
        2 when every source failed."""
        if self.sources and all(s.status == "failed" for s in self.sources):
            return 2
        return 1 if self.failed else 0

    def report(self) -> str:
        """The job's report: one line per source, then every message of the
        sources that did not succeed."""
        lines = []
        width = max([len(s.source) for s in self.sources] + [6])
        lines.append(f"{'source':<{width}}  status   files     flows   packets  seconds")
        for s in self.sources:
            lines.append(
                f"{s.source:<{width}}  {s.status:<7} {len(s.files):>6} {s.flows:>9} {s.packets:>9} {s.seconds:>8.2f}"
            )
        for s in self.sources:
            if s.status != "ok":
                for m in s.messages:
                    lines.append(f"{s.source}: {m}")
        ok = sum(1 for s in self.sources if s.status == "ok")
        lines.append(
            f"nwcap-spark: {len(self.sources)} sources: {ok} ok, "
            f"{sum(1 for s in self.sources if s.status == 'partial')} partial, "
            f"{sum(1 for s in self.sources if s.status == 'failed')} failed"
        )
        return "\n".join(lines)


def expand(captures) -> list:
    """Local globs expanded (sorted) and local paths made absolute (the
    executors' working folder is not the driver's); remote names kept."""
    out = []
    for c in captures:
        if remote.is_remote(c):
            out.append(c)
        elif glob.has_magic(c):
            hits = sorted(glob.glob(c, recursive=True))
            if not hits:
                raise FileNotFoundError(f"no capture matches {c!r}")
            out.extend(os.path.abspath(h) for h in hits)
        else:
            out.append(os.path.abspath(c))
    return out


def plan(nwcap: str, captures: list, source_args=()) -> list:
    """``[(source, [files])]``: the captures grouped by ``nwcap sources``
    (Network Watcher's storage layout, or ``--source NAME`` /
    ``--source-per-file`` in ``source_args``), on this node."""
    if not captures:
        return []
    exe = binary.resolve(nwcap)
    done = binary.run(exe, ["sources", "--format", "json", *source_args, "--", *captures])
    if done.code != 0:
        raise RuntimeError(f"nwcap sources failed (exit {done.code}): {done.stderr.strip()}")
    return [(s["source"], s["files"]) for s in json.loads(done.stdout)]


_SUMMARY = re.compile(r"nwcap: (\d+) packets read, (\d+) flows written in ([0-9.]+) s")


def run_source(item, cfg: dict) -> dict:
    """The task of one source: fetch its remote files, run ``nwcap flows
    --dataset``; never raises (a failure is the source's result)."""
    source, files = item
    shown = [remote.redact(f) for f in files]
    start = time.monotonic()
    work = None
    try:
        exe = binary.resolve(cfg["nwcap"])

        def run(args, cwd=None):
            return binary.run(exe, args, env=cfg.get("env"), timeout=cfg.get("timeout"), cwd=cwd)

        inputs, cwd = list(files), None
        if any(remote.is_remote(f) for f in files):
            # Fetched below a folder named by the source, so the `file`
            # column holds blob names and a re-run writes the same rows.
            base = cfg.get("fetch_dir") or tempfile.gettempdir()
            work = os.path.join(base, "nwcap-fetch-" + hashlib.sha256(source.encode()).hexdigest()[:16])
            os.makedirs(work, exist_ok=True)
            inputs = []
            for f in files:
                if remote.is_remote(f):
                    inputs.append(remote.fetch(run, remote.blob_url(f), work))
                else:
                    inputs.append(os.path.abspath(f))
            cwd = work
        args = [
            "-v",
            "flows",
            "--dataset",
            os.path.abspath(cfg["dataset"]),
            "--partition-by",
            cfg["partition_by"],
            "--source",
            source,
            *cfg.get("flow_args", ()),
            "--",
            *inputs,
        ]
        done = run(args, cwd)
        messages = [l.strip() for l in done.stderr.splitlines() if l.strip() and not _SUMMARY.search(l)]
        m = _SUMMARY.search(done.stderr)
        status = {0: "ok", 1: "partial"}.get(done.code, "failed")
        if status != "failed" and not m:
            status = "failed"
            messages.append("nwcap flows did not report what it wrote")
        res = SourceResult(
            source=source,
            files=shown,
            status=status,
            exit_code=done.code,
            flows=int(m.group(2)) if m else 0,
            packets=int(m.group(1)) if m else 0,
            messages=messages,
        )
    except Exception as e:  # the source fails, the others go on
        res = SourceResult(source=source, files=shown, status="failed", exit_code=-1, messages=[str(e)])
    finally:
        if work and not cfg.get("keep_fetched"):
            shutil.rmtree(work, ignore_errors=True)
    res.seconds = time.monotonic() - start
    return asdict(res)


def read_dataset(spark, dataset: str, partition_by: str = DEFAULT_PARTITIONS, sources=None):
    """The dataset as a DataFrame, partition columns typed (``source``
    string, ``date`` date, ``hour`` int: Spark would otherwise guess a
    source named ``007`` is the number 7); only ``sources`` when given and
    the dataset is partitioned by source."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    parts = [p.strip() for p in partition_by.split(",") if p.strip() and p.strip() != "none"]
    inferred = spark.read.option("basePath", dataset).parquet(dataset).schema
    typed = {"source": T.StringType(), "date": T.DateType(), "hour": T.IntegerType()}
    fields = [f for f in inferred.fields if f.name not in parts]
    fields += [T.StructField(p, typed[p], True) for p in parts]
    df = spark.read.option("basePath", dataset).schema(T.StructType(fields)).parquet(dataset)
    if sources is not None and "source" in parts:
        df = df.where(F.col("source").isin(list(sources)))
    return df


def run_fleet(
    spark,
    captures,
    dataset: str,
    nwcap: str = "nwcap",
    partition_by: str = DEFAULT_PARTITIONS,
    source_args=(),
    flow_args=(),
    env: dict | None = None,
    fetch_dir: str | None = None,
    timeout: float | None = None,
) -> FleetRun:
    """Runs nwcap over ``captures`` (local paths or globs, blob URLs,
    ``abfss://`` paths) on the cluster, one task per source, into the
    dataset folder ``dataset`` (a path every executor writes to: local in
    local mode, ``/dbfs/...`` or ``/Volumes/...`` on Databricks, a
    ``mssparkutils`` mount on Synapse). ``nwcap`` names the binary (see
    :mod:`nwcap_spark.binary`); ``flow_args`` go to ``nwcap flows``
    (filters, timeouts, ``--columns``); ``env`` replaces the environment of
    the nwcap processes (storage credentials for remote captures)."""
    names = expand(list(captures))
    sources = plan(nwcap, names, source_args)
    cfg = {
        "nwcap": nwcap,
        "dataset": dataset,
        "partition_by": partition_by,
        "flow_args": list(flow_args),
        "env": env,
        "fetch_dir": fetch_dir,
        "timeout": timeout,
    }
    results = []
    if sources:
        sc = spark.sparkContext
        rdd = sc.parallelize(sources, numSlices=len(sources))
        results = rdd.map(lambda item: run_source(item, cfg)).collect()
    results = sorted((SourceResult(**r) for r in results), key=lambda r: r.source)
    good = [r.source for r in results if r.status != "failed"]
    flows = None
    if good and _has_parts(dataset):
        flows = read_dataset(spark, dataset, partition_by, sources=good)
    return FleetRun(sources=results, flows=flows, dataset=dataset)


def _has_parts(dataset: str) -> bool:
    for _, _, files in os.walk(dataset):
        if any(f.endswith(".parquet") and not f.startswith((".", "_")) for f in files):
            return True
    return False
