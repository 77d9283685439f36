"""Reads nwcap's outputs with the data tools, as README's "Data tools"
section shows, and checks the types they see. Run by tests/datatools.rs
with the folder the outputs were written to; exits non-zero, naming every
failed check, when a type or value is not what the column table says.

Needs duckdb, pyarrow, pandas and zat (pip; .ci/run installs them).
"""

import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from zat.log_to_dataframe import LogToDataFrame
from zat.zeek_log_reader import ZeekLogReader

d = Path(sys.argv[1])
failed = []


def check(what, got, want):
    if got != want:
        failed.append(f"{what}: got {got!r}, want {want!r}")


schema_json = json.loads((d / "schema.json").read_text())
duckdb_columns = (d / "duckdb-columns.txt").read_text().strip()


def arrow_type(name):
    if name.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC")
    return pa.type_for_alias(name)


arrow_schema = pa.schema([(c["name"], arrow_type(c["arrow"])) for c in schema_json])
duck_want = {c["name"]: c["duckdb"] for c in schema_json}
# DuckDB's names for the types it reports.
DUCK_NAMES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


def duck_types(sql):
    return {r[0]: r[1] for r in duckdb.sql(f"DESCRIBE {sql}").fetchall()}


# The types every reader must see (inferred or given).
KEY = {
    "ts": "TIMESTAMP WITH TIME ZONE",
    "duration": "DOUBLE",
    "orig_bytes": "BIGINT",
    "orig_pkts": "BIGINT",
    "orig_wire_bytes": "BIGINT",
}
INT_KEY = ("orig_p", "resp_p")

# --- Parquet: DuckDB and pyarrow take it as is.
t = duck_types(f"SELECT * FROM '{d}/flows.parquet'")
for c, want in KEY.items():
    check(f"duckdb parquet {c}", t.get(c), want)
for c in INT_KEY:
    check(f"duckdb parquet {c}", t.get(c), "INTEGER")
ps = pq.read_schema(d / "flows.parquet")
# polars writes the Arrow schema with view types: text is string_view.
viewless = pa.schema([(f.name, pa.string() if f.type == pa.string_view() else f.type) for f in ps])
check("pyarrow parquet schema", viewless, arrow_schema)
parquet_ts = pq.read_table(d / "flows.parquet", columns=["uid", "ts"])
parquet_ts = pa.table({"uid": parquet_ts["uid"].cast(pa.string()), "ts": parquet_ts["ts"]})

# --- CSV and NDJSON, types inferred from the values (a capture with
# values in these columns).
for f in ("flows.csv", "flows.ndjson"):
    t = duck_types(f"SELECT * FROM '{d}/{f}'")
    for c, want in KEY.items():
        check(f"duckdb {f} {c}", t.get(c), want)
    for c in INT_KEY:
        check(f"duckdb {f} {c} is an integer", t.get(c) in ("INTEGER", "BIGINT"), True)

# --- CSV and NDJSON with the schema of `nwcap schema`: the column table's
# types even for columns null in every row (vxlan.*: no TCP, no VLAN).
for f, reader in (("vxlan.csv", "read_csv"), ("vxlan.ndjson", "read_json")):
    t = duck_types(f"SELECT * FROM {reader}('{d}/{f}', columns = {duckdb_columns})")
    for name, want in duck_want.items():
        check(f"duckdb {f} {name}", t.get(name), DUCK_NAMES.get(want, want))
    null_rtt = duckdb.sql(
        f"SELECT count(*) FROM {reader}('{d}/{f}', columns = {duckdb_columns}) WHERE handshake_rtt IS NOT NULL"
    ).fetchall()[0][0]
    check(f"duckdb {f} handshake_rtt is null in every row", null_rtt, 0)
tc = pacsv.read_csv(
    d / "vxlan.csv", convert_options=pacsv.ConvertOptions(column_types=arrow_schema)
)
check("pyarrow vxlan.csv schema", tc.schema, arrow_schema)
tj = pajson.read_json(
    d / "vxlan.ndjson", parse_options=pajson.ParseOptions(explicit_schema=arrow_schema)
)
check("pyarrow vxlan.ndjson schema", tj.schema, arrow_schema)
# And the file with values: same schema, same instants as the Parquet.
tc = pacsv.read_csv(
    d / "flows.csv", convert_options=pacsv.ConvertOptions(column_types=arrow_schema)
)
check("pyarrow flows.csv schema", tc.schema, arrow_schema)
check("pyarrow flows.csv ts = parquet ts", tc["ts"].equals(parquet_ts["ts"]), True)

# --- Zeek TSV: zat's readers.
fields = types = None
for line in (d / "conn.log").read_text().splitlines():
    if line.startswith("#fields\t"):
        fields = line.split("\t")[1:]
    if line.startswith("#types\t"):
        types = line.split("\t")[1:]
check("zeek fields", fields[:6], ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"])
zdf = LogToDataFrame().create_dataframe(str(d / "conn.log"), ts_index=False)
check("zat ts", str(zdf["ts"].dtype), "datetime64[ns]")
check("zat duration", str(zdf["duration"].dtype), "timedelta64[ns]")
check("zat id.orig_p", str(zdf["id.orig_p"].dtype), "UInt16")
check("zat orig_bytes", str(zdf["orig_bytes"].dtype), "UInt64")
check("zat orig_pkts", str(zdf["orig_pkts"].dtype), "UInt64")
check("zat rows", len(zdf), parquet_ts.num_rows)
rows = list(ZeekLogReader(str(d / "conn.log")).readrows())
check("ZeekLogReader rows", len(rows), parquet_ts.num_rows)

# orig_bytes (Zeek: payload, TCP sequence space) equals orig_payload (the
# sum of payload lengths) wherever no retransmission or reordering makes
# them differ; Zeek leaves them unset when the duration is 0.
pay = pacsv.read_csv(d / "payload.csv").to_pandas()
m = zdf.merge(pay, on="uid", suffixes=("", "_nwcap"))
check("payload rows joined", len(m), len(zdf))
clean = m[(m.retransmits == 0) & (m.out_of_order == 0)]
set_ = clean[clean.orig_bytes.notna()]
check("some flows compared", len(set_) > 50, True)
for side in ("orig", "resp"):
    bad = set_[set_[f"{side}_bytes"].astype("int64") != set_[f"{side}_payload"]]
    check(f"{side}_bytes == {side}_payload", list(bad.uid), [])
unset = clean[clean.orig_bytes.isna()]
check("unset only for a zero duration", bool((unset.duration_nwcap == 0).all()), True)

# DuckDB and pyarrow on the Zeek TSV: the #fields/#types header gives the
# columns; `time` is epoch seconds.
ZEEK_DUCK = {"time": "DOUBLE", "interval": "DOUBLE", "count": "UBIGINT", "int": "BIGINT",
             "port": "INTEGER", "double": "DOUBLE", "bool": "BOOLEAN"}
cols = "{" + ", ".join(f"'{f}': '{ZEEK_DUCK.get(t, 'VARCHAR')}'" for f, t in zip(fields, types)) + "}"
zeek_sql = (f"SELECT to_timestamp(ts) AS ts, * EXCLUDE (ts) FROM read_csv('{d}/conn.log', "
            f"delim='\\t', comment='#', header=false, nullstr='-', quote='', auto_detect=false, columns={cols})")
t = duck_types(zeek_sql)
check("duckdb zeek ts", t.get("ts"), "TIMESTAMP WITH TIME ZONE")
check("duckdb zeek duration", t.get("duration"), "DOUBLE")
check("duckdb zeek id.orig_p", t.get("id.orig_p"), "INTEGER")
check("duckdb zeek orig_pkts", t.get("orig_pkts"), "UBIGINT")
n = duckdb.sql(f"SELECT count(*) FROM ({zeek_sql})").fetchall()[0][0]
check("duckdb zeek rows", n, parquet_ts.num_rows)
ZEEK_ARROW = {"time": pa.float64(), "interval": pa.float64(), "count": pa.uint64(),
              "int": pa.int64(), "port": pa.uint16(), "double": pa.float64()}
zt = pacsv.read_csv(
    d / "conn.log",
    read_options=pacsv.ReadOptions(skip_rows=8, column_names=fields),
    parse_options=pacsv.ParseOptions(
        delimiter="\t", quote_char=False,
        invalid_row_handler=lambda row: "skip" if row.text.startswith("#close") else "error"),
    convert_options=pacsv.ConvertOptions(
        null_values=["-"], strings_can_be_null=True,
        column_types={f: ZEEK_ARROW.get(t, pa.string()) for f, t in zip(fields, types)}),
)
ts = pc.cast(pc.round(pc.multiply(zt["ts"], 1e6)), pa.int64()).cast(pa.timestamp("us", tz="UTC"))
zeek_ts = pa.table({"uid": zt["uid"], "ts": ts}).sort_by("uid")
check("pyarrow zeek ts = parquet ts", zeek_ts["ts"].equals(parquet_ts.sort_by("uid")["ts"]), True)

# --- Zeek JSON: pandas reads it as Zeek's JSON logs are read.
zj = pajson.read_json(d / "conn.ndjson")
check("pyarrow zeek-json id.orig_p", zj.schema.field("id.orig_p").type, pa.int64())
check("pyarrow zeek-json ts", zj.schema.field("ts").type, pa.float64())
check("pyarrow zeek-json rows", zj.num_rows, parquet_ts.num_rows)

if failed:
    print("\n".join(failed))
    sys.exit(1)
print("data tools read every format with the column table's types")
