# Issue 13 item 6, with real traffic: internalTrafficPolicy and externalTrafficPolicy Local on a
# two-node lab whose only backend runs on node-1. ClusterIP traffic stays on the client's node
# (dropped on node-2); NodePort traffic keeps the client's address and is answered only by node-1;
# a Local LoadBalancer's healthCheckNodePort answers 200 on node-1 and 503 on node-2, as
# kube-proxy's health server does; `lab down` leaves nothing.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-traffic-policy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: traffic-policy}
spec:
  nodes: 2
---
# The backend answers / with its name and /cgi-bin/peer with the address it sees the client as.
apiVersion: v1
kind: Pod
metadata:
  name: backend
  labels: {app: backend}
spec:
  nodeName: node-1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /tmp/www/cgi-bin && hostname > /tmp/www/index.html && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /tmp/www/cgi-bin/peer && chmod +x /tmp/www/cgi-bin/peer && exec busybox httpd -f -p 8080 -h /tmp/www"]
    ports:
    - containerPort: 8080
---
apiVersion: v1
kind: Pod
metadata: {name: client-a}
spec:
  nodeName: node-1
  containers:
  - {name: c, image: "radial/busyboxplus:curl", command: ["sleep", "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: client-b}
spec:
  nodeName: node-2
  containers:
  - {name: c, image: "radial/busyboxplus:curl", command: ["sleep", "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: itp-local}
spec:
  internalTrafficPolicy: Local
  selector: {app: backend}
  ports:
  - {port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: etp-local}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: backend}
  ports:
  - {port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: etp-cluster}
spec:
  type: NodePort
  selector: {app: backend}
  ports:
  - {port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: lb-local}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: backend}
  ports:
  - {port: 80, targetPort: 8080}
YAML
lab_up $L "$tmp/lab.yaml" >/dev/null
node_ip() { lab get node "$1" -o jsonpath='{.status.addresses[0].address}'; }
ip1=$(node_ip node-1)
ip2=$(node_ip node-2)
# curl's exit status: 0 answered, 7 refused, 28 timed out (a dropped packet gets no answer).
status_of() { set +e; "$@" >/dev/null 2>&1; echo $?; set -e; }
from() { local pod=$1; shift; lab exec "$pod" -- curl -s --max-time 2 "$@"; }
# The peer as busybox httpd reports it (a dual-stack socket: "[::ffff:a.b.c.d]"), as IPv4.
peer() { retry curl -s --max-time 2 "$1" | sed 's/^\[::ffff:\(.*\)\]$/\1/'; }

note "1. internalTrafficPolicy Local: node-1's client reaches the backend, node-2's is dropped"
cip=$(lab get svc itp-local -o jsonpath='{.spec.clusterIP}')
retry bash -c "[ \"\$('$LAB' exec --lab $L client-a -- curl -s --max-time 2 http://$cip/)\" = backend ]" \
  || fail "client-a (node-1) does not reach itp-local at $cip"
rc=$(status_of from client-b "http://$cip/")
[ "$rc" = 28 ] || fail "client-b (node-2) got curl exit $rc from itp-local (expected 28: no answer, dropped)"
# The same backend through a Cluster Service answers node-2's client: the policy is the difference.
ccip=$(lab get svc etp-cluster -o jsonpath='{.spec.clusterIP}')
[ "$(from client-b "http://$ccip/")" = backend ] || fail "client-b does not reach the backend through etp-cluster"
lab get svc itp-local -o jsonpath='{.spec.internalTrafficPolicy}' | grep -qx Local || fail "internalTrafficPolicy lost"

note "2. externalTrafficPolicy Local NodePort: the client's own address reaches the backend; node-2 does not answer"
np=$(lab get svc etp-local -o jsonpath='{.spec.ports[0].nodePort}')
host_src=$(ip -4 route get "$ip1" | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1)
[ -n "$host_src" ] || fail "no host source address towards $ip1"
seen=$(peer "http://$ip1:$np/cgi-bin/peer")
echo "host $host_src -> $ip1:$np (Local): backend sees $seen"
[ "$seen" = "$host_src" ] || fail "with externalTrafficPolicy Local the backend saw '$seen', not the client $host_src"
rc=$(status_of curl -s --max-time 2 "http://$ip2:$np/")
[ "$rc" = 28 ] || fail "node-2 ($ip2:$np) has no local endpoint yet gave curl exit $rc (expected 28: no answer)"
# Pods short-circuit to Cluster semantics: node-2's client reaches the backend through node-2's nodePort.
[ "$(from client-b "http://$ip2:$np/")" = backend ] || fail "client-b does not reach etp-local through node-2's nodePort"
cnp=$(lab get svc etp-cluster -o jsonpath='{.spec.ports[0].nodePort}')
seen_cluster=$(peer "http://$ip1:$cnp/cgi-bin/peer")
echo "host $host_src -> $ip1:$cnp (Cluster): backend sees $seen_cluster"
[ -n "$seen_cluster" ] && [ "$seen_cluster" != "$host_src" ] \
  || fail "with externalTrafficPolicy Cluster the backend saw '$seen_cluster' (expected a node address, not $host_src)"
[ "$(retry curl -s --max-time 2 "http://$ip2:$cnp/")" = backend ] || fail "etp-cluster's nodePort on node-2 does not forward"

note "3. a Local LoadBalancer's healthCheckNodePort: 200 on node-1, 503 on node-2"
hc=$(lab get svc lb-local -o jsonpath='{.spec.healthCheckNodePort}')
[ -n "$hc" ] && [ "$hc" -ge 30000 ] && [ "$hc" -le 32767 ] || fail "lb-local got no healthCheckNodePort ('$hc')"
lab describe svc lb-local | grep -E "^HealthCheck NodePort: +$hc$" || fail "describe does not show the healthCheckNodePort"
health() {  # node IP -> "code" then headers and body in $tmp/h
  curl -s --max-time 2 -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "http://$1:$hc/"
}
health_is() { [ "$(health "$1")" = "$2" ]; }
wait_for 5 health_is "$ip1" 200 || fail "node-1's health check does not answer 200 (last: $(health "$ip1"))"
code=$(health "$ip1")
cat "$tmp/h" "$tmp/b"; echo
[ "$code" = 200 ] || fail "node-1's health check answered $code"
grep -qi '^X-Content-Type-Options: nosniff' "$tmp/h" || fail "no X-Content-Type-Options: nosniff"
grep -qi '^X-Load-Balancing-Endpoint-Weight: 1' "$tmp/h" || fail "no X-Load-Balancing-Endpoint-Weight: 1"
grep -qi '^Content-Type: application/json' "$tmp/h" || fail "not JSON"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d=={"service":{"namespace":"default","name":"lb-local"},"localEndpoints":1,"serviceProxyHealthy":True}, d' "$tmp/b" \
  || fail "node-1's health answer differs"
set +e; code=$(health "$ip2"); set -e
cat "$tmp/h" "$tmp/b"; echo
[ "$code" = 503 ] || fail "node-2's health check answered '$code' (expected 503)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["localEndpoints"]==0 and d["service"]["name"]=="lb-local", d' "$tmp/b" \
  || fail "node-2's health answer differs"
# A pod reaches the LoadBalancer IP from node-2 all the same (short-circuit to Cluster semantics).
wait_for 10 bash -c "[ -n \"\$('$LAB' get svc --lab $L lb-local -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" ]" \
  || fail "lb-local has no EXTERNAL-IP"
lbip=$(lab get svc lb-local -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ "$(retry lab exec client-b -- curl -s --max-time 2 "http://$lbip/")" = backend ] || fail "client-b does not reach $lbip"
# A user-given port that another Service holds is refused; the policy back to Cluster releases it.
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: lb2}\nspec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n  healthCheckNodePort: %s\n  selector: {app: backend}\n  ports:\n  - {port: 81, targetPort: 8080}\n' "$hc" >"$tmp/lb2.yaml"
set +e
out=$("$LAB" apply --lab $L -f "$tmp/lb2.yaml" 2>&1); rc=$?
set -e
echo "$out"
[ $rc != 0 ] && echo "$out" | grep -q "failed to allocate requested HealthCheck NodePort $hc: provided port is already allocated" \
  || fail "a second Service got healthCheckNodePort $hc: $out"
lab patch svc lb-local -p '{"spec":{"externalTrafficPolicy":"Cluster"}}' | grep -qx 'service/lb-local patched' \
  || fail "lb-local could not go to Cluster"
[ -z "$(lab get svc lb-local -o jsonpath='{.spec.healthCheckNodePort}')" ] || fail "Cluster kept the healthCheckNodePort"
wait_for 5 bash -c "! curl -s --max-time 1 http://$ip1:$hc/ >/dev/null" || fail "node-1 still serves the released health check port"

note "4. lab down leaves nothing"
"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
