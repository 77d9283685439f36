#!/usr/bin/env bash
# Time `nwcap fetch --parallel 8` against `curl -o` for the same blob, on
# Azurite over loopback. Usage: benches/fetch_bench.sh [SIZE_MIB] (default 1024).
# Needs node (npm ci), curl, a release build. Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
PORT=${PORT:-10123}
ACCOUNT=devstoreaccount1
export AZURE_STORAGE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
[ -x node_modules/.bin/azurite-blob ] || npm ci --no-audit --no-fund
cargo build --release -q --bin nwcap
cargo build --release -q -p nwcap-fetch --example sign_sas
TARGET=${CARGO_TARGET_DIR:-target}
NWCAP=$TARGET/release/nwcap
SIGN=$TARGET/release/examples/sign_sas
WORK=$(mktemp -d)
node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort "$PORT" --inMemoryPersistence \
  --skipApiVersionCheck --loose --silent --disableTelemetry >/dev/null 2>&1 &
AZ=$!
trap 'kill $AZ 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
EP=http://127.0.0.1:$PORT/$ACCOUNT
C=network-watcher-logs
B=subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm/2025/01/31/packetcapture_bench.cap
ASAS=$($SIGN $ACCOUNT $C rwdlac account)
curl -sf -X PUT -H 'x-ms-version: 2021-12-02' "$EP/$C?restype=container&$ASAS" -o /dev/null
head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/src.cap"
# Put Blob in 256 MiB blocks + Put Block List (no Content-MD5, like a large capture).
split -b 256M -d -a 3 "$WORK/src.cap" "$WORK/blk."
LIST='<?xml version="1.0" encoding="utf-8"?><BlockList>'
for f in "$WORK"/blk.*; do
  ID=$(printf 'block-%s' "${f##*.}" | base64)
  IDQ=$(printf %s "$ID" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
  curl -sf -X PUT -H 'x-ms-version: 2021-12-02' --data-binary @"$f" "$EP/$C/$B?comp=block&blockid=$IDQ&$ASAS" -o /dev/null
  LIST="$LIST<Latest>$ID</Latest>"; rm -f "$f"
done
curl -sf -X PUT -H 'x-ms-version: 2021-12-02' --data "$LIST</BlockList>" "$EP/$C/$B?comp=blocklist&$ASAS" -o /dev/null
URL="$EP/$C/$B?$($SIGN $ACCOUNT $C rl)"
WANT=$(sha256sum < "$WORK/src.cap" | cut -d' ' -f1)
rm -f "$WORK/src.cap"
echo "blob: $SIZE_MIB MiB on Azurite at 127.0.0.1:$PORT ($(nproc) cores)"
t0=$(date +%s.%N); curl -sf -o "$WORK/curl.cap" "$URL"; t1=$(date +%s.%N)
echo "curl -o:                  $(echo "$t1 - $t0" | bc -l | xargs printf %.2f) s  $(echo "$SIZE_MIB / ($t1 - $t0)" | bc -l | xargs printf %.0f) MiB/s"
[ "$(sha256sum < "$WORK/curl.cap" | cut -d' ' -f1)" = "$WANT" ] || { echo "curl: sha256 mismatch"; exit 1; }
rm -f "$WORK/curl.cap"
for P in 1 8; do
  rm -rf "$WORK/out"
  t0=$(date +%s.%N); $NWCAP fetch "$URL" -o "$WORK/out" --parallel $P --quiet >/dev/null; t1=$(date +%s.%N)
  echo "nwcap fetch --parallel $P: $(echo "$t1 - $t0" | bc -l | xargs printf %.2f) s  $(echo "$SIZE_MIB / ($t1 - $t0)" | bc -l | xargs printf %.0f) MiB/s"
  [ "$(sha256sum < "$WORK/out/$B" | cut -d' ' -f1)" = "$WANT" ] || { echo "nwcap: sha256 mismatch"; exit 1; }
done
