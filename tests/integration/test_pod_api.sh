# The API from inside the cluster, as Kubernetes gives it to pods: the `kubernetes` Service's
# endpoints are the API server (the host's fabric address, port 6443), reached through the lab's
# own Service path at 10.96.0.1 and kubernetes.default.svc; every pod has its ServiceAccount's
# token, the cluster CA and its namespace under /var/run/secrets/kubernetes.io/serviceaccount; a
# real kubectl in a pod (image bitnami/kubectl: the machine's kubectl) reads `kubectl get pods`
# through the in-cluster config and is refused a write; no other port of the host answers a pod;
# a pod's token dies with the pod; `lab down` leaves nothing.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed (setup.sh installs it)"
before=$(machine_state)
L=t-podapi
tmp=$(mktemp -d)
listener=
trap '[ -n "$listener" ] && kill "$listener" 2>/dev/null; cleanup_labs; rm -rf "$tmp"' EXIT
export KUBECONFIG=$tmp/kube/config HOME=$tmp
mkdir -p "$tmp/kube"
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: podapi}
spec:
  nodes: 2
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - name: curl
    image: radial/busyboxplus:curl
    command: ["sh", "-c", "sleep 100000"]
YAML
lab_up $L "$tmp/lab.yaml" >/dev/null
k() { kubectl --context "lab-$L" "$@"; }
in_client() { lab exec client -- "$@"; }
SA=/var/run/secrets/kubernetes.io/serviceaccount

note "the kubernetes Service's endpoints: the API server on the host's fabric address, 6443"
k get endpoints kubernetes | tee /dev/stderr | sed 1d | grep -Eq '^kubernetes +[0-9.]+:6443 ' || fail "get endpoints kubernetes"
hip=$(k get endpoints kubernetes -o jsonpath='{.subsets[0].addresses[0].ip}')
ip -4 -o addr show | grep -q " inet $hip/" || fail "the endpoint $hip is not the host's fabric address"
[ "$(k get endpoints kubernetes -o jsonpath='{.metadata.labels.endpointslice\.kubernetes\.io/skip-mirror}')" = true ] \
  || fail "the Endpoints are not labelled skip-mirror"
slices=$(k get endpointslices -l kubernetes.io/service-name=kubernetes)
echo "$slices"
[ "$(sed 1d <<<"$slices" | wc -l)" = 1 ] || fail "not exactly one slice for the kubernetes Service"
sed 1d <<<"$slices" | grep -Eq "^kubernetes +IPv4 +6443 +$hip " || fail "the kubernetes slice differs"
[ "$(k get endpointslice kubernetes -o jsonpath='{.ports[0].name}/{.ports[0].protocol}/{.endpoints[0].conditions.ready}')" = https/TCP/true ] \
  || fail "the slice's port or condition differs"
k delete endpointslice kubernetes >/dev/null
wait_for 10 bash -c "kubectl --context lab-$L get endpointslice kubernetes >/dev/null 2>&1" || fail "the slice did not come back"

note "a pod's ServiceAccount and files"
[ "$(lab get pod client -o jsonpath='{.spec.serviceAccountName}/{.spec.serviceAccount}')" = default/default ] \
  || fail "serviceAccountName was not defaulted"
lab get pod client -o jsonpath='{.spec.volumes[0].name}' | grep -Eq '^kube-api-access-[a-z0-9]{5}$' || fail "no kube-api-access volume"
out=$(k get serviceaccounts)
echo "$out"
[ "$(head -1 <<<"$out" | tr -s ' ')" = "NAME SECRETS AGE" ] || fail "get serviceaccounts header"
grep -Eq '^default +0 +' <<<"$out" || fail "no default ServiceAccount"
k get sa -n kube-system default -o name | grep -qx serviceaccount/default || fail "kube-system has no default account"
k get cm kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' >"$tmp/ca.crt"
k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d | cmp -s - "$tmp/ca.crt" \
  || fail "kube-root-ca.crt is not the lab's CA"
listing=$(in_client ls -l $SA/)
echo "$listing"
for f in ca.crt namespace token; do
  grep -Eq " $f -> \.\.data/$f$" <<<"$listing" || fail "$SA/$f is not the atomic writer's link"
  [ "$(in_client stat -L -c %a $SA/$f)" = 644 ] || fail "$SA/$f is not mode 0644"
done
[ "$(in_client cat $SA/namespace)" = default ] || fail "namespace file"
in_client cat $SA/ca.crt | cmp -s - "$tmp/ca.crt" || fail "ca.crt in the pod is not the lab's CA"
token=$(in_client cat $SA/token)
[ "$(tr -cd . <<<"$token" | wc -c)" = 2 ] || fail "the token is not a JWT"
claims=$(cut -d. -f2 <<<"$token" | tr '_-' '/+' | { read -r p; printf '%s%s' "$p" "$(printf '%*s' $(((4 - ${#p} % 4) % 4)) '' | tr ' ' =)"; } | base64 -d)
echo "$claims"
grep -q '"sub":"system:serviceaccount:default:default"' <<<"$claims" || fail "the token's subject"
grep -q '"pod":{"name":"client"' <<<"$claims" || fail "the token is not bound to the pod"
in_client touch $SA/x 2>/dev/null && fail "the ServiceAccount directory is writable"

note "from a pod: https://10.96.0.1 and https://kubernetes.default.svc answer as kube-apiserver"
code=$(in_client curl -sk -o /dev/null -w '%{http_code}' https://10.96.0.1/version)
[ "$code" = 401 ] || fail "anonymous /version through 10.96.0.1 answered $code, not 401"
code=$(in_client curl -sk -o /dev/null -w '%{http_code}' https://kubernetes.default.svc/version)
[ "$code" = 401 ] || fail "anonymous /version through kubernetes.default.svc answered $code, not 401"
in_client sh -c "curl -s --cacert $SA/ca.crt -H \"Authorization: Bearer \$(cat $SA/token)\" https://kubernetes.default.svc/version" \
  | shows -q '"gitVersion": *"v1\.' || fail "the pod's token and CA do not reach /version"

note "no other port of the host answers a pod"
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 18443)); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhost\n"); c.close()
' "$hip" &
listener=$!
wait_for 5 bash -c "curl -s http://$hip:18443/ | grep -qx host" || fail "the test's host listener is not up"
in_client curl -s -m 5 http://$hip:18443/ && fail "a pod reached the host's port 18443"
in_client curl -sk -m 5 -o /dev/null -w '%{http_code}\n' https://$hip:6443/version | grep -qx 401 \
  || fail "a pod does not reach the API port directly"
kill "$listener"; wait "$listener" 2>/dev/null || true; listener=

note "kubectl in a pod: get pods through the in-cluster config"
cat >"$tmp/kubectl-pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: kubectl-get}
spec:
  restartPolicy: Never
  containers:
  - name: kubectl
    image: bitnami/kubectl
    args: ["get", "pods"]
---
apiVersion: v1
kind: Pod
metadata: {name: kubectl-shell}
spec:
  containers:
  - name: kubectl
    image: bitnami/kubectl
    command: ["sh", "-c", "sleep 100000"]
YAML
lab apply -f "$tmp/kubectl-pods.yaml" >/dev/null
phase() { [ "$(lab get pod "$1" -o jsonpath='{.status.phase}')" = "$2" ]; }
wait_for 60 phase kubectl-get Succeeded || { lab describe pod kubectl-get >&2; lab logs kubectl-get >&2 || true; fail "kubectl get pods in a pod did not succeed"; }
out=$(lab logs kubectl-get)
echo "$out"
head -1 <<<"$out" | grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE$' || fail "kubectl in a pod printed no pod table"
grep -Eq '^client +1/1 +Running +0 ' <<<"$out" || fail "kubectl in a pod does not list the client pod"
wait_for 60 phase kubectl-shell Running || fail "kubectl-shell is not Running"
out=$(lab exec kubectl-shell -- kubectl get pods -n kube-system -o name)
grep -q '^pod/coredns-' <<<"$out" || fail "kubectl in a pod: get pods -n kube-system printed: $out"
cms=$(lab get cm -o name)
if lab exec kubectl-shell -- kubectl create configmap x --from-literal=a=b >"$tmp/create.out" 2>&1; then
  cat "$tmp/create.out"; fail "a pod's token wrote a ConfigMap"
fi
cat "$tmp/create.out"
# kubectl's create configmap words a refusal as "failed to create configmap: <the 403's message>".
grep -qx 'error: failed to create configmap: configmaps is forbidden: User "system:serviceaccount:default:default" cannot create resource "configmaps" in API group "" in the namespace "default"' "$tmp/create.out" \
  || fail "the refused write is not kube-apiserver's 403"
[ "$(lab get cm -o name)" = "$cms" ] || fail "the refused write changed the ConfigMaps"
out=$(lab exec kubectl-shell -- kubectl delete pod client 2>&1) && fail "a pod's token deleted a pod"
echo "$out"
[ "$out" = 'Error from server (Forbidden): pods "client" is forbidden: User "system:serviceaccount:default:default" cannot delete resource "pods" in API group "" in the namespace "default"' ] \
  || fail "the refused delete is not kube-apiserver's 403"
lab get pod client -o name | grep -qx pod/client || fail "the refused delete removed the pod"

note "a pod's token dies with its pod"
api=$(cat "/run/lab/$L/api-address")
who() { curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "https://$api/api/v1/namespaces/default/pods"; }
[ "$(who)" = 200 ] || fail "the client's token does not read pods from the host"
lab delete pod client --grace-period=0 >/dev/null 2>&1 || lab delete pod client >/dev/null
wait_for 30 bash -c "[ -z \"\$('$LAB' get pods --lab $L client -o name 2>/dev/null)\" ]" || fail "client was not deleted"
[ "$(who)" = 401 ] || fail "the deleted pod's token is still good"

note "a token of a deleted ServiceAccount is refused; the account is made again"
status_with() { curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "https://$api/api/v1/namespaces/default/pods"; }
# A TokenRequest in JSON as the admin (kubectl 1.32's `create token` sends protobuf, which the lab
# does not decode yet).
echo '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}' >"$tmp/tokenrequest.json"
k config view --raw --minify -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d >"$tmp/admin.crt"
k config view --raw --minify -o jsonpath='{.users[0].user.client-key-data}' | base64 -d >"$tmp/admin.key"
new_token() {
  curl -sS --cacert "$tmp/ca.crt" --cert "$tmp/admin.crt" --key "$tmp/admin.key" -H 'Content-Type: application/json' \
    --data-binary @"$tmp/tokenrequest.json" "https://$api/api/v1/namespaces/default/serviceaccounts/default/token" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["status"]["token"])'
}
old_token=$(new_token)
[ "$(status_with "$old_token")" = 200 ] || fail "kubectl create token does not give a working token"
old_uid=$(k get sa default -o jsonpath='{.metadata.uid}')
k delete sa default | grep -qx 'serviceaccount "default" deleted' || fail "delete sa default"
remade() { [ -n "$(kubectl --context lab-$L get sa default -o jsonpath='{.metadata.uid}' 2>/dev/null)" ] &&
           [ "$(kubectl --context lab-$L get sa default -o jsonpath='{.metadata.uid}')" != "$old_uid" ]; }
wait_for 10 remade || fail "the default ServiceAccount was not made again"
[ "$(status_with "$old_token")" = 401 ] || fail "a token of the deleted account is still good"
[ "$(status_with "$(new_token)")" = 200 ] || fail "the new account's token does not work"

note "lab down leaves nothing"
"$LAB" down --lab $L >/dev/null
kubectl config get-contexts -o name | grep -qx "lab-$L" && fail "lab down left the context"
expect_state "$before"
echo "PASS"
