# Pod to pod across nodes without NAT: a busybox pod on node-1 fetches from the nginx pod on
# node-2 with wget, and nginx's access log records the client pod's own IP as the source.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-p2p
lab_up $L "$FIXTURES/client-and-nginx.yaml"
"$LAB" get pods --lab $L -o wide

client_ip=$(pod_field $L client .status.podIP)
server=$("$LAB" get pods --lab $L -l run=my-nginx -o wide --no-headers | awk '$7 == "node-2" {print $1; exit}')
[ -n "$server" ] || fail "no my-nginx pod on node-2"
server_ip=$(pod_field $L "$server" .status.podIP)
note "client $client_ip (node-1) -> $server ($server_ip, node-2)"

retry "$LAB" exec --lab $L client -- wget -qO- "http://$server_ip/" | grep -q "Welcome to nginx!" \
  || fail "wget from the client pod to $server_ip failed"
log=/run/lab/$L/pods/default_$server/my-nginx.log
grep -q "^$client_ip " "$log" || { cat "$log" >&2; fail "nginx did not see the client pod IP $client_ip as source"; }

# The neighbour entries between node-2 and its pod are permanent both ways (a thousand pods'
# dynamic ones would overflow the kernel's shared table and drop packets).
neigh=$(ip -n lab-$L-node-2 neigh show "$server_ip" dev cbr0)
grep -q PERMANENT <<<"$neigh" || fail "node-2's entry for $server_ip is not permanent: $neigh"
pod_neigh=$("$LAB" exec --lab $L "$server" -- ip neigh)
grep -q "^${server_ip%.*}.1 .*PERMANENT" <<<"$pod_neigh" || fail "the pod's entry for its gateway is not permanent: $pod_neigh"

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
