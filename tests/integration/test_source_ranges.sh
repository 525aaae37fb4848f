# Issue 13 item 3, with real traffic: a LoadBalancer's spec.loadBalancerSourceRanges let only the
# clients within them through its address (kube-proxy's firewall, before DNAT): a pod in the
# ranges gets the answer, a pod on the other node and the host (outside them) get none, while the
# cluster IP and the nodePort stay open to them. Changing the ranges (lab patch) takes effect,
# the older annotation counts while the field is empty, and removing both opens the address to
# all. The API refuses a bad range (422, the entry named) and ranges on a ClusterIP Service;
# `lab down` leaves nothing.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed (setup.sh installs it)"
before=$(machine_state)
L=t-source-ranges
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
export KUBECONFIG=$tmp/kube/config HOME=$tmp
mkdir -p "$tmp/kube"
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: source-ranges}
spec:
  nodes: 2
---
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
    command: ["sh", "-c", "mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]
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
YAML
lab_up $L "$tmp/lab.yaml" >/dev/null
k() { kubectl --context "lab-$L" "$@"; }
# curl's exit status: 0 answered, 7 refused, 28 timed out (a dropped packet gets no answer).
status_of() { set +e; "$@" >/dev/null 2>&1; echo $?; set -e; }
from() { local who=$1; shift; if [ "$who" = host ]; then curl -s "$@"; else lab exec "$who" -- curl -s "$@"; fi; }
# $1 (a pod, or "host") gets the backend's answer from $2 ...
answers() { [ "$(from "$1" --max-time 2 "$2")" = backend ]; }
# ... or none at all: dropped, not refused. Waited for (a sync may be under way), then confirmed.
dropped() { [ "$(status_of from "$1" --max-time 1 "$2")" = 28 ]; }
expect_answer() { retry answers "$1" "$2" || fail "$1 gets no answer from $2 ($3)"; }
expect_dropped() {
  wait_for 10 dropped "$1" "$2" || fail "$1 is not dropped at $2 ($3)"
  local rc
  rc=$(status_of from "$1" --max-time 3 "$2")
  [ "$rc" = 28 ] || fail "$1 got curl exit $rc from $2 ($3; expected 28: dropped)"
}

ipa=$(lab get pod client-a -o jsonpath='{.status.podIP}')
ipb=$(lab get pod client-b -o jsonpath='{.status.podIP}')
[ -n "$ipa" ] && [ -n "$ipb" ] || fail "the clients have no addresses"
cat >"$tmp/guarded.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: guarded}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [" $ipa/32 "]
  selector: {app: backend}
  ports:
  - {port: 80, targetPort: 8080}
YAML
lab apply -f "$tmp/guarded.yaml" >/dev/null
wait_for 10 bash -c "[ -n \"\$('$LAB' get svc --lab $L guarded -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" ]" \
  || fail "guarded has no EXTERNAL-IP"
lb=$(lab get svc guarded -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
cip=$(lab get svc guarded -o jsonpath='{.spec.clusterIP}')
np=$(lab get svc guarded -o jsonpath='{.spec.ports[0].nodePort}')
ip1=$(lab get node node-1 -o jsonpath='{.status.addresses[0].address}')
ip2=$(lab get node node-2 -o jsonpath='{.status.addresses[0].address}')
host_src=$(ip -4 route get "$lb" | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1)
[ -n "$host_src" ] || fail "no host source address towards $lb"
echo "LB $lb, cluster IP $cip, nodePort $np; client-a $ipa (node-1), client-b $ipb (node-2), host $host_src"
lab describe svc guarded | grep -E "^LoadBalancer Source Ranges: +$ipa/32 *$" || fail "describe does not show the ranges"

note "1. only client-a ($ipa/32) gets through the LoadBalancer IP"
expect_answer client-a "http://$lb/" "within the ranges"
expect_dropped client-b "http://$lb/" "a pod on the other node, outside the ranges"
expect_dropped host "http://$lb/" "the host, outside the ranges"
note "   the cluster IP and the nodePort are not filtered"
expect_answer client-b "http://$cip/" "cluster IP"
expect_answer client-b "http://$ip2:$np/" "nodePort on node-2"
expect_answer host "http://$ip1:$np/" "nodePort on node-1"
expect_answer host "http://$ip2:$np/" "nodePort on node-2"

note "2. the ranges changed with lab patch: client-b and the host in, client-a out"
lab patch svc guarded -p "{\"spec\":{\"loadBalancerSourceRanges\":[\"$ipb/32\",\"$host_src/32\"]}}" >/dev/null
expect_dropped client-a "http://$lb/" "no longer within the ranges"
expect_answer client-b "http://$lb/" "now within the ranges"
expect_answer host "http://$lb/" "now within the ranges"
expect_answer client-a "http://$cip/" "cluster IP"

note "3. the annotation, with the field emptied: client-a's node-1 network only"
net_a=${ipa%.*}.0/24
lab patch svc guarded --type=merge \
  -p "{\"spec\":{\"loadBalancerSourceRanges\":null},\"metadata\":{\"annotations\":{\"service.beta.kubernetes.io/load-balancer-source-ranges\":\"$net_a\"}}}" >/dev/null
[ -z "$(lab get svc guarded -o jsonpath='{.spec.loadBalancerSourceRanges}')" ] || fail "the field stayed"
expect_answer client-a "http://$lb/" "within the annotation's range $net_a"
expect_dropped client-b "http://$lb/" "outside the annotation's range"
expect_dropped host "http://$lb/" "outside the annotation's range"

note "4. no ranges: the address is open to all"
lab patch svc guarded --type=json -p '[{"op":"remove","path":"/metadata/annotations/service.beta.kubernetes.io~1load-balancer-source-ranges"}]' >/dev/null
expect_answer client-b "http://$lb/" "no ranges"
expect_answer host "http://$lb/" "no ranges"
expect_answer client-a "http://$lb/" "no ranges"

note "5. the API refuses a bad range (422, the entry named) and ranges on a ClusterIP Service"
set +e
out=$(k patch svc guarded -v=6 -p '{"spec":{"loadBalancerSourceRanges":["10.0.0.0/8","10.1.0.0/33"]}}' 2>&1); rc=$?
set -e
echo "$out" | grep -v "^I.*loader.go" || true
[ $rc != 0 ] && grep -q "PATCH https://.*/services/guarded.* 422 Unprocessable Entity" <<<"$out" \
  && grep -q 'spec.loadBalancerSourceRanges\[1\]: Invalid value: "10.1.0.0/33": must be a valid CIDR value' <<<"$out" \
  || fail "a bad range was not refused with 422: $out"
set +e
out=$(lab patch svc guarded -p '{"spec":{"loadBalancerSourceRanges":["fd00::/8"]}}' 2>&1); rc=$?
set -e
echo "$out"
[ $rc != 0 ] && grep -q 'spec.loadBalancerSourceRanges\[0\]: Invalid value: "fd00::/8": lab clusters are IPv4-only' <<<"$out" \
  || fail "an IPv6 range was accepted: $out"
sed -e 's/name: guarded/name: plain/' -e 's/type: LoadBalancer/type: ClusterIP/' "$tmp/guarded.yaml" >"$tmp/plain.yaml"
set +e
out=$(lab apply -f "$tmp/plain.yaml" 2>&1); rc=$?
set -e
echo "$out"
[ $rc != 0 ] && grep -q "spec.loadBalancerSourceRanges: Forbidden: may only be used when \`type\` is 'LoadBalancer'" <<<"$out" \
  || fail "a ClusterIP Service with ranges was accepted: $out"
set +e
out=$(k create -f "$tmp/plain.yaml" -v=6 2>&1); rc=$?
set -e
[ $rc != 0 ] && grep -q "POST https://.*/services.* 422 Unprocessable Entity" <<<"$out" \
  || fail "the API did not refuse the ClusterIP Service with ranges with 422: $out"
! lab get svc plain >/dev/null 2>&1 || fail "the refused Service exists"
expect_answer host "http://$lb/" "the refused changes left the address open"

note "6. lab down leaves nothing"
"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
