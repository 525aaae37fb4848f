# Issue 13 item 8, with real traffic: a container port's hostPort forwards the node's port to the
# pod, as the CNI portmap plugin does: on the pod's node only, from the host, from pods on other
# nodes, from the pod itself (hairpin) and from the node; a hostIP restricts the address; the
# port goes with the pod; the scheduler keeps two pods asking for one hostPort off one node
# (NodePorts filter); `lab down` leaves nothing.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-host-port
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: host-port}
spec:
  nodes: 2
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: node-1
  containers:
  - name: web
    image: "radial/busyboxplus:curl"
    command: ["sh", "-c", "mkdir -p /tmp/www && echo web > /tmp/www/index.html && exec busybox httpd -f -p 80 -h /tmp/www"]
    ports:
    - {containerPort: 80, hostPort: 8080}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-2
  containers:
  - {name: c, image: "radial/busyboxplus:curl", command: ["sleep", "3600"]}
YAML
lab_up $L "$tmp/lab.yaml" >/dev/null
node_ip() { lab get node "$1" -o jsonpath='{.status.addresses[0].address}'; }
ip1=$(node_ip node-1)
ip2=$(node_ip node-2)
# curl's exit status: 0 answered, 7 refused, 28 timed out.
status_of() { set +e; "$@" >/dev/null 2>&1; echo $?; set -e; }
answers() { [ "$("$@" 2>/dev/null)" = "$expect" ]; }

note "1. from the host: node-1's $ip1:8080 reaches the pod, node-2's $ip2:8080 does not"
expect=web
wait_for 10 answers curl -s --max-time 2 "http://$ip1:8080/" || fail "the host does not reach web at $ip1:8080"
rc=$(status_of curl -s --max-time 2 "http://$ip2:8080/")
[ "$rc" != 0 ] || fail "node-2 ($ip2:8080) answered, yet web runs on node-1"
echo "node-2: curl exit $rc"

note "2. from a pod on node-2, and from the pod itself (hairpin)"
retry answers lab exec client -- curl -s --max-time 2 "http://$ip1:8080/" || fail "client (node-2) does not reach $ip1:8080"
retry answers lab exec web -- curl -s --max-time 2 "http://$ip1:8080/" || fail "web does not reach itself through $ip1:8080"

note "3. from node-1 itself"
retry answers lab ssh node-1 -- curl -s --max-time 2 "http://$ip1:8080/" || fail "node-1 does not reach its own $ip1:8080"

note "4. hostIP: a second pod's hostPort answers on that address only"
# Another address node-1 holds (its pods' gateway): hostPort without hostIP answers there too.
other=$(lab ssh node-1 -- ip -4 -o addr show | awk '{split($4, a, "/"); print a[1]}' | grep -vx -e 127.0.0.1 -e "$ip1" | head -1)
[ -n "$other" ] || fail "node-1 has no address besides $ip1"
cat >"$tmp/web2.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web2}
spec:
  nodeName: node-1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /tmp/www && echo web2 > /tmp/www/index.html && exec busybox httpd -f -p 80 -h /tmp/www"]
    ports:
    - {containerPort: 80, hostPort: 8081, hostIP: "$ip1"}
YAML
lab apply -f "$tmp/web2.yaml" | grep -qx 'pod/web2 created' || fail "web2 not created"
expect=web2
wait_for 20 answers curl -s --max-time 2 "http://$ip1:8081/" || fail "the host does not reach web2 at $ip1:8081"
expect=web
retry answers lab ssh node-1 -- curl -s --max-time 2 "http://$other:8080/" || fail "web's hostPort does not answer on node-1's $other"
rc=$(status_of lab ssh node-1 -- curl -s --max-time 2 "http://$other:8081/")
[ "$rc" != 0 ] || fail "web2's hostPort (hostIP $ip1) answered on $other"
lab ssh node-1 -- nft list chain ip lab-proxy hostports

note "5. the pod deleted: the port no longer answers"
lab delete pod web --wait=false >/dev/null
gone() { [ "$(status_of curl -s --max-time 1 "http://$ip1:8080/")" != 0 ]; }
wait_for 30 gone || fail "$ip1:8080 still answers after web was deleted"
lab delete pod web2 --wait=false >/dev/null
gone2() { [ "$(status_of curl -s --max-time 1 "http://$ip1:8081/")" != 0 ]; }
wait_for 30 gone2 || fail "$ip1:8081 still answers after web2 was deleted"

note "6. the scheduler places pods asking for one hostPort on different nodes; a third stays Pending"
for n in 1 2 3; do
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: hp%s}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: ["sleep", "3600"]\n    ports:\n    - {containerPort: 80, hostPort: 9090}\n' "$n" >"$tmp/hp$n.yaml"
  lab apply -f "$tmp/hp$n.yaml" | grep -qx "pod/hp$n created" || fail "hp$n not created"
  bound() { [ -n "$(lab get pod "hp$1" -o jsonpath='{.spec.nodeName}')" ]; }
  [ $n = 3 ] || wait_for 10 bound $n || fail "hp$n was not scheduled"
done
n1=$(lab get pod hp1 -o jsonpath='{.spec.nodeName}')
n2=$(lab get pod hp2 -o jsonpath='{.spec.nodeName}')
echo "hp1 on $n1, hp2 on $n2"
[ "$n1" != "$n2" ] || fail "hp1 and hp2 both hold hostPort 9090 on $n1"
msg="0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports."
event() { lab get events --field-selector involvedObject.name=hp3 2>/dev/null | grep -F "$msg"; }
wait_for 10 event || { lab get events; fail "no FailedScheduling event for hp3"; }
lab get events --field-selector involvedObject.name=hp3 | grep -q "FailedScheduling" || fail "hp3's event is not FailedScheduling"
[ "$(lab get pod hp3 -o jsonpath='{.status.phase}')" = Pending ] || fail "hp3 is not Pending"
[ -z "$(lab get pod hp3 -o jsonpath='{.spec.nodeName}')" ] || fail "hp3 was bound to a node"

note "7. lab down leaves nothing"
"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
