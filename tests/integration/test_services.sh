# Services on nftables, as the tutorial "Connecting Applications with Services" uses them:
# ClusterIP (from nodes and pods, hairpin, same-node and cross-node backends), EndpointSlices
# following the pods, fast rejects without endpoints, NodePort and LoadBalancer from the host,
# session affinity, and the allocators' refusals.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-svc
lab_up $L "$FIXTURES/svc-hostnames.yaml" >/dev/null
backends_seen() {  # from WHERE (ssh NODE | exec POD), URL, N: distinct answers of N requests
  local how=$1 where=$2 url=$3 n=$4
  for _ in $(seq 1 "$n"); do
    if [ "$how" = ssh ]; then lab ssh "$where" -- curl -s --max-time 2 "$url"; else lab exec "$where" -- curl -s --max-time 2 "$url"; fi
    echo
  done | grep -v '^$' | sort -u
}

note "expose deployment/my-nginx: a ClusterIP Service with both pods as endpoints"
lab expose deployment/my-nginx | grep -qx "service/my-nginx exposed"
lab get svc my-nginx
cip=$(lab get svc my-nginx -o jsonpath='{.spec.clusterIP}')
[ "$(lab get svc my-nginx --no-headers | awk '{print $2, $5}')" = "ClusterIP 80/TCP" ] || fail "get svc columns"
for ip in $(lab get pods -l run=my-nginx -o jsonpath='{.items[*].status.podIP}'); do
  wait_for 5 bash -c "'$LAB' describe svc --lab $L my-nginx | grep -q '^Endpoints:.*$ip:80'" || fail "describe svc lacks endpoint $ip:80"
done
lab describe svc my-nginx
for node in node-1 node-2; do
  retry lab ssh $node -- curl -s --max-time 2 "http://$cip/" | grep -q "Welcome to nginx!" || fail "$node cannot reach the ClusterIP"
done
lab exec client -- curl -s --max-time 2 "http://$cip/" | grep -q "Welcome to nginx!" || fail "a pod cannot reach the ClusterIP"
ip -br addr | grep -q "$cip" && fail "the ClusterIP is on a host interface"
for ns in lab-$L-node-1 lab-$L-node-2; do ip -n $ns -br addr | grep -q "$cip" && fail "the ClusterIP is on an interface of $ns"; done

note "40 requests through the ClusterIP of hostnames reach both pods, from a node and from a pod"
hip=$(lab get svc hostnames -o jsonpath='{.spec.clusterIP}')
pods=$(lab get pods -l app=hostnames -o name | sed 's|pod/||' | sort)
[ "$(backends_seen ssh node-2 "http://$hip/" 40)" = "$pods" ] || fail "node-2 did not see both backends"
[ "$(backends_seen exec client "http://$hip/" 40)" = "$pods" ] || fail "the client pod did not see both backends"

note "hairpin: a backend curling its own Service also gets answers from itself"
self=$(echo "$pods" | head -1)
# The image's wget is busybox's, whose -T crashes (Debian's 1.35): busybox's timeout bounds it.
seen=$(for _ in $(seq 1 30); do lab exec "$self" -- timeout 2 wget -qO- "http://$hip/"; done | sort -u)
echo "$seen" | grep -qx "$self" || fail "hairpin: $self never reached itself through its Service"

note "scale to 3: the third pod joins the slice and the traffic"
lab scale deployment hostnames --replicas=3 >/dev/null
wait_for 10 bash -c "[ \$('$LAB' get endpointslices --lab $L -l kubernetes.io/service-name=hostnames -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | wc -w) = 3 ]" \
  || fail "the slice does not have 3 endpoints"
lab get endpointslices -l kubernetes.io/service-name=hostnames
pods=$(lab get pods -l app=hostnames -o name | sed 's|pod/||' | sort)
[ "$(backends_seen exec client "http://$hip/" 60)" = "$pods" ] || fail "the third pod gets no traffic"

note "deleting a pod takes it out of the endpoints at once"
victim=$(echo "$pods" | head -1)
vip=$(lab get pod "$victim" -o jsonpath='{.status.podIP}')
lab delete pod "$victim" --wait=false >/dev/null
wait_for 2 bash -c "! '$LAB' get endpointslices --lab $L -l kubernetes.io/service-name=hostnames -o json | grep -A3 '\"$vip\"' | grep -q '\"ready\": true'" \
  || fail "the deleted pod stayed a ready endpoint"

note "a Service without ready endpoints refuses at once"
lab apply -f "$FIXTURES/svc-empty.yaml" >/dev/null
eip=$(lab get svc empty -o jsonpath='{.spec.clusterIP}')
start=$(date +%s%N)
set +e; lab ssh node-1 -- curl -s --max-time 5 "http://$eip/"; rc=$?; set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "curl exit $rc after ${ms} ms"
[ $rc = 7 ] || fail "curl to a Service without endpoints gave exit $rc, not 7 (connection refused)"
[ $ms -lt 1000 ] || fail "the refusal took ${ms} ms"

note "NodePort (nginx-secure-app shape): every node IP answers from the host"
lab apply -f "$FIXTURES/svc-nodeport.yaml" >/dev/null
lab get svc nginx-secure-app
np=$(lab get svc nginx-secure-app -o jsonpath='{.spec.ports[0].nodePort}')
lab get svc nginx-secure-app --no-headers | awk '{print $5}' | grep -Eq "^8080:$np/TCP,443:[0-9]+/TCP$" || fail "PORT(S) column"
for nip in $(lab get nodes -o jsonpath='{.items[*].status.addresses[0].address}'); do
  retry curl -s --max-time 2 "http://$nip:$np/" | grep -q "Welcome to nginx!" || fail "NodePort $nip:$np does not answer the host"
done

note "patch to LoadBalancer: an EXTERNAL-IP from the pool answers the host"
lab patch svc my-nginx -p '{"spec":{"type":"LoadBalancer"}}' | grep -q "service/my-nginx patched"
wait_for 5 bash -c "'$LAB' get svc --lab $L my-nginx -o jsonpath='{.status.loadBalancer.ingress[0].ip}' | grep -q ." || fail "no EXTERNAL-IP"
lab get svc my-nginx
ext=$(lab get svc my-nginx -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
pool=$(awk -F'"' '/"loadBalancerPool"/ {print $4}' /run/lab/$L/lab.json)
note "EXTERNAL-IP $ext, pool $pool"
[ "${ext%.*}" = "${pool%%-*}" ] || [ "${ext%.*}" = "$(echo "${pool%%-*}" | cut -d. -f1-3)" ] || fail "$ext is not from the pool $pool"
retry curl -s --max-time 2 "http://$ext:80/" | grep -q "Welcome to nginx!" || fail "the LoadBalancer IP does not answer the host"
lab get svc my-nginx -o yaml | grep -q "nodePort:" || fail "-o yaml shows no nodePort"

note "edit: the same change through \$EDITOR"
EDITOR="sed -i 's/type: ClusterIP/type: LoadBalancer/'" lab edit svc hostnames | grep -q "service/hostnames edited"
wait_for 5 bash -c "'$LAB' get svc --lab $L hostnames -o jsonpath='{.status.loadBalancer.ingress[0].ip}' | grep -q ." || fail "edit gave no EXTERNAL-IP"
hext=$(lab get svc hostnames -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
retry curl -s --max-time 2 "http://$hext/" | grep -q "hostnames-" || fail "the edited LoadBalancer does not answer"

note "sessionAffinity ClientIP: 20 requests from one client reach one pod"
lab patch svc hostnames -p '{"spec":{"sessionAffinity":"ClientIP"}}' >/dev/null
sleep 0.5
[ "$(backends_seen exec client "http://$hip/" 20 | wc -l)" = 1 ] || fail "affinity: more than one backend answered"

note "allocator refusals and reuse"
refuse() { set +e; out=$("$@" 2>&1); rc=$?; set -e; echo "$out"; [ $rc != 0 ] || fail "accepted: $*"; }
refuse lab create -f "$FIXTURES/svc-bad-nodeport.yaml"
echo "$out" | grep -q "provided port is not in the valid range. The range of valid ports is 30000-32767" || fail "out-of-range message"
sed "s/nodePort: 80$/nodePort: $np/; s/name: bad-nodeport/name: dup-nodeport/" "$FIXTURES/svc-bad-nodeport.yaml" > dup.yaml
refuse lab create -f dup.yaml
echo "$out" | grep -q "provided port is already allocated" || fail "duplicate nodePort message"
refuse lab create -f "$FIXTURES/svc-bad-clusterip.yaml"
echo "$out" | grep -q "is not in the valid range. The range of valid IPs is" || fail "clusterIP range message"
lab delete svc nginx-secure-app >/dev/null
lab create -f dup.yaml | grep -q "service/dup-nodeport created" || fail "a freed NodePort could not be reused"
sed "s/name: empty/name: reuse-ip/; s/^spec:/spec:\n  clusterIP: $eip/" "$FIXTURES/svc-empty.yaml" > reuse.yaml
lab delete svc empty >/dev/null
lab create -f reuse.yaml | grep -q "service/reuse-ip created" || fail "a freed ClusterIP could not be reused"
rm -f dup.yaml reuse.yaml

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
