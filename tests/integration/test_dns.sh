# Cluster DNS as a kubeadm cluster has it: the kube-dns Service and two coredns pods in
# kube-system, answering the Kubernetes DNS specification from a pod's network namespace over UDP
# and TCP; fresh within a second; a coredns pod replaced without a client noticing for more than a
# second (UDP conntrack entries of the gone endpoint are flushed); and the DNS pods reach only a
# read-only API, while other pods reach none.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-dns
ms() { echo $(( $(date +%s%N) / 1000000 )); }

note "lab up (with the DNS addon)"
t0=$(ms)
lab_up $L "$TUTORIAL"
echo "lab up: $(( $(ms) - t0 )) ms"
"$LAB" expose deployment/my-nginx --port=80 --lab $L

note "the tutorial's kube-dns row"
row=$("$LAB" get services kube-dns --namespace=kube-system --lab $L)
echo "$row"
echo "$row" | head -1 | grep -Eq '^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$' || fail "header differs"
echo "$row" | sed 1d | grep -Eq '^kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53/UDP,53/TCP,9153/TCP +[0-9]+[smhd]' \
  || fail "kube-dns row differs from the tutorial's"
labels=$("$LAB" get services kube-dns -n kube-system --lab $L -o jsonpath='{.metadata.labels}')
for l in '"k8s-app":"kube-dns"' '"kubernetes.io/cluster-service":"true"' '"kubernetes.io/name":"CoreDNS"'; do
  echo "$labels" | grep -q "$l" || fail "kube-dns lacks label $l: $labels"
done

note "two coredns pods, Running and Ready, on two nodes; lab get pods shows only default's"
coredns_ready() {
  "$LAB" get pods -n kube-system -l k8s-app=kube-dns --lab $L --no-headers -o wide |
    awk '$2 == "1/1" && $3 == "Running"' | grep -c . || true
}
for _ in $(seq 1 100); do [ "$(coredns_ready)" = 2 ] && break; sleep 0.05; done
cd_pods=$("$LAB" get pods -n kube-system --lab $L --no-headers -o wide)
echo "$cd_pods"
[ "$(coredns_ready)" = 2 ] || fail "expected 2 coredns pods 1/1 Running"
[ "$(echo "$cd_pods" | awk '{print $7}' | sort -u | wc -l)" = 2 ] || fail "coredns pods are not on 2 nodes"
"$LAB" get pods --lab $L --no-headers | grep -q coredns && fail "lab get pods (default namespace) shows coredns"
[ "$("$LAB" get pods -A --lab $L --no-headers | grep -c .)" = 4 ] || fail "lab get pods -A: expected 4 pods"

pod=$(pod_names $L | head -1)
pid=$(cat "/run/lab/$L/pods/default_$pod/my-nginx.hostpid")
node=$(pod_field $L "$pod" .spec.nodeName)
pod_ip=$(pod_field $L "$pod" .status.podIP)
svc_ip=$("$LAB" get svc my-nginx --lab $L -o jsonpath='{.spec.clusterIP}')
# dig from the pod's network namespace, one try, one second at most.
pdig() { nsenter -t "$pid" -n dig +time=1 +tries=1 @10.96.0.10 "$@"; }
expect_answer() {  # NAME-OF-CHECK WANT DIG-ARGS...
  local what=$1 want=$2; shift 2
  local got
  got=$(pdig +short "$@" | sort | tr '\n' ' ' | sed 's/ $//')
  echo "$what: $got"
  [ "$got" = "$want" ] || fail "$what: expected '$want', got '$got'"
}

note "A of a ClusterIP Service, over UDP and TCP"
expect_answer "A udp" "$svc_ip" my-nginx.default.svc.cluster.local
expect_answer "A tcp" "$svc_ip" +tcp my-nginx.default.svc.cluster.local
expect_answer "A kube-dns" "10.96.0.10" kube-dns.kube-system.svc.cluster.local

note "short names through the pod's resolv.conf (busybox nslookup)"
resolv=$("$LAB" exec --lab $L "$pod" -- cat /etc/resolv.conf)
echo "$resolv"
echo "$resolv" | grep -q '^nameserver 10.96.0.10$' || fail "resolv.conf does not name 10.96.0.10"
echo "$resolv" | grep -q '^search default.svc.cluster.local svc.cluster.local cluster.local' || fail "resolv.conf search list"
out=$("$LAB" exec --lab $L "$pod" -- nslookup my-nginx 2>&1 || true)
echo "$out"
echo "$out" | grep -q '10.96.0.10' || fail "nslookup does not show the kube-dns server"
echo "$out" | grep -q "Address.*$svc_ip" || fail "nslookup my-nginx does not give $svc_ip"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
cat >"$tmp/services.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: named}
spec:
  selector: {run: my-nginx}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  selector: {run: my-nginx}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: sub}
spec:
  clusterIP: None
  selector: {app: sub}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: sub}}
spec:
  hostname: web-0
  subdomain: sub
  containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
EOF
cat >"$tmp/external.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: docs}
spec:
  type: ExternalName
  externalName: kubernetes.io
EOF
"$LAB" apply -f "$tmp/services.yaml" --lab $L
named_ip=$("$LAB" get svc named --lab $L -o jsonpath='{.spec.clusterIP}')
nginx_ips=$("$LAB" get pods -l run=my-nginx --lab $L -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')

note "SRV of a named port, PTR of a ClusterIP"
srv=$(pdig +short SRV _http._tcp.named.default.svc.cluster.local)
echo "SRV: $srv"
echo "$srv" | grep -Eq '^[0-9]+ [0-9]+ 80 named\.default\.svc\.cluster\.local\.$' || fail "SRV of a named port"
expect_answer "PTR" "my-nginx.default.svc.cluster.local." -x "$svc_ip"

note "headless: an A per ready endpoint, SRV per endpoint whose targets resolve, hostname.subdomain"
for _ in $(seq 1 40); do [ "$(pdig +short headless.default.svc.cluster.local | grep -c .)" = 2 ] && break; sleep 0.05; done
expect_answer "headless A" "$nginx_ips" headless.default.svc.cluster.local
targets=$(pdig +short SRV _http._tcp.headless.default.svc.cluster.local | awk '{print $4}')
echo "SRV targets: $targets"
[ "$(echo "$targets" | grep -c .)" = 2 ] || fail "headless SRV: expected one record per endpoint"
resolved=$(for t in $targets; do pdig +short "$t"; done | sort | tr '\n' ' ' | sed 's/ $//')
[ "$resolved" = "$nginx_ips" ] || fail "headless SRV targets resolve to '$resolved', expected '$nginx_ips'"

note "pod A records, dns-version"
expect_answer "pod A" "$pod_ip" "${pod_ip//./-}.default.pod.cluster.local"
expect_answer "dns-version" '"1.0.1"' TXT dns-version.cluster.local

note "NXDOMAIN with the zone's SOA; a name outside the cluster answers at once, not forwarded"
nx=$(pdig nosuch.default.svc.cluster.local)
echo "$nx" | grep -q 'status: NXDOMAIN' || fail "no NXDOMAIN for a missing Service"
echo "$nx" | sed -n '/AUTHORITY SECTION/,$p' | grep -Eq 'cluster\.local\.[[:space:]].*SOA' || fail "NXDOMAIN without the zone's SOA"
t0=$(ms)
out=$(pdig example.com)
took=$(( $(ms) - t0 ))
echo "$out" | grep -E 'status:'
echo "example.com answered in $took ms"
echo "$out" | grep -Eq 'status: (NXDOMAIN|REFUSED)' || fail "a name outside the cluster got no immediate NXDOMAIN/REFUSED"
[ "$took" -lt 500 ] || fail "a name outside the cluster took $took ms"

note "freshness: a new Service is answered within 1 s (tight loop from before the create)"
t0=$(ms)
"$LAB" expose deployment/my-nginx --port=8080 --name=fresh --lab $L >/dev/null
fresh_ip=$("$LAB" get svc fresh --lab $L -o jsonpath='{.spec.clusterIP}')
until [ "$(pdig +short fresh.default.svc.cluster.local)" = "$fresh_ip" ]; do
  [ $(( $(ms) - t0 )) -lt 5000 ] || fail "fresh Service not answered after 5 s"
done
took=$(( $(ms) - t0 ))
echo "new Service answered $took ms after lab expose started"
[ "$took" -lt 1000 ] || fail "a new Service took $took ms to be answered"

note "freshness: a headless endpoint that goes away is gone from the answer within 1 s"
gone=$("$LAB" get pods -l run=my-nginx --lab $L -o jsonpath='{.items[0].metadata.name}')
gone_ip=$(pod_field $L "$gone" .status.podIP)
t0=$(ms)
"$LAB" patch pod "$gone" --lab $L -p '{"metadata":{"labels":{"run":"elsewhere"}}}' >/dev/null
while pdig +short headless.default.svc.cluster.local | grep -qx "$gone_ip"; do
  [ $(( $(ms) - t0 )) -lt 5000 ] || fail "headless endpoint still answered after 5 s"
done
took=$(( $(ms) - t0 ))
echo "headless endpoint change answered $took ms after the patch started"
[ "$took" -lt 1000 ] || fail "a headless endpoint change took $took ms"

note "the DNS pods reach a read-only API; other pods reach none"
cd_pod=$("$LAB" get pods -n kube-system -l k8s-app=kube-dns --lab $L -o jsonpath='{.items[0].metadata.name}')
# CoreDNS's image has no curl (its image root holds /coredns's libraries and busybox only): the
# host's curl speaks to the very socket the DNS container sees, reached through its root
# (at /run/lab: its /var/run is a link to /run, which would resolve in the host's root here).
cd_pid=$(cat /run/lab/$L/pods/kube-system_"$cd_pod"/*.hostpid | head -1)
"$LAB" exec -n kube-system --lab $L "$cd_pod" -- test -S /var/run/lab/api.sock || fail "the DNS container has no /var/run/lab/api.sock"
api() { curl -s --unix-socket "/proc/$cd_pid/root/run/lab/api.sock" "$@"; }
api http://lab/api/v1/namespaces/default/services | grep -q '"kind":"ServiceList"' || fail "coredns cannot list services"
api http://lab/apis/discovery.k8s.io/v1/endpointslices | grep -q '"kind":"EndpointSliceList"' || fail "coredns cannot list endpointslices"
out=$(api -X POST -H 'Content-Type: application/json' -d '{"metadata":{"name":"x"},"spec":{"ports":[{"port":1}]}}' \
  http://lab/api/v1/namespaces/default/services)
echo "$out"
echo "$out" | grep -q '"code":403' || fail "a write through the read-only socket was not refused"
echo "$out" | grep -q 'User \\"system:serviceaccount:kube-system:coredns\\" cannot create resource \\"services\\"' \
  || fail "the 403 does not say who cannot do what"
for req in "-X DELETE http://lab/api/v1/namespaces/default/pods/$pod" \
           "-X PATCH -d {} http://lab/api/v1/namespaces/default/services/my-nginx" \
           "http://lab/api/v1/namespaces/default/pods/$pod/log" "http://lab/apis/apps/v1/deployments"; do
  # shellcheck disable=SC2086
  api $req | grep -q '"code":403' || fail "not refused: $req"
done
"$LAB" get svc x --lab $L >/dev/null 2>&1 && fail "the refused create made a Service"
"$LAB" get pod "$pod" --lab $L >/dev/null || fail "the refused delete removed a pod"
[ "$("$LAB" exec -n kube-system --lab $L "$cd_pod" -- ls /run/lab)" = api.sock ] || fail "coredns sees more than api.sock"
"$LAB" exec --lab $L "$pod" -- ls /var/run/lab/api.sock /run/lab 2>/dev/null && fail "an nginx pod sees an API socket"

note "deleting a coredns pod: a replacement starts; a client loop never fails for more than 1 s"
old_cd=$("$LAB" get pods -n kube-system -l k8s-app=kube-dns --lab $L -o jsonpath='{.items[*].metadata.name}')
# A UDP flow from a fixed source port to the victim, so the node's conntrack holds its entry.
victim=$("$LAB" get pods -n kube-system -l k8s-app=kube-dns --lab $L -o jsonpath='{.items[0].metadata.name}')
victim_ip=$("$LAB" get pods -n kube-system "$victim" --lab $L -o jsonpath='{.status.podIP}')
ct() { ip netns exec "lab-$L-$node" conntrack -L -p udp --orig-dst 10.96.0.10 --reply-src "$victim_ip" 2>/dev/null | grep -c . || true; }
for port in $(seq 40000 40040); do
  pdig -b "0.0.0.0#$port" +short my-nginx.default.svc.cluster.local >/dev/null || true
  [ "$(ct)" -gt 0 ] && break
done
[ "$(ct)" -gt 0 ] || fail "no conntrack entry of a flow to the victim coredns pod"
(
  while :; do
    if pdig +short my-nginx.default.svc.cluster.local | grep -qx "$svc_ip"; then echo "ok $(ms)"; else echo "fail $(ms)"; fi
  done
) >"$tmp/loop" &
loop=$!
sleep 0.5
"$LAB" delete pod -n kube-system "$victim" --lab $L
for _ in $(seq 1 100); do
  [ "$(ct)" = 0 ] && break
  sleep 0.05
done
[ "$(ct)" = 0 ] || fail "the gone coredns endpoint's conntrack entries are still there"
for _ in $(seq 1 200); do [ "$(coredns_ready)" = 2 ] && break; sleep 0.05; done
[ "$(coredns_ready)" = 2 ] || fail "no Ready replacement coredns pod"
new_cd=$("$LAB" get pods -n kube-system -l k8s-app=kube-dns --lab $L -o jsonpath='{.items[*].metadata.name}')
echo "coredns before: $old_cd; after: $new_cd"
echo "$new_cd" | grep -qw "$victim" && fail "the deleted coredns pod is still listed"
sleep 1
kill $loop; wait $loop 2>/dev/null || true
queries=$(grep -c . "$tmp/loop")
failed=$(grep -c '^fail' "$tmp/loop" || true)
worst=$(awk 'BEGIN { last = 0; worst = 0 }
             $1 == "ok" { if (last && $2 - last > worst) worst = $2 - last; last = $2 }
             END { print worst }' "$tmp/loop")
echo "client loop: $queries queries, $failed failed, longest time without an answer: $worst ms"
[ "$worst" -lt 1000 ] || fail "the client loop went $worst ms without an answer"

note "a pod's hostname.subdomain under its headless Service; an ExternalName Service's CNAME"
for _ in $(seq 1 100); do "$LAB" get pods web-0 --lab $L --no-headers | grep -q '1/1' && break; sleep 0.05; done
web_ip=$(pod_field $L web-0 .status.podIP)
for _ in $(seq 1 40); do [ -n "$(pdig +short web-0.sub.default.svc.cluster.local)" ] && break; sleep 0.05; done
expect_answer "hostname.subdomain" "$web_ip" web-0.sub.default.svc.cluster.local
"$LAB" apply -f "$tmp/external.yaml" --lab $L || fail "an ExternalName Service is refused"
for _ in $(seq 1 40); do pdig CNAME docs.default.svc.cluster.local | grep -q CNAME && break; sleep 0.05; done
cname=$(pdig CNAME docs.default.svc.cluster.local | grep -E '^docs\.default\.svc\.cluster\.local\.' || true)
echo "$cname"
echo "$cname" | grep -Eq 'CNAME[[:space:]]+kubernetes\.io\.$' || fail "ExternalName: no CNAME to kubernetes.io."

note "headless Services without a selector: records from a user's EndpointSlice, and from a user's Endpoints (mirrored)"
# Neither slice is the EndpointSlice controller's, and neither carries the headless label: the DNS
# server follows them by its second slice watch.
cat >"$tmp/manual.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: manual-1, labels: {kubernetes.io/service-name: manual}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints: [{addresses: ["10.244.250.7"], conditions: {ready: true}}]
---
apiVersion: v1
kind: Service
metadata: {name: mirrored}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: mirrored}
subsets: [{addresses: [{ip: "10.244.250.8"}], ports: [{name: http, port: 80}]}]
EOF
"$LAB" apply -f "$tmp/manual.yaml" --lab $L >/dev/null
for _ in $(seq 1 40); do
  [ -n "$(pdig +short manual.default.svc.cluster.local)" ] && [ -n "$(pdig +short mirrored.default.svc.cluster.local)" ] && break
  sleep 0.05
done
expect_answer "headless, a user's EndpointSlice" "10.244.250.7" manual.default.svc.cluster.local
expect_answer "headless, a user's Endpoints" "10.244.250.8" mirrored.default.svc.cluster.local
"$LAB" delete endpointslice manual-1 --lab $L >/dev/null
for _ in $(seq 1 40); do [ -z "$(pdig +short manual.default.svc.cluster.local)" ] && break; sleep 0.05; done
expect_answer "headless, its EndpointSlice deleted" "" manual.default.svc.cluster.local

note "lab down leaves nothing"
"$LAB" down --lab $L
expect_state "$before"
echo PASS
