# Finding a Service, the tutorial's "Accessing the Service" in its order: the `kubernetes`
# Service every cluster has, the Service environment variables the kubelet writes when a
# container starts (and never updates), enableServiceLinks, `$(VAR)` expansion, resolv.conf for
# each dnsPolicy, hostname and subdomain in /etc/hosts, and the kubernetes Service coming back
# when deleted.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-svcenv
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
running_nginx() { lab get pods -l run=my-nginx --no-headers 2>/dev/null | awk '$3 == "Running"' | wc -l; }
env_of() { lab exec "$1" -- printenv | sort; }
has() { grep -qx -- "$2" <<<"$1" || fail "$3: no $2 in the environment"; }

lab_up $L "$TUTORIAL" >/dev/null

note "the kubernetes Service: default namespace, 10.96.0.1, 443/TCP, as kubectl prints it"
svcs=$(lab get svc)
echo "$svcs"
row=$(lab get svc --no-headers | awk '$1 == "kubernetes"')
[ "$(awk '{print $1, $2, $3, $4, $5}' <<<"$row")" = "kubernetes ClusterIP 10.96.0.1 <none> 443/TCP" ] \
  || fail "the kubernetes row differs: $row"
[ "$(lab get svc --no-headers | wc -l)" = 1 ] || fail "default should hold only the kubernetes Service before expose"
[ "$(lab get svc kubernetes -o jsonpath='{.metadata.labels.component}/{.metadata.labels.provider}')" = "apiserver/kubernetes" ] \
  || fail "kubernetes Service labels"
[ "$(lab get svc kubernetes -o jsonpath='{.spec.ports[0].name}:{.spec.ports[0].port}:{.spec.ports[0].targetPort}')" = "https:443:6443" ] \
  || fail "kubernetes Service port"
[ -z "$(lab get svc kubernetes -o jsonpath='{.spec.selector}')" ] || fail "the kubernetes Service has a selector"

note "pods made before expose: KUBERNETES_* and no MY_NGINX_*"
old_pods=$(lab get pods -l run=my-nginx -o name | sed 's|^pod/||')
[ "$(wc -w <<<"$old_pods")" = 2 ] || fail "expected 2 my-nginx pods"
for p in $old_pods; do
  env=$(env_of "$p")
  has "$env" KUBERNETES_SERVICE_HOST=10.96.0.1 "$p"
  has "$env" KUBERNETES_SERVICE_PORT=443 "$p"
  has "$env" KUBERNETES_SERVICE_PORT_HTTPS=443 "$p"
  has "$env" KUBERNETES_PORT=tcp://10.96.0.1:443 "$p"
  has "$env" KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443 "$p"
  has "$env" KUBERNETES_PORT_443_TCP_PROTO=tcp "$p"
  has "$env" KUBERNETES_PORT_443_TCP_PORT=443 "$p"
  has "$env" KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1 "$p"
  grep -q '^MY_NGINX_' <<<"$env" && fail "$p has MY_NGINX_ variables before the Service exists"
done
lab exec "$(head -1 <<<"$old_pods")" -- printenv | grep SERVICE

note "expose: the old pods still lack MY_NGINX_* (env is never updated)"
lab expose deployment/my-nginx --port=80 | grep -qx "service/my-nginx exposed" || fail "expose"
cip=$(lab get svc my-nginx -o jsonpath='{.spec.clusterIP}')
[ "$(lab get svc --no-headers | wc -l)" = 2 ] || fail "default should hold kubernetes and my-nginx"
for p in $old_pods; do
  lab exec "$p" -- printenv | grep -q '^MY_NGINX_' && fail "$p gained MY_NGINX_ variables after it started"
done

note "scale to 0 and back to 2: the new pods have the Service's variables"
lab scale deployment my-nginx --replicas=0 >/dev/null
wait_for 30 bash -c "[ -z \"\$('$LAB' get pods --lab $L -l run=my-nginx -o name)\" ]" || fail "pods did not go"
lab scale deployment my-nginx --replicas=2 >/dev/null
wait_for 30 bash -c "[ \$('$LAB' get pods --lab $L -l run=my-nginx --no-headers | awk '\$3 == \"Running\"' | wc -l) = 2 ]" \
  || fail "2 pods did not come back"
new_pods=$(lab get pods -l run=my-nginx -o name | sed 's|^pod/||')
for p in $new_pods; do
  grep -qx "$p" <<<"$old_pods" && fail "$p is an old pod"
  env=$(env_of "$p")
  has "$env" "MY_NGINX_SERVICE_HOST=$cip" "$p"
  has "$env" MY_NGINX_SERVICE_PORT=80 "$p"
  has "$env" "MY_NGINX_PORT=tcp://$cip:80" "$p"
  has "$env" "MY_NGINX_PORT_80_TCP=tcp://$cip:80" "$p"
  has "$env" MY_NGINX_PORT_80_TCP_PROTO=tcp "$p"
  has "$env" MY_NGINX_PORT_80_TCP_PORT=80 "$p"
  has "$env" "MY_NGINX_PORT_80_TCP_ADDR=$cip" "$p"
  has "$env" KUBERNETES_SERVICE_HOST=10.96.0.1 "$p"
done
lab exec "$(head -1 <<<"$new_pods")" -- printenv | grep SERVICE

note "enableServiceLinks: false, \$(VAR) expansion, dnsPolicy None, hostname and subdomain"
cat >"$tmp/pods.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: links-off}
spec:
  enableServiceLinks: false
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: expand}
spec:
  containers:
  - name: c
    image: busybox
    env:
    - {name: GREETING, value: hello}
    - {name: URL, value: "http://$(MY_NGINX_SERVICE_HOST):$(MY_NGINX_SERVICE_PORT)/"}
    - {name: ESCAPED, value: "$$(GREETING)"}
    - {name: UNKNOWN, value: "$(NOT_DEFINED)"}
    - {name: KUBERNETES_SERVICE_PORT, value: "8443"}
    command: [sh, -c, 'echo "args: $1 $2"; exec sleep 3600', "$(GREETING)"]
    args: ["$(URL)", "$$(URL)"]
---
apiVersion: v1
kind: Pod
metadata: {name: dns-none}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [ns1.svc.cluster-domain.example, my.dns.search.suffix]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: dns-merged}
spec:
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [extra.example]
    options: [{name: ndots, value: "1"}]
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: dns-default}
spec:
  dnsPolicy: Default
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: busybox1, labels: {name: busybox}}
spec:
  hostname: busybox-1
  subdomain: busybox-subdomain
  containers: [{name: busybox, image: busybox, command: [sleep, "3600"]}]
EOF
lab apply -f "$tmp/pods.yaml" >/dev/null
for p in links-off expand dns-none dns-merged dns-default busybox1; do
  wait_for 30 bash -c "[ \"\$('$LAB' get pod --lab $L $p -o jsonpath='{.status.phase}')\" = Running ]" || fail "$p is not Running"
done

env=$(env_of links-off)
has "$env" KUBERNETES_SERVICE_HOST=10.96.0.1 links-off
has "$env" KUBERNETES_SERVICE_PORT_HTTPS=443 links-off
grep -q '^MY_NGINX_' <<<"$env" && fail "enableServiceLinks: false still got MY_NGINX_ variables"
[ "$(lab get pod expand -o jsonpath='{.spec.enableServiceLinks}')" = true ] || fail "enableServiceLinks is not defaulted to true"

env=$(env_of expand)
has "$env" GREETING=hello expand
has "$env" "URL=http://$cip:80/" expand
has "$env" 'ESCAPED=$(GREETING)' expand
has "$env" 'UNKNOWN=$(NOT_DEFINED)' expand
has "$env" KUBERNETES_SERVICE_PORT=8443 expand          # env entries win over service variables
has "$env" KUBERNETES_SERVICE_HOST=10.96.0.1 expand
has "$env" "MY_NGINX_SERVICE_HOST=$cip" expand
wait_for 5 bash -c "'$LAB' logs --lab $L expand | grep -q ." || fail "expand printed nothing"
logs=$(lab logs expand)
echo "$logs"
# command: $(GREETING) is $0 of sh -c; args: $(URL) expanded, $$(URL) left as $(URL).
[ "$logs" = "args: http://$cip:80/ \$(URL)" ] || fail "command/args expansion: $logs"

note "resolv.conf as the kubelet writes it"
host_search=$(awk '$1 == "search" {s = $0} END {print s}' /etc/resolv.conf)
rc=$(lab exec "$(head -1 <<<"$new_pods")" -- cat /etc/resolv.conf)
echo "$rc"
if [ -z "$host_search" ]; then
  [ "$rc" = "$(printf 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5')" ] \
    || fail "ClusterFirst resolv.conf differs"
else
  grep -q '^search default.svc.cluster.local svc.cluster.local cluster.local' <<<"$rc" || fail "ClusterFirst search line"
  [ "$(sed -n 2,3p <<<"$rc")" = "$(printf 'nameserver 10.96.0.10\noptions ndots:5')" ] || fail "ClusterFirst resolv.conf differs"
fi
rc=$(lab exec dns-none -- cat /etc/resolv.conf)
echo "$rc"
[ "$rc" = "$(printf 'search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.53\noptions ndots:2 edns0')" ] \
  || fail "dnsPolicy None resolv.conf differs"
rc=$(lab exec dns-merged -- cat /etc/resolv.conf)
echo "$rc"
grep -qx 'nameserver 10.96.0.10' <<<"$rc" && grep -qx 'nameserver 192.0.2.53' <<<"$rc" || fail "merged nameservers"
grep -Eq '^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local( .*)? extra\.example$' <<<"$rc" || fail "merged search"
grep -qx 'options ndots:1' <<<"$rc" || fail "the pod's ndots does not replace the cluster's"
rc=$(lab exec dns-default -- cat /etc/resolv.conf)
echo "$rc"
[ "$(sort <<<"$rc")" = "$(grep -E '^(nameserver|search|options)[[:space:]]' /etc/resolv.conf | tr -s ' \t' ' ' | sort)" ] \
  || fail "dnsPolicy Default is not the node's resolv.conf"

note "dnsPolicy None without dnsConfig, and too many nameservers, are refused as the API server words it"
cat >"$tmp/bad-none.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: bad-none}
spec:
  dnsPolicy: None
  containers: [{name: c, image: busybox}]
EOF
out=$(lab apply -f "$tmp/bad-none.yaml" 2>&1) && fail "a None pod without dnsConfig was accepted"
echo "$out"
grep -qF 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None' <<<"$out" || fail "None message"
cat >"$tmp/bad-ns.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: bad-ns}
spec:
  dnsConfig: {nameservers: [1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4]}
  containers: [{name: c, image: busybox}]
EOF
out=$(lab apply -f "$tmp/bad-ns.yaml" 2>&1) && fail "4 nameservers were accepted"
echo "$out"
grep -qF 'must not have more than 3 nameservers' <<<"$out" || fail "nameserver limit message"

note "hostname and subdomain: hostname, /etc/hostname, /etc/hosts"
[ "$(lab exec busybox1 -- hostname)" = busybox-1 ] || fail "hostname is not spec.hostname"
[ "$(lab exec busybox1 -- cat /etc/hostname)" = busybox-1 ] || fail "/etc/hostname is not spec.hostname"
bip=$(lab get pod busybox1 -o jsonpath='{.status.podIP}')
hosts=$(lab exec busybox1 -- cat /etc/hosts)
echo "$hosts"
grep -qxP "$bip\tbusybox-1\.busybox-subdomain\.default\.svc\.cluster\.local\tbusybox-1" <<<"$hosts" || fail "/etc/hosts lacks the FQDN line"
head -1 <<<"$hosts" | grep -qx '# Kubernetes-managed hosts file.' || fail "hosts header"
p=$(head -1 <<<"$new_pods")
[ "$(lab exec "$p" -- cat /etc/hostname)" = "$p" ] || fail "without spec.hostname the hostname is the pod name"

note "the kubernetes Service's endpoint is the API server: anonymous /version is kube-apiserver's 401"
code=$(lab ssh node-1 -- curl -sk --max-time 5 -o /dev/null -w '%{http_code}' "https://10.96.0.1/version")
[ "$code" = 401 ] || fail "https://10.96.0.1/version from a node answered $code, not 401"

note "its address is reserved: no other Service may ask for it"
cat >"$tmp/thief.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: thief}
spec:
  clusterIP: 10.96.0.1
  ports: [{port: 80}]
EOF
out=$(lab apply -f "$tmp/thief.yaml" 2>&1) && fail "another Service got 10.96.0.1"
echo "$out"
grep -qF 'The Service "thief" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated' <<<"$out" \
  || fail "the refusal of 10.96.0.1 is not worded as the API server words it"

note "lab delete svc kubernetes: it is back, with the same ClusterIP"
uid=$(lab get svc kubernetes -o jsonpath='{.metadata.uid}')
lab delete svc kubernetes | grep -qx 'service "kubernetes" deleted' || fail "delete output"
wait_for 5 bash -c "[ \"\$('$LAB' get svc --lab $L kubernetes -o jsonpath='{.metadata.uid}' 2>/dev/null)\" != '' ] &&
                    [ \"\$('$LAB' get svc --lab $L kubernetes -o jsonpath='{.metadata.uid}')\" != '$uid' ]" \
  || fail "the kubernetes Service did not come back"
[ "$(lab get svc kubernetes -o jsonpath='{.spec.clusterIP}')" = 10.96.0.1 ] || fail "it came back with another ClusterIP"
lab get svc kubernetes

note "lab down leaves nothing"
"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
