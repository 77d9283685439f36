#!/bin/bash
# benches/alt.sh N LABEL1 "CMD1" LABEL2 "CMD2" ...: runs the commands alternately,
# N rounds (one run of each per round), on a machine whose speed drifts;
# prints label, wall seconds, peak RSS (KB) and CPU seconds (user + sys) per
# run, then best and median wall, peak RSS and median CPU per label. E.g.:
#   benches/alt.sh 5 tcpdump "tcpdump -r synth.pcap -w /dev/null" \
#     flows "nwcap flows synth.pcap --format parquet -o f.parquet -q"
# Every file over 64 MiB named in a command is an input that must stay in the
# page cache: before each round, a file not wholly resident (fincore, from
# util-linux) is reported, as that round's runs read the disk. Some virtual
# machines drop the page cache within a minute (this project's did on
# 2026-12-01); hold the files there while measuring, e.g.
# `vmtouch -dl synth.pcap` (Debian package vmtouch; kill it afterwards).
n=$1; shift
labels=(); cmds=()
while [ $# -gt 0 ]; do labels+=("$1"); cmds+=("$2"); shift 2; done
out=$(mktemp)
inputs=()
for c in "${cmds[@]}"; do
  for w in $c; do
    [ -f "$w" ] && [ "$(stat -c %s "$w")" -gt $((64 << 20)) ] && inputs+=("$w")
  done
done
uncached=0
for r in $(seq 1 $n); do
  for f in "${inputs[@]}"; do
    if ! command -v fincore >/dev/null; then
      echo "alt.sh: fincore not found: page-cache residency of inputs not checked" >&2
      inputs=(); break
    fi
    read res size < <(fincore -nb -o RES,SIZE "$f")
    if [ "${res:-0}" -lt "${size:-0}" ]; then
      echo "alt.sh: round $r: $f is $((100 * res / size)) % in the page cache: this round read the disk" >&2
      uncached=$((uncached + 1))
    fi
  done
  for i in "${!cmds[@]}"; do
    /usr/bin/time -f "%e %M %U %S" -o /tmp/alt.time bash -c "${cmds[$i]}" >/dev/null 2>/tmp/alt.err || { echo "FAILED: ${cmds[$i]}"; tail -3 /tmp/alt.err; }
    read w m u s < /tmp/alt.time
    echo "${labels[$i]} $w $m $(echo "$u $s" | awk '{printf "%.2f", $1 + $2}')" | tee -a $out
  done
done
[ "$uncached" -gt 0 ] && echo "alt.sh: WARNING: $uncached input checks found files not wholly in the page cache; the times above include disk reads (see the comment at the top)" >&2
echo "== summary (label best median maxrssKB cpu-median)"
for l in "${labels[@]}"; do
  c=$(grep "^$l " $out | awk '{print $4}' | sort -n | awk '{c[NR]=$1} END {print c[int((NR+1)/2)]}')
  grep "^$l " $out | awk '{print $2, $3}' | sort -n | awk -v l="$l" -v c="$c" '{w[NR]=$1; if ($2>m) m=$2} END {printf "%s best %.2f median %.2f maxrss %d KB cpu %s s\n", l, w[1], w[int((NR+1)/2)], m, c}'
done
