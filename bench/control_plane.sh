#!/usr/bin/env bash
# Control-plane latencies: pod replacement (delete to the replacement Running and ready),
# scaling 0 -> 50 replicas on 2 nodes, and 0 -> 200 -> 0 (to all 200 Ready, then to all gone).
# Needs root and a built lab (build/lab or $LAB). RUNS (default 10) pod replacements;
# SCALE_RUNS (default 3) rounds of each scaling.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
RUNS=${RUNS:-10}
SCALE_RUNS=${SCALE_RUNS:-3}
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

give_up() {  # t0, what: a stuck scale ends the script instead of hanging it
  if (( $(ms) - $1 > 300000 )); then echo "control_plane.sh: $2 not reached after 300 s" >&2; exit 1; fi
}
# Scales to 0; prints the ms until no pod is left (terminating ones included).
to_zero() {
  local t0; t0=$(ms)
  "$LAB" scale --lab bench-cp deployment my-nginx --replicas=0 >/dev/null
  until [ -z "$("$LAB" get pods --lab bench-cp -o name 2>/dev/null)" ]; do give_up "$t0" "0 pods"; sleep 0.05; done
  echo $(( $(ms) - t0 ))
}
# Scales 0 -> N; prints the ms until all N pods are 1/1 Running.
from_zero() {
  local t0; t0=$(ms)
  "$LAB" scale --lab bench-cp deployment my-nginx --replicas="$1" >/dev/null
  until [ "$(ready)" = "$1" ]; do give_up "$t0" "$1 Ready"; sleep 0.1; done
  echo $(( $(ms) - t0 ))
}

times=()
for _ in $(seq 1 "$SCALE_RUNS"); do
  to_zero >/dev/null; sleep 1
  t=$(from_zero 50); times+=("$t")
done
printf '%s\n' "${times[@]}" | stats "scale 0 -> 50 replicas (to all Ready)"

up=() gone=()
for _ in $(seq 1 "$SCALE_RUNS"); do
  to_zero >/dev/null; sleep 1
  t=$(from_zero 200); up+=("$t")
  t=$(to_zero); gone+=("$t")
done
printf '%s\n' "${up[@]}" | stats "scale 0 -> 200 replicas (to all Ready)"
printf '%s\n' "${gone[@]}" | stats "scale 200 -> 0 replicas (to all gone)"
