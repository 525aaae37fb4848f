# The tutorial typed into the machine's real kubectl (pinned: the kubectl on PATH, 1.32 through the
# Cloud SDK dispatcher), against a lab's HTTPS API with the kubeconfig `lab up` merged: discovery,
# OpenAPI-backed validation, server-side Tables, apply (create, unchanged, configured: a
# strategic-merge patch), expose, describe, the scale subresource, protobuf bodies of
# `create secret tls` and `create configmap`, edit, cluster-info, delete. Real traffic checks that
# what kubectl changed is what the lab serves. `lab down` takes the context out again.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed (setup.sh installs it)"
before=$(machine_state)
L=k-kubectl
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
# A kubeconfig of the test's own, with someone else's context in it that must survive; an empty
# discovery cache (HOME), as a new user has.
export KUBECONFIG=$tmp/kube/config HOME=$tmp
mkdir -p "$tmp/kube"
cat >"$KUBECONFIG" <<'YAML'
apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://192.0.2.1:6443
  name: other
contexts:
- context:
    cluster: other
    user: other
  name: other
current-context: other
users:
- name: other
  user:
    token: not-a-real-token
YAML
kubectl config view --raw >"$tmp/kubeconfig.before"
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: kubectl}
spec:
  nodes: 2
YAML
T=$FIXTURES/tutorial
k() { kubectl "$@"; }

note "lab up merges context lab-$L and makes it current"
lab_up $L "$tmp/lab.yaml" >"$tmp/up.out"
up_out=$(cat "$tmp/up.out")
echo "$up_out"
echo "$up_out" | grep -q "kubectl cluster-info --context lab-$L" || fail "lab up does not print the cluster-info hint"
[ "$(k config current-context)" = "lab-$L" ] || fail "current-context is not lab-$L"
[ "$(stat -c %a "$KUBECONFIG")" = 600 ] || fail "the kubeconfig is not mode 0600"

note "kubectl version: the server's minor picks kubectl 1.32"
k version | shows -Eq '^Server Version: v1\.32\.' || fail "no Server Version v1.32"

note "kubectl apply -f run-my-nginx.yaml: created, then unchanged"
k apply -f "$T/run-my-nginx.yaml" | shows -qx 'deployment.apps/my-nginx created' || fail "apply did not create"
k apply -f "$T/run-my-nginx.yaml" | shows -qx 'deployment.apps/my-nginx unchanged' || fail "second apply changed something"

running() { [ "$(k get pods -l run=my-nginx --no-headers 2>/dev/null | awk '$2 == "1/1" && $3 == "Running"' | wc -l)" = "$1" ]; }
wait_for 60 running 2 || { k get pods -o wide >&2; fail "2 my-nginx pods are not 1/1 Running"; }

note "kubectl get pods -l run=my-nginx -o wide: kubectl's columns from the server's Table"
out=$(k get pods -l run=my-nginx -o wide)
echo "$out"
echo "$out" | sed -n 1p | grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$' \
  || fail "the wide header is not kubectl's"
echo "$out" | sed 1d | awk '{ if ($1 !~ /^my-nginx-/ || $6 !~ /^10\.244\./ || $7 !~ /^node-/) exit 1 }' \
  || fail "rows do not show name, pod IP and node"
k get pods -l run=my-nginx -o custom-columns=POD_IP:.status.podIPs \
  | shows -Eq '^\[map\[ip:10\.244\.[0-9]+\.[0-9]+\]\]$' || fail "custom-columns output differs"

note "kubectl get pods --chunk-size=1: the list in pages (limit/continue), every pod once, one header"
out=$(k get pods -l run=my-nginx --chunk-size=1 -v=6 2>"$tmp/chunks.log")
echo "$out"
[ "$(echo "$out" | grep -c '^NAME ')" = 1 ] || fail "paged get printed the header more than once"
[ "$(echo "$out" | sed 1d | awk '{print $1}' | sort -u | grep -c '^my-nginx-')" = 2 ] || fail "paged get did not show both pods once"
[ "$(echo "$out" | sed 1d | wc -l)" = 2 ] || fail "paged get printed a pod twice"
grep -q 'pods?continue=.*&labelSelector=run%3Dmy-nginx&limit=1 200 OK' "$tmp/chunks.log" \
  || { cat "$tmp/chunks.log" >&2; fail "kubectl did not read a second page"; }

note "kubectl apply of an edited file: configured by a strategic-merge patch"
sed 's/replicas: 2/replicas: 3/' "$T/run-my-nginx.yaml" >"$tmp/run-my-nginx.yaml"
k apply -f "$tmp/run-my-nginx.yaml" | shows -qx 'deployment.apps/my-nginx configured' || fail "apply did not configure"
wait_for 60 running 3 || fail "3 replicas are not Running after apply"
[ "$(k get deployment my-nginx -o jsonpath='{.spec.template.spec.containers[0].ports[0].containerPort}')" = 80 ] \
  || fail "the patch lost the container's port"

note "kubectl expose deployment/my-nginx; get svc; describe svc; endpointslices"
k expose deployment/my-nginx | shows -qx 'service/my-nginx exposed' || fail "expose failed"
out=$(k get svc my-nginx)
echo "$out"
echo "$out" | sed -n 1p | grep -Eq '^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$' || fail "svc header differs"
echo "$out" | sed 1d | grep -Eq '^my-nginx +ClusterIP +10\.[0-9.]+ +<none> +80/TCP ' || fail "svc row differs"
ips=$(k get pods -l run=my-nginx -o jsonpath='{.items[*].status.podIP}')
describe_has_endpoints() {
  local d; d=$(k describe svc my-nginx) || return 1
  for ip in $ips; do echo "$d" | grep -E '^Endpoints:' | grep -q "$ip:80" || return 1; done
}
wait_for 20 describe_has_endpoints || { k describe svc my-nginx >&2; fail "describe svc does not list the pods as endpoints"; }
k get endpointslices -l kubernetes.io/service-name=my-nginx | sed 1d | shows -Eq '^my-nginx-[a-z0-9]+ +IPv4 +80 +10\.244\.' \
  || fail "endpointslices row differs"

note "the Service kubectl made serves: curl its ClusterIP from a node"
cip=$(k get svc my-nginx -o jsonpath='{.spec.clusterIP}')
retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$cip/" | shows -q "Welcome to nginx!" \
  || fail "the ClusterIP does not serve"

note "kubectl scale deployment my-nginx --replicas=0 (the scale subresource), then back to 2"
k scale deployment my-nginx --replicas=0 | shows -qx 'deployment.apps/my-nginx scaled' || fail "scale failed"
no_pods() { [ -z "$(k get pods -l run=my-nginx -o name 2>/dev/null)" ]; }
wait_for 60 no_pods || fail "pods remain after scale to 0"
k scale deployment my-nginx --current-replicas=0 --replicas=2 | shows -qx 'deployment.apps/my-nginx scaled' \
  || fail "scale --current-replicas failed"
wait_for 60 running 2 || fail "2 replicas are not back"

note "kubectl create secret tls / create configmap: protobuf bodies"
k create secret tls nginxsecret --key "$FIXTURES/protobuf/k.pem" --cert "$FIXTURES/protobuf/c.pem" \
  | shows -qx 'secret/nginxsecret created' || fail "create secret tls failed"
k get secrets | shows -Eq '^nginxsecret +kubernetes.io/tls +2 ' || fail "get secrets row differs"
k create configmap nginxconfigmap --from-file="$T/default.conf" \
  | shows -qx 'configmap/nginxconfigmap created' || fail "create configmap failed"
k describe configmap nginxconfigmap | shows -q 'listen 443 ssl;' || fail "describe configmap does not show default.conf"

note "kubectl edit svc my-nginx to LoadBalancer: an EXTERNAL-IP the host reaches"
EDITOR="sed -i s/ClusterIP/LoadBalancer/" k edit svc my-nginx | shows -qx 'service/my-nginx edited' \
  || fail "edit failed"
lb_ip() { k get svc my-nginx -o jsonpath='{.status.loadBalancer.ingress[0].ip}'; }
wait_for 20 sh -c "kubectl get svc my-nginx | grep -Eq 'LoadBalancer +10\.[0-9.]+ +172\.[0-9]+\.255\.'" \
  || { k get svc my-nginx >&2; fail "no EXTERNAL-IP in get svc"; }
retry curl -s --max-time 2 "http://$(lb_ip)/" | shows -q "Welcome to nginx!" || fail "the LoadBalancer IP does not serve the host"

note "kube-dns in kube-system; cluster-info; get pods -A"
k get services kube-dns --namespace=kube-system | shows -Eq '^kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53/UDP,53/TCP' \
  || fail "kube-dns row differs"
k cluster-info | shows -q "Kubernetes control plane is running at https://127.0.0.1:" || fail "cluster-info differs"
out=$(k get pods -A)
echo "$out"
echo "$out" | sed -n 1p | grep -Eq '^NAMESPACE +NAME +READY +STATUS' || fail "get pods -A has no NAMESPACE column"
echo "$out" | awk '$1 == "kube-system"' | grep -q coredns || fail "get pods -A does not show coredns in kube-system"

note "kubectl delete deployments,svc my-nginx"
out=$(k delete deployments,svc my-nginx)
echo "$out"
echo "$out" | grep -qx 'deployment.apps "my-nginx" deleted' || fail "delete deployment output differs"
echo "$out" | grep -qx 'service "my-nginx" deleted' || fail "delete service output differs"
wait_for 60 no_pods || fail "pods remain after the deployment's delete"

note "lab down takes the context out and leaves the rest of the kubeconfig as it was"
"$LAB" down --lab $L
diff "$tmp/kubeconfig.before" <(kubectl config view --raw) >&2 || fail "the kubeconfig differs from before lab up"
expect_state "$before"
echo "PASS"
