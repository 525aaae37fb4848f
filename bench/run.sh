#!/usr/bin/env bash
# Times `lab up` and `lab down` for the tutorial (2 pods) and for 100 pods on 2 nodes, several
# runs each, printing median and min/max; then 1,000 nginx pods on 4 nodes (all Running, a sample
# of pod IPs curled from node-1), with the memory an idle nginx pod costs. Needs root and a built
# lab (build/lab or $LAB). RUNS (default 5) runs of the small scenarios, RUNS_1K (default 2, or
# RUNS if set) of the 1,000-pod one; SAMPLE (default 20) pod IPs curled per run.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
RUNS_1K=${RUNS_1K:-${RUNS:-2}}
RUNS=${RUNS:-5}
SAMPLE=${SAMPLE:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab bench >/dev/null 2>&1 || true; "$LAB" down --lab bench-1k >/dev/null 2>&1 || true' EXIT

sed 's/replicas: 2/replicas: 100/' scenarios/tutorial.yaml >"$tmp/pods100.yaml"
# 1,000 replicas on 4 nodes (250 a node: each node's /24 holds 253 pods).
sed -e 's/replicas: 2/replicas: 1000/' -e 's/^\(  nodes:\) 2\b.*/\1 4/' scenarios/tutorial.yaml >"$tmp/pods1000.yaml"
grep -q '^  nodes: 4$' "$tmp/pods1000.yaml" && grep -q 'replicas: 1000' "$tmp/pods1000.yaml" ||
  { echo "cannot make the 1,000-pod scenario from scenarios/tutorial.yaml" >&2; exit 1; }

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

# ---- 1,000 nginx pods: up, serving, memory, down ----

meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }  # kB
# Kernel memory that grows with namespaces, links, sockets and processes (kB).
kernel_kb() { awk '$1 ~ /^(Slab|KernelStack|PageTables|Percpu):$/ {t += $2} END {print t + 0}' /proc/meminfo; }

# Every process of the lab's pods: each pod's lab-pod-init (its init.pid) and its descendants.
pod_pids() {  # lab
  local roots
  roots=$(cat /run/lab/"$1"/pods/*/init.pid 2>/dev/null | tr '\n' ' ')
  ps -e -o pid=,ppid= | awk -v roots="$roots" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2 }
    END {
      do { grew = 0
        for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 }
      } while (grew)
      for (p in keep) print p
    }'
}

# Sums a field of /proc/PID/smaps_rollup (Pss, Rss) over pids on stdin, in kB.
sum_rollup() {  # field
  local total=0 v
  while read -r pid; do
    v=$(awk -v k="$1:" '$1 == k {print $2}' /proc/"$pid"/smaps_rollup 2>/dev/null || true)
    total=$(( total + ${v:-0} ))
  done
  echo "$total"
}

bench_1k() {
  local up=() down=() pods=1000
  for run in $(seq 1 "$RUNS_1K"); do
    sleep 2   # the previous lab's namespaces are freed asynchronously
    local avail0 kern0 t0 t1 t2
    avail0=$(meminfo MemAvailable); kern0=$(kernel_kb)
    t0=$(now); "$LAB" up "$tmp/pods1000.yaml" --name bench-1k >/dev/null; t1=$(now)
    up+=("$(awk "BEGIN{print $t1 - $t0}")")

    # All Running and ready, and serving: a sample of pod IPs answers 200 from node-1.
    local running ips ok=0 tried=0
    running=$("$LAB" get pods --lab bench-1k --no-headers | grep -c '1/1 *Running' || true)
    ips=$("$LAB" get pods --lab bench-1k --no-headers -o custom-columns=IP:.status.podIP | shuf -n "$SAMPLE")
    for ip in $ips; do
      tried=$((tried + 1))
      code=$("$LAB" ssh --lab bench-1k node-1 -- curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$ip/" || true)
      [ "$code" = 200 ] && ok=$((ok + 1))
    done
    printf 'run %d: %d/%d pods 1/1 Running after lab up; %d/%d sampled pod IPs answered 200 from node-1\n' \
      "$run" "$running" "$pods" "$ok" "$tried"

    # Memory, idle: let the last starts finish their page faults first.
    sleep 3
    local pids nproc pss rss avail1 kern1
    pids=$(pod_pids bench-1k)
    nproc=$(echo "$pids" | grep -c . || true)
    pss=$(echo "$pids" | sum_rollup Pss)
    rss=$(echo "$pids" | sum_rollup Rss)
    daemon=$(cat /run/lab/bench-1k/daemon.pid 2>/dev/null | sum_rollup Pss)
    avail1=$(meminfo MemAvailable); kern1=$(kernel_kb)
    awk -v n="$pods" -v np="$nproc" -v pss="$pss" -v rss="$rss" -v dm="$daemon" -v da=$((avail0 - avail1)) \
        -v dk=$((kern1 - kern0)) -v run="$run" 'BEGIN {
      printf "run %d: memory per idle nginx pod (%d pods, %d processes: pod init and nginx):\n", run, n, np
      printf "  %-60s %7.2f MiB (RSS %.2f MiB)\n", "processes, PSS (shared pages split among their users)", pss / n / 1024, rss / n / 1024
      printf "  %-60s %7.2f MiB\n", "kernel: growth of Slab+KernelStack+PageTables+Percpu", dk / n / 1024
      printf "  %-60s %7.2f MiB\n", "the lab daemon (API, controllers, kubelet, proxy), PSS", dm / n / 1024
      printf "  %-60s %7.2f MiB\n", "all-in: drop of MemAvailable (host-wide, incl. the daemon)", da / n / 1024
    }'

    t1=$(now); "$LAB" down --lab bench-1k >/dev/null; t2=$(now)
    down+=("$(awk "BEGIN{print $t2 - $t1}")")
    sleep 1
  done
  printf '%s\n' "${up[@]}" | stats "lab up   (1,000 pods on 4 nodes)"
  printf '%s\n' "${down[@]}" | stats "lab down (1,000 pods on 4 nodes)"
}

echo "lab up/down on $(nproc) cores, kernel $(uname -r)"
bench "tutorial: 2 nodes, 2 pods" scenarios/tutorial.yaml
bench "100 pods on 2 nodes" "$tmp/pods100.yaml"
bench_1k
