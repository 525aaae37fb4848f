# The control plane of the second issue: scaling, healing, container restarts, readiness,
# rolling updates, watch, and a daemon that dies without the pods noticing.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-cp
lab_up $L "$TUTORIAL" >/dev/null
get() { "$LAB" get --lab $L "$@"; }
ready_count() {  # pods 1/1 Running and not terminating
  get pods -l run=my-nginx --no-headers | awk '$2 == "1/1" && $3 == "Running"' | wc -l
}
wait_for() {  # seconds, command...: polls until the command succeeds
  local limit=$1; shift
  for _ in $(seq 1 $((limit * 20))); do "$@" && return 0; sleep 0.05; done
  return 1
}

note "scale to 0 and back to 2: new pods with new names"
old=$(pod_names $L | sort)
"$LAB" scale --lab $L deployment my-nginx --replicas=0 | grep -q "deployment.apps/my-nginx scaled"
wait_for 10 bash -c "[ -z \"\$('$LAB' get pods --lab $L -o name)\" ]" || fail "pods did not go away at 0 replicas"
"$LAB" scale --lab $L deployment my-nginx --replicas=2 >/dev/null
wait_for 10 bash -c "[ \$('$LAB' get pods --lab $L --no-headers | grep -c '1/1 *Running') = 2 ]" || fail "2 pods did not come back"
new=$(pod_names $L | sort)
[ -z "$(comm -12 <(echo "$old") <(echo "$new"))" ] || fail "pods after scaling kept old names"

note "delete a pod: a replacement with a new name"
victim=$(pod_names $L | head -1)
"$LAB" delete --lab $L pod "$victim" | grep -q "pod \"$victim\" deleted"
wait_for 5 bash -c "[ \$('$LAB' get pods --lab $L --no-headers | grep -c '1/1 *Running') = 2 ]" || fail "no replacement"
pod_names $L | grep -qx "$victim" && fail "the deleted pod is still listed"

note "kill -9 of a container's main process: same pod restarts it, RESTARTS 1, same IP"
pod=$(pod_names $L | head -1)
ip=$(pod_field $L "$pod" .status.podIP)
init=$(cat /run/lab/$L/pods/default_$pod/init.pid)
main=$(awk '{print $1}' /run/lab/$L/pods/default_$pod/my-nginx.hostpid)
kill -9 "$main"
wait_for 10 bash -c "[ \"\$('$LAB' get pod --lab $L $pod -o jsonpath='{.status.containerStatuses[0].restartCount}')\" = 1 ]" \
  || fail "RESTARTS did not become 1"
get pods "$pod" -o wide
[ "$(pod_field $L "$pod" .status.podIP)" = "$ip" ] || fail "the IP changed after a restart"
[ "$(cat /run/lab/$L/pods/default_$pod/init.pid)" = "$init" ] || fail "the pod was recreated instead of restarting the container"
retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$ip/" | grep -q "Welcome to nginx!" || fail "restarted nginx does not serve"

note "readiness: 0/1 Running until the probe passes, then 1/1"
"$LAB" apply --lab $L -f "$FIXTURES/readiness.yaml" | grep -q "pod/gated created"
wait_for 10 bash -c "'$LAB' get pods --lab $L gated --no-headers | grep -q '0/1 *Running'" || fail "gated is not 0/1 Running"
sleep 1.5
get pods gated --no-headers | grep -q '0/1 *Running' || fail "gated became ready without passing its probe"
"$LAB" exec --lab $L gated -- touch /tmp/ready
wait_for 10 bash -c "'$LAB' get pods --lab $L gated --no-headers | grep -q '1/1 *Running'" || fail "gated did not become 1/1"
"$LAB" describe --lab $L pod gated | grep -q "Readiness:" || fail "describe shows no readiness probe"
"$LAB" delete --lab $L -f "$FIXTURES/readiness.yaml" >/dev/null

note "apply with one bad document changes nothing and names the document and field"
set +e; out=$("$LAB" apply --lab $L -f "$FIXTURES/apply-one-bad.yaml" 2>&1); rc=$?; set -e
echo "$out"
[ $rc != 0 ] || fail "apply of a bad file succeeded"
echo "$out" | grep -Eq 'apply-one-bad.yaml:[0-9]+:[0-9]+: Pod "broken": spec.containers\[0\].comand' || fail "message does not name the document and field"
get deployments other >/dev/null 2>&1 && fail "the good document of a bad file was applied"

note "rolling update of 4 replicas never has fewer than 3 ready"
"$LAB" scale --lab $L deployment my-nginx --replicas=4 >/dev/null
wait_for 10 bash -c "[ \$('$LAB' get pods --lab $L -l run=my-nginx --no-headers | grep -c '1/1 *Running') = 4 ]" || fail "4 replicas not ready"
"$LAB" get pods --lab $L -w > watch.out 2>&1 & watcher=$!
sed 's/image: nginx$/image: nginx:1.25/; s/replicas: 2/replicas: 4/' "$TUTORIAL" > rolled.yaml
"$LAB" apply --lab $L -f rolled.yaml | grep -q "deployment.apps/my-nginx configured"
min=4
"$LAB" rollout status --lab $L deployment my-nginx --timeout=60 > rollout.out & roller=$!
while kill -0 $roller 2>/dev/null; do
  n=$(ready_count); [ "$n" -lt "$min" ] && min=$n
done
wait $roller || fail "rollout status failed"
cat rollout.out
grep -q 'deployment "my-nginx" successfully rolled out' rollout.out || fail "rollout status did not finish"
note "fewest ready pods during the roll: $min"
[ "$min" -ge 3 ] || fail "only $min pods were ready during the rolling update"
[ "$(get pods -l run=my-nginx -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)" = "nginx:1.25" ] \
  || wait_for 10 bash -c "[ \"\$('$LAB' get pods --lab $L -l run=my-nginx -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort -u)\" = nginx:1.25 ]" \
  || fail "old pods remain after the roll"

note "get pods -w printed the changes as they happened"
kill $watcher; wait $watcher 2>/dev/null || true
grep -c Terminating watch.out >/dev/null || fail "watch shows no Terminating"
[ "$(grep -c 'my-nginx-' watch.out)" -gt 8 ] || { cat watch.out; fail "watch printed too few changes"; }
rm -f watch.out rolled.yaml rollout.out

note "kill -9 of the daemon: pods keep serving; the next command shows the same pods"
get pods -o wide --no-headers | awk '{print $1, $4, $6}' | sort > before.pods
kill -9 "$(cat /run/lab/$L/daemon.pid)"
for ip in $(awk '{print $3}' before.pods); do
  ip netns exec lab-$L-node-1 curl -s --max-time 2 "http://$ip/" | grep -q "Welcome to nginx!" || fail "$ip stopped serving with the daemon dead"
done
get pods -o wide --no-headers | awk '{print $1, $4, $6}' | sort > after.pods
diff before.pods after.pods || fail "pods, RESTARTS or IPs changed across the daemon restart"
rm -f before.pods after.pods

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
