#!/usr/bin/env bash
# The fleet benchmark of README "At fleet scale": 64 captures of about 70 MB
# (127,000 packets, 3,200 flows each, ../shared/tools/gen_pcap.py) from 8
# VMs laid out as Network Watcher stores them (8 hourly captures per VM),
# analysed (1) by `nwcap flows --dataset` per source in a shell loop and
# (2) by the Spark job in local[2] mode, each into its own dataset; prints
# the wall time of each and checks both datasets hold the same rows.
# Usage: benches/spark_fleet_bench.sh [WORK_DIR] (default: a temp folder,
# removed at the end; about 4.6 GB of captures). Needs a release build
# (cargo build --release --bin nwcap), Java 17 and pyspark.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NWCAP=${NWCAP:-${CARGO_TARGET_DIR:-target}/release/nwcap}
NWCAP=$(realpath "$NWCAP")
GEN=${GEN:-../shared/tools/gen_pcap.py}
WORK=${1:-}
if [ -z "$WORK" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
CAPS=$WORK/caps
SUB=subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg1/providers/microsoft.compute/virtualmachines
BASE=1740787200 # 2025-03-01 00:00:00 UTC
if [ ! -f "$WORK/.generated" ]; then
  echo "== generating 64 captures below $CAPS"
  for vm in 1 2 3 4 5 6 7 8; do
    for h in 0 1 2 3 4 5 6 7; do
      out=$CAPS/$SUB/vm$vm/2025/03/01/packetcapture_$(printf %02d "$h")_00_00_000.cap
      mkdir -p "$(dirname "$out")"
      python3 "$GEN" -o "$out" -n 127000 -f 3200 --duration 3600 \
        --start $((BASE + h * 3600)) --seed $((vm * 100 + h)) >/dev/null
    done
  done
  touch "$WORK/.generated"
fi
du -sh "$CAPS"
FILES=$(find "$CAPS" -name '*.cap' | sort)
echo "== nwcap flows --dataset per source, in a shell loop"
rm -rf "$WORK/ds-loop"
start=$(date +%s.%N)
"$NWCAP" sources $FILES > "$WORK/sources.tsv"
for src in $(cut -f1 "$WORK/sources.tsv" | uniq); do
  # shellcheck disable=SC2046
  "$NWCAP" flows --dataset "$WORK/ds-loop" --source "$src" \
    $(awk -F'\t' -v s="$src" '$1 == s { print $2 }' "$WORK/sources.tsv")
done
end=$(date +%s.%N)
LOOP=$(echo "$end - $start" | bc)
echo "loop: $LOOP s"
echo "== the Spark job, local[2]"
rm -rf "$WORK/ds-spark"
start=$(date +%s.%N)
PYTHONPATH=$ROOT/spark python3 -m nwcap_spark --master 'local[2]' --nwcap "$NWCAP" \
  --dataset "$WORK/ds-spark" --query per-source "$CAPS/**/*.cap"
end=$(date +%s.%N)
SPARK=$(echo "$end - $start" | bc)
echo "spark: $SPARK s (the job's command line: session start, planning, tasks, reading the dataset back, one query)"
echo "== same rows?"
python3 - "$WORK/ds-loop" "$WORK/ds-spark" <<'EOF'
import sys
import pyarrow.dataset as ds
a, b = (ds.dataset(p, format="parquet", partitioning="hive").to_table(columns=["uid"]).column("uid").to_pylist() for p in sys.argv[1:])
print(f"rows: loop {len(a)}, spark {len(b)}, same uids: {sorted(a) == sorted(b)}")
sys.exit(0 if sorted(a) == sorted(b) else 1)
EOF
echo "loop $LOOP s, spark $SPARK s, Spark's overhead $(echo "$SPARK - $LOOP" | bc) s"
