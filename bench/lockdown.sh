#!/usr/bin/env bash
# The cost of the lock-down, in one run: pods with the full profile (Docker's seccomp allowlist,
# its 14 capabilities, a cgroup with memory and CPU limits) against pods with
# `seccompProfile: Unconfined` and no resources (a cgroup with no limits but pids). Two figures:
# pod start (scale 0 -> N, to all Ready, the two alternating), and nginx requests/s (keep-alive
# GETs from a pod on node-1 to one pod of each kind on node-2, in alternating rounds, client,
# nginx and kernel on one CPU as bench/services.sh does). Goal: under 5% apart.
# Needs root and a build (build/lab, build/bench/http_load).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
LOAD=${LOAD:-$PWD/build/bench/http_load}
N=${N:-40}              # pods per start
STARTS=${STARTS:-4}     # starts of each kind, alternating
ROUNDS=${ROUNDS:-60}    # request rounds per kind, after one warm-up round
ROUND_S=${ROUND_S:-0.1}
name=bench-lock
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab "$name" >/dev/null 2>&1 || true' EXIT

deployment() {  # name, extra pod-spec lines, extra container lines
  cat <<YAML
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  replicas: 1
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      nodeName: node-2
$2
      containers:
      - name: nginx
        image: nginx
        ports: [{containerPort: 80}]
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}
$3
YAML
}
{
  printf 'apiVersion: lab.dev/v1alpha1\nkind: Lab\nmetadata: {name: %s}\nspec: {nodes: 2}\n' "$name"
  deployment locked "" "        resources: {limits: {cpu: \"1\", memory: 128Mi}, requests: {cpu: 250m, memory: 64Mi}}"
  deployment open "      securityContext: {seccompProfile: {type: Unconfined}}" ""
  cat <<'YAML'
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: client, image: busybox, command: ["sleep", "1000000"]}]
YAML
} >"$tmp/lab.yaml"
"$LAB" up "$tmp/lab.yaml" --name "$name" >/dev/null

ms() { echo $(( $(date +%s%N) / 1000000 )); }
ready() { "$LAB" get pods --lab "$name" -l "app=$1" --no-headers 2>/dev/null | grep -c '1/1 *Running' || true; }
gone() { [ -z "$("$LAB" get pods --lab "$name" -l "app=$1" -o name 2>/dev/null)" ]; }
start() {  # deployment: ms from scale 0 -> N to all N Ready
  "$LAB" scale --lab "$name" deployment "$1" --replicas=0 >/dev/null
  until gone "$1"; do sleep 0.1; done
  local t0; t0=$(ms)
  "$LAB" scale --lab "$name" deployment "$1" --replicas="$N" >/dev/null
  until [ "$(ready "$1")" = "$N" ]; do
    (( $(ms) - t0 < 300000 )) || { echo "lockdown.sh: $1 not Ready after 300 s" >&2; exit 1; }
    sleep 0.05
  done
  echo $(( $(ms) - t0 ))
  "$LAB" scale --lab "$name" deployment "$1" --replicas=1 >/dev/null
  until [ "$(ready "$1")" = 1 ] && [ "$("$LAB" get pods --lab "$name" -l "app=$1" -o name | wc -l)" = 1 ]; do sleep 0.1; done
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "lock-down cost on $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "full: RuntimeDefault seccomp (Docker's allowlist), Docker's capabilities, cgroup limits cpu 1 / memory 128Mi"
echo "open: seccompProfile Unconfined, no resources"
locked=() open=()
for _ in $(seq 1 "$STARTS"); do
  locked+=("$(start locked)")
  open+=("$(start open)")
done
ml=$(median "${locked[@]}"); mo=$(median "${open[@]}")
printf '  start %d pods (scale 0 -> %d, to all Ready), median of %d: full %d ms, open %d ms, full/open %s\n' \
  "$N" "$N" "$STARTS" "$ml" "$mo" "$(awk -v a="$ml" -v b="$mo" 'BEGIN {printf "%.2f", a / b}')"

ip_of() { "$LAB" get pods --lab "$name" -l "app=$1" -o jsonpath='{.items[0].status.podIP}'; }
pid_of() { cat /run/lab/$name/pods/default_$("$LAB" get pods --lab "$name" -l "app=$1" -o name | head -1 | cut -d/ -f2)/nginx.hostpid; }
locked_ip=$(ip_of locked); open_ip=$(ip_of open)
cpu=$(($(nproc) - 1))
for d in locked open; do
  p=$(pid_of "$d")
  # The locked pod's cgroup allows a whole core: pinning it to one CPU does not throttle it.
  taskset -pc "$cpu" "$p" >/dev/null
  renice -n -20 -p "$p" >/dev/null
done
client_pid=$(cat /run/lab/$name/pods/default_client/init.pid)
for c in 1 10; do
  echo "  nginx req/s, $c connection(s), $ROUNDS rounds of $ROUND_S s each, alternating (median (min-max)):"
  nice -n -20 nsenter --net="/proc/$client_pid/ns/net" "$LOAD" -p "$cpu" -c "$c" -t "$ROUND_S" -r "$ROUNDS" \
      "$locked_ip" "$open_ip" |
    sed -e "s/^$locked_ip /    full $locked_ip/" -e "s/^$open_ip /    open $open_ip/" -e "s/ of $locked_ip;/ of full;/"
done
echo "load afterwards $(cut -d' ' -f1-3 /proc/loadavg)"
