# Nodes that break are noticed: deleting a node's netns makes the node NotReady (within 5 s) with
# a condition naming the problem and a NodeNotReady event; after the eviction timeout (the Lab's
# spec.podEvictionTimeoutSeconds) its pods
# move to the other node, and the lab serves through its Service the whole time. A deleted host
# link is remade; a killed pod init brings the same pod back at its address, counting a restart.
# `lab down` still leaves nothing.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-node-health
# The Lab document sets the eviction timeout (5 s here; 20 s by default).
scenario=$(mktemp)
trap 'rm -f "$scenario"; cleanup_labs' EXIT
sed 's/^  nodes: 2\b.*/&\n  podEvictionTimeoutSeconds: 5/' "$TUTORIAL" >"$scenario"
grep -q '^  podEvictionTimeoutSeconds: 5$' "$scenario" || fail "cannot add podEvictionTimeoutSeconds to the tutorial"
lab_up $L "$scenario" >/dev/null
"$LAB" scale deployment my-nginx --replicas=4 --lab $L >/dev/null
"$LAB" expose deployment/my-nginx --port=80 --type=NodePort --lab $L >/dev/null
node1_ip=$("$LAB" get node node-1 --lab $L -o jsonpath='{.status.addresses[0].address}')
node2_ip=$("$LAB" get node node-2 --lab $L -o jsonpath='{.status.addresses[0].address}')
nodeport=$("$LAB" get svc my-nginx --lab $L -o jsonpath='{.spec.ports[0].nodePort}')
cluster_ip=$("$LAB" get svc my-nginx --lab $L -o jsonpath='{.spec.clusterIP}')
on_node() { "$LAB" get pods --lab $L -o wide --no-headers | awk -v n="$1" '$7 == n && $3 == "Running"' | wc -l; }
for _ in $(seq 1 100); do [ "$(on_node node-1)" = 2 ] && [ "$(on_node node-2)" = 2 ] && break; sleep 0.1; done
[ "$(on_node node-1)" = 2 ] || fail "expected 2 running pods on node-1 before the test"
serves() { [ "$(ip netns exec lab-$L-node-2 curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$cluster_ip/")" = 200 ]; }
serves || fail "the Service does not answer before the test"

node1_pods=$("$LAB" get pods --lab $L -o wide --no-headers | awk '$7 == "node-1" {print $6}')

# ---- a node's netns deleted ----
ip netns del lab-$L-node-1
t0=$(date +%s.%N)
for _ in $(seq 1 50); do
  [ "$("$LAB" get node node-1 --lab $L --no-headers | awk '{print $2}')" = NotReady ] && break
  sleep 0.1
done
[ "$("$LAB" get node node-1 --lab $L --no-headers | awk '{print $2}')" = NotReady ] ||
  fail "node-1 is not NotReady 5 s after its netns was deleted"
note "node-1 NotReady after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
msg=$("$LAB" get node node-1 --lab $L -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
echo "$msg" | grep -q "netns lab-$L-node-1 is gone" || fail "the Ready condition does not name the problem: $msg"
# (Into a variable first: with pipefail, grep -q leaving early would fail the pipeline.)
described=$("$LAB" describe node node-1 --lab $L)
grep -q "NodeNotReady.*Node node-1 status is now: NodeNotReady" <<<"$described" || fail "no NodeNotReady event on node-1"
[ "$("$LAB" get node node-2 --lab $L --no-headers | awk '{print $2}')" = Ready ] || fail "node-2 went NotReady too"

# Its pods stop being Ready at once (the node lifecycle controller's MarkPodsNotReady, a
# NodeNotReady event on each): the Service's slice lists them not ready, and node-2's proxy
# drops them, so the Service answers from node-2's pods while node-1's wait to be evicted.
node1_endpoints_ready() {
  "$LAB" get endpointslices --lab $L -l kubernetes.io/service-name=my-nginx -o json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    for e in s.get("endpoints") or []:
        if e.get("nodeName") == "node-1" and e.get("conditions", {}).get("ready"): sys.exit(0)
sys.exit(3)'
}
node1_endpoints_out() { node1_endpoints_ready; [ $? = 3 ]; }  # (not an error: 3 says none is ready)
wait_for 5 node1_endpoints_out || fail "node-1's endpoints are still ready 5 s after node-1 went NotReady"
not_proxied() {  # not an element of node-2's TCP endpoints map (the ruleset into a variable:
  # grep -q leaving early would fail a pipeline)
  local rules; rules=$(ip netns exec lab-$L-node-2 nft list ruleset) &&
    ! sed -n '/map endpoints-tcp {/,/^[[:space:]]*}$/p' <<<"$rules" | grep -qwF "$1"
}
for ip in $node1_pods; do
  wait_for 5 not_proxied "$ip" || fail "node-2's proxy still sends to node-1's pod $ip"
done
note "node-1's pods out of the Service $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s after the netns went"
pod_events() { local e; e=$("$LAB" get events --lab $L) && grep -q "NodeNotReady.*Node is not ready" <<<"$e"; }
wait_for 5 pod_events || fail "no NodeNotReady event on node-1's pods"

# The pods move once the eviction timeout (5 s) has passed; the Service answers all along.
moved=0
for _ in $(seq 1 90); do
  serves || fail "the Service stopped answering while node-1 was NotReady"
  if [ "$(on_node node-2)" = 4 ] && [ "$("$LAB" get pods --lab $L --no-headers | wc -l)" = 4 ]; then moved=1; break; fi
  sleep 0.5
done
[ "$moved" = 1 ] || { "$LAB" get pods -o wide --lab $L >&2; fail "the pods did not move to node-2"; }
note "all 4 pods run on node-2 $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s after the netns went"
events=$("$LAB" get events --lab $L)
grep -q "TaintManagerEviction" <<<"$events" || fail "no eviction event"
out=$("$LAB" scale deployment my-nginx --replicas=6 --lab $L) || fail "scale refused: $out"
for _ in $(seq 1 100); do [ "$(on_node node-2)" = 6 ] && break; sleep 0.1; done
[ "$(on_node node-2)" = 6 ] || fail "new pods were not all placed on the Ready node"
[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$node2_ip:$nodeport/")" = 200 ] ||
  fail "the NodePort on node-2 does not answer"

# ---- the host link deleted: remade ----
host_link=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["network"]["hostLink"])' /run/lab/$L/lab.json)
ip link del "$host_link"
for _ in $(seq 1 50); do ip link show "$host_link" >/dev/null 2>&1 && break; sleep 0.1; done
ip link show "$host_link" >/dev/null 2>&1 || fail "the host link was not remade within 5 s"
ok=0
for _ in $(seq 1 30); do
  [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$node2_ip:$nodeport/")" = 200 ] && { ok=1; break; }
  sleep 0.1
done
[ "$ok" = 1 ] || fail "the host cannot reach the NodePort after the host link was remade"
note "host link remade; the NodePort answers from the host again"

# ---- a pod init killed: the same pod comes back, same address, its container restarted ----
pod=$("$LAB" get pods --lab $L -o name | head -1 | sed 's|^pod/||')
ip=$("$LAB" get pod "$pod" --lab $L -o jsonpath='{.status.podIP}')
kill -9 "$(cat /run/lab/$L/pods/default_$pod/init.pid)"
for _ in $(seq 1 50); do
  [ "$("$LAB" get pod "$pod" --lab $L -o jsonpath='{.status.containerStatuses[0].restartCount}')" = 1 ] && break
  sleep 0.1
done
[ "$("$LAB" get pod "$pod" --lab $L -o jsonpath='{.status.containerStatuses[0].restartCount}')" = 1 ] ||
  fail "the pod whose init was killed does not count a restart"
[ "$("$LAB" get pod "$pod" --lab $L -o jsonpath='{.status.podIP}')" = "$ip" ] || fail "the pod lost its address $ip"
[ "$("$LAB" get pod "$pod" --lab $L -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')" = 137 ] ||
  fail "lastState does not show the killed container"
# ...and keeps that count across a daemon restart (adoption).
kill -9 "$(cat /run/lab/$L/daemon.pid)"
sleep 0.2
[ "$("$LAB" get pod "$pod" --lab $L -o jsonpath='{.status.containerStatuses[0].restartCount}')" = 1 ] ||
  fail "the restart count changed when the daemon was adopted"
note "pod $pod came back at $ip with RESTARTS 1"

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
