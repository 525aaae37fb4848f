#!/usr/bin/env bash
# Times `lab up` and `lab down` for the tutorial (2 pods) and for 100 pods on 2 nodes, several
# runs each, printing median and min/max. Needs root and a built lab (build/lab or $LAB).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab bench >/dev/null 2>&1 || true' EXIT

sed 's/replicas: 2/replicas: 100/' scenarios/tutorial.yaml >"$tmp/pods100.yaml"

now() { date +%s.%N; }
stats() {  # label, then seconds on stdin
  sort -n | awk -v label="$1" '{a[NR]=$1} END {
    printf "%-34s median %7.3f s   min %7.3f s   max %7.3f s   (%d runs)\n", label, a[int((NR+1)/2)], a[1], a[NR], NR }'
}

bench() {  # label, scenario
  local up=() down=()
  for _ in $(seq 1 "$RUNS"); do
    local t0 t1 t2
    t0=$(now); "$LAB" up "$2" --name bench >/dev/null; t1=$(now)
    "$LAB" down --lab bench >/dev/null; t2=$(now)
    up+=("$(awk "BEGIN{print $t1 - $t0}")"); down+=("$(awk "BEGIN{print $t2 - $t1}")")
    # The kernel frees dead namespaces asynchronously; let it settle between runs.
    sleep 1
  done
  printf '%s\n' "${up[@]}" | stats "lab up   ($1)"
  printf '%s\n' "${down[@]}" | stats "lab down ($1)"
}

echo "lab up/down on $(nproc) cores, kernel $(uname -r)"
bench "tutorial: 2 nodes, 2 pods" scenarios/tutorial.yaml
bench "100 pods on 2 nodes" "$tmp/pods100.yaml"
