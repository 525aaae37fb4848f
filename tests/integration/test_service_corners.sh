# Issue 13's Service corners, with real traffic: EndpointSlices grouped by the ports each pod
# resolves (never a port 0), one nodePort number for 53/TCP and 53/UDP, Services labelled for
# another proxy (or headless) left alone by lab's proxy, a force delete of a terminating pod,
# and the smaller ones (expose defaults, nodePorts kept by port name, /etc/hosts, hostname).
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-corners
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
lab_up $L "$FIXTURES/svc-corners.yaml" >/dev/null
from_client() { lab exec client -- curl -s --max-time 2 "$1"; }
answers() { [ "$(from_client "$1")" = "$2" ]; }  # URL, the pod that must answer
refuse() { set +e; out=$("$@" 2>&1); rc=$?; set -e; echo "$out"; [ $rc != 0 ] || fail "accepted: $*"; }
ip1=$(pod_field $L pod1 .status.podIP)
ip2=$(pod_field $L pod2 .status.podIP)
nodes=$(lab get nodes -o jsonpath='{.items[*].status.addresses[0].address}')

note "1. named targetPorts only one pod each has: two slices, no port 0, each Service port reaches its pod"
slices() {
  lab get endpointslices -l kubernetes.io/service-name=corners \
    -o jsonpath='{range .items[*]}{.ports[*].name}={.ports[*].port}@{.endpoints[*].addresses[0]}{"\n"}{end}' | sort
}
want="portname1=8081@$ip1
portname2=8082@$ip2"
wait_for 5 bash -c "[ \"\$('$LAB' get endpointslices --lab $L -l kubernetes.io/service-name=corners -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | wc -w)\" = 2 ]" || true
got=$(slices)
echo "$got"
[ "$got" = "$want" ] || fail "slices of corners: expected '$want', got '$got'"
for p in $(lab get endpointslices -l kubernetes.io/service-name=corners -o jsonpath='{.items[*].ports[*].port}'); do
  [ "$p" != 0 ] || fail "a slice publishes port 0"
done
cip=$(lab get svc corners -o jsonpath='{.spec.clusterIP}')
for _ in 1 2 3 4 5; do
  retry answers "http://$cip:80/" pod1 || fail "corners:80 did not reach pod1"
  retry answers "http://$cip:81/" pod2 || fail "corners:81 did not reach pod2"
done

note "7. service-proxy-name / headless labels: lab's proxy leaves the Service alone"
for name in plain other-proxy headless-label; do
  case $name in
    other-proxy) labels='labels: {service.kubernetes.io/service-proxy-name: elsewhere}' ;;
    headless-label) labels='labels: {service.kubernetes.io/headless: ""}' ;;
    *) labels='labels: {}' ;;
  esac
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  %s\nspec:\n  selector: {app: corners}\n  ports:\n  - {port: 80, targetPort: svc1}\n' \
    "$name" "$labels" > "$tmp/$name.yaml"
  lab apply -f "$tmp/$name.yaml" | grep -qx "service/$name created" || fail "create $name"
done
pip=$(lab get svc plain -o jsonpath='{.spec.clusterIP}')
oip=$(lab get svc other-proxy -o jsonpath='{.spec.clusterIP}')
hip=$(lab get svc headless-label -o jsonpath='{.spec.clusterIP}')
retry answers "http://$pip/" pod1 || fail "the unlabelled Service does not answer"
lab get endpointslices -l kubernetes.io/service-name=other-proxy -o jsonpath='{.items[0].metadata.labels}' |
  grep -q '"service.kubernetes.io/service-proxy-name":"elsewhere"' || fail "the slice does not carry the Service's labels"
ruleset() { ip netns exec "lab-$L-$1" nft list ruleset; }  # read whole: grep -q would cut the pipe
for ip in "$oip" "$hip"; do
  set +e; from_client "http://$ip/"; rc=$?; set -e
  [ $rc != 0 ] || fail "the labelled Service $ip answered (curl exit 0)"
  for n in node-1 node-2; do
    rules=$(ruleset $n)
    grep -qw "$ip" <<<"$rules" && fail "$n has rules for the labelled Service $ip"
  done
done
rules=$(ruleset node-1)
grep -qw "$pip" <<<"$rules" || fail "node-1 has no rules for the unlabelled Service"
lab patch svc other-proxy -p '{"metadata":{"labels":{"service.kubernetes.io/service-proxy-name":null}}}' >/dev/null
lab patch svc headless-label -p '{"metadata":{"labels":{"service.kubernetes.io/headless":null}}}' >/dev/null
retry answers "http://$oip/" pod1 || fail "other-proxy does not answer once its label is gone"
retry answers "http://$hip/" pod1 || fail "headless-label does not answer once its label is gone"

note "2. one nodePort number, two protocols: DNS over TCP and UDP through the nodePort"
dig_np() {  # NODE-IP PORT [+tcp]: the kubernetes Service's address, as cluster DNS answers it
  dig +time=1 +tries=1 @"$1" -p "$2" ${3:-} +short kubernetes.default.svc.cluster.local
}
np_answers() { for nip in $nodes; do [ "$(dig_np "$nip" "$1" ${2:-})" = 10.96.0.1 ] || return 1; done; }
svc_dns() {  # NAME, then port lines
  local name=$1; shift
  { printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: kube-system}\nspec:\n  type: NodePort\n  selector: {k8s-app: kube-dns}\n  ports:\n' "$name"
    for p in "$@"; do echo "  - $p"; done; } > "$tmp/$name.yaml"
}
svc_dns dns-np '{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}'
lab apply -f "$tmp/dns-np.yaml" | grep -qx "service/dns-np created" || fail "create dns-np"
np_tcp=$(lab get svc -n kube-system dns-np -o jsonpath='{.spec.ports[0].nodePort}')
# The issue's reproduction: a UDP port with the same port number added to the NodePort Service.
svc_dns dns-np '{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}' '{name: dns, port: 53, protocol: UDP, targetPort: 53}'
lab apply -f "$tmp/dns-np.yaml" | grep -qx "service/dns-np configured" || fail "adding 53/UDP was refused"
lab get svc -n kube-system dns-np
[ "$(lab get svc -n kube-system dns-np -o jsonpath='{.spec.ports[0].nodePort}')" = "$np_tcp" ] || fail "the TCP port's nodePort changed"
np_udp=$(lab get svc -n kube-system dns-np -o jsonpath='{.spec.ports[1].nodePort}')
retry np_answers "$np_tcp" +tcp || fail "DNS over TCP through nodePort $np_tcp"
retry np_answers "$np_udp" || fail "DNS over UDP through nodePort $np_udp"
# Given the TCP port's number, the UDP port shares it. (apply here is a PUT of the file, as
# kubectl replace: a port sent without its nodePort whose old number another port now asks for
# gets a fresh one, as patchAllocatedValues does; so both are written.)
svc_dns dns-np "{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53, nodePort: $np_tcp}" "{name: dns, port: 53, protocol: UDP, targetPort: 53, nodePort: $np_tcp}"
lab apply -f "$tmp/dns-np.yaml" | grep -qx "service/dns-np configured" || fail "sharing nodePort $np_tcp was refused"
col=$(lab get svc -n kube-system dns-np --no-headers | awk '{print $5}')
[ "$col" = "53:$np_tcp/TCP,53:$np_tcp/UDP" ] || fail "PORT(S) column: $col"
retry np_answers "$np_tcp" +tcp || fail "DNS over TCP through the shared nodePort $np_tcp"
retry np_answers "$np_tcp" || fail "DNS over UDP through the shared nodePort $np_tcp"
# Created with both protocols: one number, allocated once.
svc_dns dns-both '{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}' '{name: dns, port: 53, protocol: UDP, targetPort: 53}'
lab apply -f "$tmp/dns-both.yaml" >/dev/null
both=$(lab get svc -n kube-system dns-both -o jsonpath='{.spec.ports[*].nodePort}')
set -- $both
[ "$1" = "$2" ] || fail "53/TCP and 53/UDP were given different nodePorts on create: $both"
retry np_answers "$1" +tcp || fail "dns-both over TCP"
retry np_answers "$1" || fail "dns-both over UDP"
# Another Service still may not have the number.
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: np-dup}\nspec:\n  type: NodePort\n  selector: {app: corners}\n  ports:\n  - {port: 80, targetPort: svc1, nodePort: %s}\n' "$np_tcp" > "$tmp/np-dup.yaml"
refuse lab create -f "$tmp/np-dup.yaml"
echo "$out" | grep -qF "The Service \"np-dup\" is invalid: spec.ports[0].nodePort: Invalid value: $np_tcp: provided port is already allocated" \
  || fail "a second Service got nodePort $np_tcp, or the message differs"

note "4. after ClientIP-affinity NodePort and LoadBalancer Services were used and deleted, an endpoint-less NodePort refuses from pods at once"
# The issue saw 2 of 6 such tries time out from a pod. Each try here must be refused (curl exit 7,
# busybox nc "Connection refused") well inside its 3 s budget, from a pod on each node to each
# node's address, on the new Service's nodePort and on a port no Service has.
svc_yaml() {  # NAME TYPE AFFINITY-TIMEOUT SELECTOR-APP
  printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s}\nspec:\n  type: %s\n  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: %s}}\n  selector: {app: %s}\n  ports:\n  - {port: 80, targetPort: svc1}\n' \
    "$1" "$2" "$3" "$4" > "$tmp/$1.yaml"
}
for spec in "aff-np NodePort 10" "aff-lb LoadBalancer 10800"; do
  set -- $spec
  svc_yaml "$1" "$2" "$3" corners
  lab apply -f "$tmp/$1.yaml" >/dev/null
  np=$(lab get svc "$1" -o jsonpath='{.spec.ports[0].nodePort}')
  for nip in $nodes; do
    retry answers "http://$nip:$np/" pod1 || fail "$1 ($2, affinity) does not answer on $nip:$np"
    for _ in 1 2 3; do answers "http://$nip:$np/" pod1 || fail "$1: another backend than pod1 on $nip:$np"; done
  done
  lab delete svc "$1" >/dev/null
done
unused=30001
for i in 1 2 3; do
  printf 'apiVersion: v1\nkind: Service\nmetadata: {name: empty-%s}\nspec:\n  type: NodePort\n  selector: {app: nothing}\n  ports:\n  - {port: 80}\n' "$i" > "$tmp/empty-$i.yaml"
  lab apply -f "$tmp/empty-$i.yaml" >/dev/null
  np=$(lab get svc "empty-$i" -o jsonpath='{.spec.ports[0].nodePort}')
  [ "$np" != "$unused" ] || unused=30002
  # Once every node programs the port (its element in the no-endpoint map), each try is refused.
  programmed() { for n in node-1 node-2; do grep -q "tcp . $np : goto reject-chain" <<<"$(ruleset $n)" || return 1; done; }
  wait_for 10 programmed || fail "empty-$i: nodePort $np not programmed on both nodes"
  for nip in $nodes; do
    for port in "$np" "$unused"; do
      t0=$(date +%s%N)
      set +e; out=$(lab exec client -- curl -sS --max-time 3 "http://$nip:$port/" 2>&1); rc=$?; set -e
      ms=$(( ($(date +%s%N) - t0) / 1000000 ))
      [ $rc = 7 ] || fail "from client (node-1) to $nip:$port: curl exit $rc after $ms ms, not refused: $out"
      set +e; out=$(lab exec pod2 -- nc -w 3 "$nip" "$port" </dev/null 2>&1); set -e
      grep -q "Connection refused" <<<"$out" || fail "from pod2 (node-2) to $nip:$port: not refused: $out"
    done
  done
  lab delete svc "empty-$i" >/dev/null
done

note "12. a port's number changes without a nodePort: it keeps its nodePort (matched by name)"
keep() { printf 'apiVersion: v1\nkind: Service\nmetadata: {name: keep}\nspec:\n  type: NodePort\n  selector: {app: corners}\n  ports:\n  - {name: http, port: %s, targetPort: svc1}\n' "$1" > "$tmp/keep.yaml"; }
keep 80
lab apply -f "$tmp/keep.yaml" >/dev/null
np=$(lab get svc keep -o jsonpath='{.spec.ports[0].nodePort}')
keep 8080
lab apply -f "$tmp/keep.yaml" | grep -qx "service/keep configured" || fail "changing the port was refused"
[ "$(lab get svc keep -o jsonpath='{.spec.ports[0].port}:{.spec.ports[0].nodePort}')" = "8080:$np" ] || fail "nodePort $np was not kept"
kip=$(lab get svc keep -o jsonpath='{.spec.clusterIP}')
retry answers "http://$kip:8080/" pod1 || fail "keep:8080 does not reach pod1"
for nip in $nodes; do
  retry curl -s --max-time 2 "http://$nip:$np/" | grep -qx pod1 || fail "nodePort $nip:$np does not reach pod1"
done

note "12. expose: targetPort defaults to the port; the TYPE NAME form"
lab expose pod/pod1 --port 80 --name exp80 | grep -qx "service/exp80 exposed" || fail "expose --port 80"
[ "$(lab get svc exp80 -o jsonpath='{.spec.ports[0].targetPort}')" = 80 ] || fail "targetPort was not defaulted to 80"
lab expose pod/pod1 --port 8081 --name exp1 >/dev/null
[ "$(lab get svc exp1 -o jsonpath='{.spec.ports[0].targetPort}')" = 8081 ] || fail "targetPort was not defaulted to 8081"
retry answers "http://$(lab get svc exp1 -o jsonpath='{.spec.clusterIP}'):8081/" pod1 || fail "exp1 does not reach pod1"
lab expose pod pod2 | grep -qx "service/pod2 exposed" || fail "expose pod pod2 (the two-argument form)"
[ "$(lab get svc pod2 -o jsonpath='{.spec.ports[0].port}/{.spec.ports[0].targetPort}')" = 8082/8082 ] || fail "expose pod pod2: ports"
retry answers "http://$(lab get svc pod2 -o jsonpath='{.spec.clusterIP}'):8082/" pod2 || fail "service pod2 does not reach pod2"

note "12. /etc/hosts header, hostname and subdomain (verified only)"
hosts=$(lab exec named -- cat /etc/hosts)
echo "$hosts"
[ "$(echo "$hosts" | head -1)" = "# Kubernetes-managed hosts file." ] || fail "/etc/hosts header"
nip=$(pod_field $L named .status.podIP)
echo "$hosts" | grep -qxP "$nip\tweb-0.corners-headless.default.svc.cluster.local\tweb-0" || fail "/etc/hosts line of the pod"
[ "$(lab exec named -- hostname)" = web-0 ] || fail "hostname is not spec.hostname"

note "11. force delete of a terminating pod: gone at once, its processes killed"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: stubborn}\nspec:\n  terminationGracePeriodSeconds: 300\n  containers:\n  - name: c\n    image: busybox\n    command: ["sh", "-c", "trap \\"\\" TERM; while true; do sleep 1; done"]\n' > "$tmp/stubborn.yaml"
lab apply -f "$tmp/stubborn.yaml" >/dev/null
wait_for 10 bash -c "[ \"\$('$LAB' get pod stubborn --lab $L -o jsonpath='{.status.phase}')\" = Running ]" || fail "stubborn is not Running"
pidfile=/run/lab/$L/pods/default_stubborn/c.hostpid
wait_for 5 test -s "$pidfile" || fail "no $pidfile"
pid=$(cat "$pidfile")
lab delete pod stubborn --wait=false | grep -qx 'pod "stubborn" deleted' || fail "delete"
sleep 1
[ "$(lab get pod stubborn -o jsonpath='{.metadata.deletionGracePeriodSeconds}')" = 300 ] || fail "stubborn is not terminating with 300 s"
kill -0 "$pid" || fail "the container ignoring SIGTERM is gone already"
lab delete pod stubborn --grace-period=200 --wait=false >/dev/null
[ "$(lab get pod stubborn -o jsonpath='{.metadata.deletionGracePeriodSeconds}')" = 200 ] || fail "a shorter grace period was not taken"
start=$(date +%s%N)
lab delete pod stubborn --grace-period=0 --force >"$tmp/out" 2>"$tmp/err" || fail "force delete failed: $(cat "$tmp/err")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$tmp/out" "$tmp/err"
note "force delete took $ms ms"
[ "$(cat "$tmp/out")" = 'pod "stubborn" force deleted' ] || fail "force delete output"
[ "$(cat "$tmp/err")" = "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely." ] \
  || fail "force delete warning"
[ $ms -lt 5000 ] || fail "force delete took $ms ms"
refuse lab get pod stubborn
echo "$out" | grep -q 'pods "stubborn" not found' || fail "stubborn is still there"
wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || fail "the force-deleted pod's process $pid still runs"
refuse lab delete pod pod1 --grace-period=5 --force
echo "$out" | grep -qx 'error: --force and --grace-period greater than 0 cannot be specified together' || fail "--force with a grace period"

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
