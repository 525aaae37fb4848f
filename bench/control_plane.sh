#!/usr/bin/env bash
# Control-plane latencies: pod replacement (delete to the replacement Running and ready) and
# scaling 0 -> 50 replicas on 2 nodes. Needs root and a built lab (build/lab or $LAB).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
RUNS=${RUNS:-10}
trap '"$LAB" down --lab bench-cp >/dev/null 2>&1 || true' EXIT
"$LAB" up scenarios/tutorial.yaml --name bench-cp >/dev/null
ms() { echo $(( $(date +%s%N) / 1000000 )); }
ready() { "$LAB" get pods --lab bench-cp --no-headers 2>/dev/null | grep -c '1/1 *Running' || true; }
stats() {
  sort -n | awk -v label="$1" '{a[NR]=$1} END {
    printf "%-40s median %6d ms   min %6d ms   max %6d ms   (%d runs)\n", label, a[int((NR+1)/2)], a[1], a[NR], NR }'
}

times=()
for _ in $(seq 1 "$RUNS"); do
  victim=$("$LAB" get pods --lab bench-cp -o name | head -1 | cut -d/ -f2)
  t0=$(ms)
  "$LAB" delete pod --lab bench-cp "$victim" --wait=false >/dev/null
  # Ready again: two 1/1 Running pods, neither of them the victim.
  until [ "$("$LAB" get pods --lab bench-cp --no-headers | grep -v "^$victim " | grep -c '1/1 *Running')" = 2 ]; do sleep 0.005; done
  times+=($(( $(ms) - t0 )))
  sleep 0.3
done
printf '%s\n' "${times[@]}" | stats "pod replacement (delete to Ready)"

times=()
for _ in $(seq 1 3); do
  "$LAB" scale --lab bench-cp deployment my-nginx --replicas=0 >/dev/null
  until [ -z "$("$LAB" get pods --lab bench-cp -o name 2>/dev/null)" ]; do sleep 0.05; done
  sleep 1
  t0=$(ms)
  "$LAB" scale --lab bench-cp deployment my-nginx --replicas=50 >/dev/null
  until [ "$(ready)" = 50 ]; do sleep 0.1; done
  times+=($(( $(ms) - t0 )))
done
printf '%s\n' "${times[@]}" | stats "scale 0 -> 50 replicas (to all Ready)"
