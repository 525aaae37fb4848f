#!/usr/bin/env bash
# The real kubectl against a lab of 1,000 pods (4 nodes, a busybox `sleep` Deployment: light pods):
# 1. wall time of `kubectl get pods` versus `lab get pods` (same server-side Table; kubectl adds the
#    dispatcher's /version, discovery from its cache and two pages of limit=500), median of RUNS;
# 2. WATCHERS parallel `kubectl get pods -w --output-watch-events -o name` held while the 1,000 pods
#    change (the Deployment scaled 1,000 -> 0 -> 1,000: every pod deleted, 1,000 new ones created
#    and started), checking per watcher the events delivered against those expected (every old
#    and new pod named, the same events in the same order in every watcher: no event lost), and
#    the daemon's RSS before and after.
# Needs root, a built lab (build/lab or $LAB) and kubectl. RUNS (default 7), WATCHERS (default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=$(realpath "${LAB:-build/lab}")
RUNS=${RUNS:-7}
WATCHERS=${WATCHERS:-100}
PODS=${PODS:-1000}
NAME=bench-kubectl
command -v kubectl >/dev/null || { echo "kubectl is not installed" >&2; exit 1; }
tmp=$(mktemp -d)
watchers=()
cleanup() {
  for p in "${watchers[@]}"; do kill "$p" 2>/dev/null || true; done
  "$LAB" down --lab $NAME >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# kubectl's own kubeconfig and discovery cache, not the user's.
export KUBECONFIG=$tmp/kube/config HOME=$tmp
mkdir -p "$tmp/kube"

cat >"$tmp/lab.yaml" <<YAML
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: $NAME}
spec:
  nodes: 4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleeper
spec:
  selector:
    matchLabels: {app: sleeper}
  replicas: $PODS
  # all at once, both ways: the watch phase is about the events, not the rollout's pace
  strategy: {type: Recreate}
  template:
    metadata:
      labels: {app: sleeper}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: sleep
        image: busybox
        command: ["sleep", "1000000"]
YAML

now() { date +%s.%N; }
stats() {  # label, then seconds on stdin
  sort -n | awk -v label="$1" '{a[NR]=$1} END {
    printf "%-28s median %7.3f s   min %7.3f s   max %7.3f s   (%d runs)\n", label, a[int((NR+1)/2)], a[1], a[NR], NR }'
}
rss_kb() { awk '$1 == "VmRSS:" {print $2}' /proc/"$(cat /run/lab/$NAME/daemon.pid)"/status; }
running() { kubectl get pods --no-headers 2>/dev/null | grep -c ' 1/1 *Running ' || true; }
count() { kubectl get pods -o name 2>/dev/null | grep -c . || true; }
wait_until() {  # seconds, what, command...
  local limit=$1 what=$2 t0=$SECONDS; shift 2
  until "$@"; do
    (( SECONDS - t0 > limit )) && { echo "kubectl.sh: $what not reached after $limit s" >&2; exit 1; }
    sleep 1
  done
}

echo "kubectl $(kubectl version --client 2>/dev/null | sed -n 's/^Client Version: //p') against a lab of $PODS pods on 4 nodes; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now)
"$LAB" up "$tmp/lab.yaml" --name $NAME >/dev/null
printf 'lab up: %.1f s\n' "$(awk "BEGIN{print $(now) - $t0}")"
wait_until 300 "$PODS pods Running" eval '[ "$(running)" = "$PODS" ]'

# ---- 1. get pods: kubectl vs lab ----
# One warm-up each (kubectl fills its discovery cache), then alternate so both see the same machine.
kubectl get pods >/dev/null; "$LAB" get pods --lab $NAME >/dev/null
k_times=() l_times=()
for _ in $(seq 1 "$RUNS"); do
  t0=$(now); kubectl get pods >"$tmp/k.out"; t1=$(now)
  "$LAB" get pods --lab $NAME >"$tmp/l.out"; t2=$(now)
  k_times+=("$(awk "BEGIN{print $t1 - $t0}")"); l_times+=("$(awk "BEGIN{print $t2 - $t1}")")
done
[ "$(sed 1d "$tmp/k.out" | wc -l)" = "$PODS" ] || { echo "kubectl get pods printed $(sed 1d "$tmp/k.out" | wc -l) rows" >&2; exit 1; }
[ "$(sed 1d "$tmp/l.out" | wc -l)" = "$PODS" ] || { echo "lab get pods printed $(sed 1d "$tmp/l.out" | wc -l) rows" >&2; exit 1; }
printf '%s\n' "${k_times[@]}" | stats "kubectl get pods ($PODS rows)"
printf '%s\n' "${l_times[@]}" | stats "lab get pods ($PODS rows)"
km=$(printf '%s\n' "${k_times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
lm=$(printf '%s\n' "${l_times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
awk -v k="$km" -v l="$lm" 'BEGIN { printf "kubectl / lab: %.2fx (goal: within 1.5x)\n", k / l }'
# Each client's floor: the same command for a list that is empty (a field selector no pod
# matches: the same requests, no rows). kubectl's is its own start (the dispatcher and kubectl.1.NN,
# two Go programs); what is above it is the server's answer and the rows' decoding and printing.
kf_times=() lf_times=()
for _ in $(seq 1 "$RUNS"); do
  t0=$(now); kubectl get pods --field-selector metadata.name=none >/dev/null 2>&1; t1=$(now)
  "$LAB" get pods --field-selector metadata.name=none --lab $NAME >/dev/null 2>&1; t2=$(now)
  kf_times+=("$(awk "BEGIN{print $t1 - $t0}")"); lf_times+=("$(awk "BEGIN{print $t2 - $t1}")")
done
printf '%s\n' "${kf_times[@]}" | stats "kubectl get pods (no rows)"
printf '%s\n' "${lf_times[@]}" | stats "lab get pods (no rows)"
kf=$(printf '%s\n' "${kf_times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
lf=$(printf '%s\n' "${lf_times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
awk -v k="$km" -v l="$lm" -v kf="$kf" -v lf="$lf" 'BEGIN {
  printf "above each client'"'"'s floor: kubectl %.3f s, lab %.3f s (%.2fx)\n", k - kf, l - lf, (l - lf > 0 ? (k - kf) / (l - lf) : 0) }'

# ---- 2. WATCHERS watches while the pods change ----
old=$(kubectl get pods -o name | sort)
rss0=$(rss_kb)
for i in $(seq 1 "$WATCHERS"); do
  kubectl get pods -w --output-watch-events -o name >"$tmp/w.$i" 2>"$tmp/w.$i.err" &
  watchers+=($!)
done
# Each has printed the 1,000 listed pods (names without an event type) and holds its watch; one
# that ended (an error) is counted below.
listed() {
  local i
  for i in $(seq 1 "$WATCHERS"); do
    [ "$(grep -c '^pod/' "$tmp/w.$i")" -ge "$PODS" ] || ! kill -0 "${watchers[$((i - 1))]}" 2>/dev/null || return 1
  done
}
t0=$(now)
wait_until 300 "$WATCHERS watchers listing" listed
printf '%d watchers listed %d pods each in %.1f s; daemon RSS %d MiB before, ' "$WATCHERS" "$PODS" \
  "$(awk "BEGIN{print $(now) - $t0}")" $((rss0 / 1024))
echo "$(( $(rss_kb) / 1024 )) MiB with the watches open"

t0=$(now)
kubectl scale deployment sleeper --replicas=0 >/dev/null
wait_until 600 "0 pods" eval '[ "$(count)" = 0 ]'
t1=$(now)
kubectl scale deployment sleeper --replicas="$PODS" >/dev/null
wait_until 600 "$PODS pods Running" eval '[ "$(running)" = "$PODS" ]'
t2=$(now)
rss_peak=$(rss_kb)
printf 'scale %d -> 0: %.1f s; 0 -> %d Running: %.1f s (watched by %d)\n' "$PODS" \
  "$(awk "BEGIN{print $t1 - $t0}")" "$PODS" "$(awk "BEGIN{print $t2 - $t1}")" "$WATCHERS"
new=$(kubectl get pods -o name | sort)

# Let the last events reach every watcher: wait until their outputs stop growing.
settled() {
  local a b; a=$(cat "$tmp"/w.[0-9]* | wc -c); sleep 2; b=$(cat "$tmp"/w.[0-9]* | wc -c); [ "$a" = "$b" ]
}
wait_until 120 "the watch streams settling" settled
for p in "${watchers[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
watchers=()
rss1=$(rss_kb)

# kubectl's name printer leaves out the event type (--output-watch-events shows it only with other
# printers): after the listed names, a watcher prints a name per event. Expected per watcher: every
# new pod named at least once (its ADDED), every old pod at least once (its deletion), and the very
# same lines in the same order as every other watcher (one stream from one version: none lost).
n_new=$(comm -13 <(echo "$old") <(echo "$new") | grep -c . || true)
n_gone=$(comm -23 <(echo "$old") <(echo "$new") | grep -c . || true)
tail -n +$((PODS + 1)) "$tmp/w.1" >"$tmp/ref"
ok=0 short=()
for i in $(seq 1 "$WATCHERS"); do
  tail -n +$((PODS + 1)) "$tmp/w.$i" >"$tmp/ev"
  named=$(sort -u "$tmp/ev")
  if [ "$(head -n "$PODS" "$tmp/w.$i" | sort)" = "$old" ] && cmp -s "$tmp/ev" "$tmp/ref" &&
     [ -z "$(comm -23 <(echo "$new") <(echo "$named"))" ] && [ -z "$(comm -23 <(echo "$old") <(echo "$named"))" ]; then
    ok=$((ok + 1))
  else
    short+=("watcher $i: $(wc -l <"$tmp/ev") events (watcher 1: $(wc -l <"$tmp/ref")) $(head -c 200 "$tmp/w.$i.err")")
  fi
done
total=$(( $(cat "$tmp"/w.[0-9]* | wc -l) - PODS * WATCHERS ))
printf 'per watcher expected: %d listed, then events naming each of the %d new and %d deleted pods, the same in all\n' \
  "$PODS" "$n_new" "$n_gone"
printf '%d/%d watchers got every event, in the same order (%d events each: ADDED, MODIFIED, DELETED)\n' \
  "$ok" "$WATCHERS" "$(wc -l <"$tmp/ref")"
printf 'watch events delivered: %d in all\n' "$total"
for s in "${short[@]:0:5}"; do echo "  $s"; done
printf 'daemon RSS: %d MiB before the watches, %d MiB after the churn (watches open), %d MiB after they closed\n' \
  $((rss0 / 1024)) $((rss_peak / 1024)) $((rss1 / 1024))
[ "$ok" = "$WATCHERS" ] && echo "no event lost" || echo "EVENTS LOST (above)"
