# Issue 13 item 3, with real traffic: a LoadBalancer with allocateLoadBalancerNodePorts: false
# gets an EXTERNAL-IP that answers the host but no nodePort (nothing listens on the nodes for
# it), and one that names another implementation's loadBalancerClass is left to it: no address
# from the lab's pool (EXTERNAL-IP <pending>), while its nodePort still serves. The lab's load
# balancer puts its cleanup finalizer on the Services it serves, and a delete waits for it.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-lb-options
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
lab_up $L "$FIXTURES/svc-hostnames.yaml" >/dev/null
lb_ip() { lab get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}'; }
cat >"$tmp/svcs.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: direct}
spec:
  type: LoadBalancer
  allocateLoadBalancerNodePorts: false
  selector: {app: hostnames}
  ports:
  - {name: http, port: 80, targetPort: 9376}
---
apiVersion: v1
kind: Service
metadata: {name: elsewhere}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/another-lb
  selector: {app: hostnames}
  ports:
  - {name: http, port: 80, targetPort: 9376}
YAML
lab apply -f "$tmp/svcs.yaml"

note "allocateLoadBalancerNodePorts: false: an EXTERNAL-IP that answers the host, no nodePort"
wait_for 10 bash -c "[ -n \"\$('$LAB' get svc --lab $L direct -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" ]" \
  || fail "direct has no EXTERNAL-IP"
ext=$(lb_ip direct)
retry curl -s --max-time 2 "http://$ext/" | grep -q "hostnames-" || fail "the LoadBalancer IP $ext does not answer the host"
[ -z "$(lab get svc direct -o jsonpath='{.spec.ports[0].nodePort}')" ] || fail "direct got a nodePort"
lab get svc direct | tee /dev/stderr | sed -n 2p | grep -Eq "^direct +LoadBalancer +[0-9.]+ +$ext +80/TCP " \
  || fail "direct's row differs (PORT(S) must be 80/TCP, without a nodePort)"
# Switched on, the ports get nodePorts that serve from the nodes.
lab patch svc direct -p '{"spec":{"allocateLoadBalancerNodePorts":true}}' >/dev/null
np=$(lab get svc direct -o jsonpath='{.spec.ports[0].nodePort}')
[ -n "$np" ] || fail "allocateLoadBalancerNodePorts: true gave no nodePort"
nip=$(lab get nodes -o jsonpath='{.items[0].status.addresses[0].address}')
retry curl -s --max-time 2 "http://$nip:$np/" | grep -q "hostnames-" || fail "the nodePort $np does not answer"

note "loadBalancerClass of another implementation: no address from the lab's pool, nodePort serves"
np=$(lab get svc elsewhere -o jsonpath='{.spec.ports[0].nodePort}')
[ -n "$np" ] || fail "elsewhere has no nodePort"
retry curl -s --max-time 2 "http://$nip:$np/" | grep -q "hostnames-" || fail "elsewhere's nodePort $np does not answer"
sleep 1  # the lab's load balancer controller has had its chance (it assigned direct's in ms)
[ -z "$(lb_ip elsewhere)" ] || fail "the lab's load balancer took elsewhere: $(lb_ip elsewhere)"
lab get svc elsewhere | tee /dev/stderr | sed -n 2p | grep -Eq "^elsewhere +LoadBalancer +[0-9.]+ +<pending> +80:$np/TCP " \
  || fail "elsewhere's row differs"
note "a class may not change while the Service is a LoadBalancer; another type drops it"
set +e
out=$(lab patch svc direct -p '{"spec":{"loadBalancerClass":"example.com/another-lb"}}' 2>&1); rc=$?
set -e
echo "$out"
[ $rc != 0 ] && echo "$out" | grep -q 'spec.loadBalancerClass: Invalid value: "example.com/another-lb": may not change once set'   || fail "a LoadBalancer's class changed: $out"
[ -n "$(lb_ip direct)" ] || fail "the refused change took direct's address"
lab patch svc elsewhere -p '{"spec":{"type":"ClusterIP"}}' | grep -qx 'service/elsewhere patched' \
  || fail "elsewhere could not become a ClusterIP Service"
[ -z "$(lab get svc elsewhere -o jsonpath='{.spec.loadBalancerClass}{.spec.ports[0].nodePort}')" ] \
  || fail "the ClusterIP Service kept its class or nodePort"

note "the load-balancer-cleanup finalizer: on the LoadBalancers the lab serves; a delete waits for it"
[ "$(lab get svc direct -o jsonpath='{.metadata.finalizers[0]}')" = service.kubernetes.io/load-balancer-cleanup ] \
  || fail "direct has no load-balancer-cleanup finalizer: $(lab get svc direct -o jsonpath='{.metadata.finalizers}')"
[ -z "$(lab get svc elsewhere -o jsonpath='{.metadata.finalizers}')" ] || fail "a ClusterIP Service kept a finalizer"
ext=$(lb_ip direct)
lab delete svc direct
wait_for 5 bash -c "! '$LAB' get svc --lab $L direct >/dev/null 2>&1" || fail "direct stays: its finalizer was not taken off"
cat >"$tmp/again.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: again}
spec:
  type: LoadBalancer
  selector: {app: hostnames}
  ports:
  - {name: http, port: 80, targetPort: 9376}
YAML
lab apply -f "$tmp/again.yaml" >/dev/null
wait_for 10 bash -c "[ \"\$('$LAB' get svc --lab $L again -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\" = $ext ]" \
  || fail "the deleted LoadBalancer's address $ext did not go back to the pool: again got '$(lb_ip again)'"
out=$(retry curl -s --max-time 2 "http://$ext/")
grep -q "hostnames-" <<<"$out" || fail "the address does not answer for its new Service: $out"

note "spec.externalIPs: the nodes accept the Service's traffic for them (routing there is their owner's)"
# An address of this lab's node network (172.18.0.0/16 unless another lab holds it: then the next)
xip=${nip%.*.*}.254.10
cat >"$tmp/outside.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: outside}
spec:
  externalIPs: [$xip]
  selector: {app: hostnames}
  ports:
  - {name: http, port: 80, targetPort: 9376}
YAML
lab apply -f "$tmp/outside.yaml" >/dev/null
row=$(lab get svc outside | sed -n 2p)
echo "$row"
grep -Eq "^outside +ClusterIP +[0-9.]+ +${xip//./\\.} +80/TCP " <<<"$row" || fail "outside's row differs: $row"
out=$(retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$xip/")
grep -q "hostnames-" <<<"$out" || fail "node-1 does not serve the external IP: $out"
set +e
out=$(lab patch svc outside -p '{"spec":{"externalIPs":["127.0.0.1"]}}' 2>&1); rc=$?
set -e
[ $rc != 0 ] && grep -q 'spec.externalIPs\[0\]: Invalid value: "127.0.0.1": may not be in the loopback range' <<<"$out" \
  || fail "a loopback external IP was accepted: $out"

note "any object's finalizers: a delete marks it; removing the last one deletes it"
lab create configmap kept --from-literal=a=b >/dev/null
lab patch configmap kept -p '{"metadata":{"finalizers":["example.com/keep"]}}' >/dev/null
lab delete configmap kept --wait=false
[ -n "$(lab get configmap kept -o jsonpath='{.metadata.deletionTimestamp}')" ] \
  || fail "a ConfigMap with a finalizer went at once, or was not marked as being deleted"
set +e
out=$(lab patch configmap kept --type=json -p '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]' 2>&1); rc=$?
set -e
[ $rc != 0 ] && grep -q "no new finalizers can be added if the object is being deleted" <<<"$out" \
  || fail "a finalizer was added to an object being deleted: $out"
lab patch configmap kept --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
wait_for 5 bash -c "! '$LAB' get configmap --lab $L kept >/dev/null 2>&1" || fail "the ConfigMap stays without finalizers"

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
