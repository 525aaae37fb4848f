# Issue 13 item 3, with real traffic: a LoadBalancer with allocateLoadBalancerNodePorts: false
# gets an EXTERNAL-IP that answers the host but no nodePort (nothing listens on the nodes for
# it), and one that names another implementation's loadBalancerClass is left to it: no address
# from the lab's pool (EXTERNAL-IP <pending>), while its nodePort still serves.
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

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
