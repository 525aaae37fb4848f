#!/usr/bin/env bash
# Recovery after a daemon crash during a 100-pod start: `lab up` of 100 pods (2 nodes), then
# `lab scale` 100 -> 0 -> 100 and a SIGKILL of the daemon while the pods start. Prints, per run,
# how many pods existed at the kill, how long the next command took to answer (the restart:
# load the store, adopt the pods, kill orphaned starters), and how long until all 100 pods are
# Running again, and how much of that is beyond the pace of the same scale without a kill (the
# recovery's own cost). Needs root and a built lab (build/lab or $LAB). RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
RUNS=${RUNS:-5}
L=bench-recovery
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab $L >/dev/null 2>&1 || true' EXIT
sed 's/replicas: 2/replicas: 100/' scenarios/tutorial.yaml >"$tmp/pods100.yaml"

now() { date +%s.%N; }
running() { "$LAB" get pods --lab $L --no-headers 2>/dev/null | awk '$3 == "Running"' | wc -l; }
"$LAB" up "$tmp/pods100.yaml" --name $L >/dev/null
# The pace without a kill, to tell recovery from the cost of starting the pods left to start.
"$LAB" scale deployment my-nginx --replicas=0 --lab $L >/dev/null
while [ "$("$LAB" get pods --lab $L --no-headers 2>/dev/null | wc -l)" != 0 ]; do sleep 0.1; done
b0=$(now)
"$LAB" scale deployment my-nginx --replicas=100 --lab $L >/dev/null
while [ "$(running)" != 100 ]; do sleep 0.05; done
pace=$(awk -v a="$b0" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) * 1000 / 100 }')
echo "no kill: scale 0 -> 100 took $(awk -v p="$pace" 'BEGIN { printf "%.3f", p / 10 }') s ($pace ms a pod)"
for run in $(seq 1 "$RUNS"); do
  "$LAB" scale deployment my-nginx --replicas=0 --lab $L >/dev/null
  while [ "$("$LAB" get pods --lab $L --no-headers 2>/dev/null | wc -l)" != 0 ]; do sleep 0.1; done
  "$LAB" scale deployment my-nginx --replicas=100 --lab $L >/dev/null
  sleep 0.$((3 + RANDOM % 5))
  pid=$(cat /run/lab/$L/daemon.pid)
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  at_kill=$(pgrep -fc "^lab-pod-init .*--lab=$L( |\$)" || true)
  t0=$(now)
  "$LAB" get deployment my-nginx --lab $L >/dev/null
  t1=$(now)
  while [ "$(running)" != 100 ]; do sleep 0.05; done
  t2=$(now)
  # The recovery's own cost: the time to all Running beyond what the pods left to start take
  # at the pace without a kill.
  awk -v k="$at_kill" -v a="$t0" -v b="$t1" -v c="$t2" -v r="$run" -v p="$pace" 'BEGIN {
    printf "run %d: %3d of 100 pods at the kill; next command answered in %.3f s; all 100 Running %.3f s after the kill (%.1f ms a remaining pod); beyond the pace without a kill: %.3f s\n",
      r, k, b - a, c - a, (c - a) * 1000 / (100 - k > 0 ? 100 - k : 1), (c - a) - (100 - k) * p / 1000 }'
done
