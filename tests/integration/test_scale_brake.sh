# Scale has a brake and a limit: replicas beyond the pod addresses of the lab's nodes are refused
# with a message naming spec.replicas (and nothing changes); a scale to 0 right after a large
# scale-up stops the start-up at once and every pod goes, its processes too.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-scale-brake
lab_up $L "$TUTORIAL" >/dev/null

out=$("$LAB" scale deployment my-nginx --replicas=100000 --lab $L 2>&1) && fail "--replicas=100000 was accepted: $out"
echo "$out" | grep -q 'spec.replicas: Invalid value: 100000: must be less than or equal to 506' ||
  fail "unexpected refusal: $out"
note "refused: $out"
[ "$("$LAB" get deployment my-nginx --lab $L -o jsonpath='{.spec.replicas}')" = 2 ] ||
  fail "the refused scale changed spec.replicas"
out=$("$LAB" patch deployment my-nginx --lab $L -p '{"spec":{"replicas":507}}' 2>&1) && fail "a patch to 507 replicas was accepted"
echo "$out" | grep -q 'must be less than or equal to 506' || fail "unexpected refusal of the patch: $out"

"$LAB" scale deployment my-nginx --replicas=400 --lab $L >/dev/null
sleep 1
# The deployment's pod inits (kube-system's coredns pods stay, as they should).
started=$(pgrep -fc "^lab-pod-init .*--lab=$L --pod=default/" || true)
t0=$(date +%s.%N)
"$LAB" scale deployment my-nginx --replicas=0 --lab $L >/dev/null
for _ in $(seq 1 600); do
  [ "$("$LAB" get pods --lab $L --no-headers 2>/dev/null | wc -l)" = 0 ] && break
  sleep 0.1
done
[ "$("$LAB" get pods --lab $L --no-headers | wc -l)" = 0 ] || fail "pods are left a minute after the scale to 0"
for _ in $(seq 1 50); do
  [ "$(pgrep -fc "^lab-pod-init .*--lab=$L --pod=default/" || true)" = 0 ] && break
  sleep 0.1
done
left=$(pgrep -fc "^lab-pod-init .*--lab=$L --pod=default/" || true)
[ "$left" = 0 ] || fail "$left pod inits still run after every pod went"
note "scale 400 -> 0 with $started pods started: no pod left after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')s"
[ "$("$LAB" get rs --lab $L -o jsonpath='{.items[0].spec.replicas}')" = 0 ] || fail "the ReplicaSet was not scaled to 0"

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
