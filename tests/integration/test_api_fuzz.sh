# The API fuzzer against a live daemon: thousands of hostile requests on its socket (mutated
# objects and patches, bad percent-encoding, bad Content-Length, garbage). Every answer is a
# Status below 500, the daemon is the same process afterwards, everything stored is served, and
# the lab still heals and serves traffic.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-fuzz
FUZZ=${API_FUZZ_LIVE:-$(dirname "$LAB")/tests/api_fuzz_live}
lab_up $L "$TUTORIAL" >/dev/null
pid=$(cat /run/lab/$L/daemon.pid)

"$FUZZ" /run/lab/$L/api.sock 3000 || fail "the fuzzer saw a 5xx or a dead socket"
kill -0 "$pid" 2>/dev/null || fail "the daemon died under the fuzzer"
[ "$(cat /run/lab/$L/daemon.pid)" = "$pid" ] || fail "the daemon was restarted"

note "everything stored is still served"
for kind in pods deployments replicasets services endpointslices events; do
  "$LAB" get --lab $L "$kind" -o json >/dev/null || fail "get $kind failed after the fuzzer"
done
note "the tutorial Deployment still heals and serves"
"$LAB" scale --lab $L deployment my-nginx --replicas=2 >/dev/null
"$LAB" rollout status --lab $L deployment my-nginx --timeout=60 >/dev/null || fail "my-nginx did not become available"
ip=$("$LAB" get pods --lab $L -l run=my-nginx -o jsonpath='{.items[0].status.podIP}')
retry "$LAB" ssh --lab $L node-1 -- curl -s -o /dev/null -m 2 "http://$ip/" || fail "nginx does not answer"
kill -0 "$pid" 2>/dev/null || fail "the daemon died"

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
