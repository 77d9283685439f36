#!/bin/bash
# benches/alt.sh N LABEL1 "CMD1" LABEL2 "CMD2" ...: runs the commands alternately,
# N rounds (one run of each per round), on a machine whose speed drifts;
# prints label, wall seconds and peak RSS (KB) per run, then best, median
# and peak RSS per label. E.g.:
#   benches/alt.sh 5 tcpdump "tcpdump -r synth.pcap -w /dev/null" \
#     flows "nwcap flows synth.pcap --format parquet -o f.parquet -q"
n=$1; shift
labels=(); cmds=()
while [ $# -gt 0 ]; do labels+=("$1"); cmds+=("$2"); shift 2; done
out=$(mktemp)
for r in $(seq 1 $n); do
  for i in "${!cmds[@]}"; do
    /usr/bin/time -f "%e %M" -o /tmp/alt.time bash -c "${cmds[$i]}" >/dev/null 2>/tmp/alt.err || { echo "FAILED: ${cmds[$i]}"; tail -3 /tmp/alt.err; }
    read w m < /tmp/alt.time
    echo "${labels[$i]} $w $m" | tee -a $out
  done
done
echo "== summary (label best median maxrssKB)"
for l in "${labels[@]}"; do
  grep "^$l " $out | awk -v l="$l" '{print $2, $3}' | sort -n | awk -v l="$l" '{w[NR]=$1; if ($2>m) m=$2} END {printf "%s best %.2f median %.2f maxrss %d KB\n", l, w[1], w[int((NR+1)/2)], m}'
done
