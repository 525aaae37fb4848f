# The lab's HTTPS API and its credentials, through the real kubectl and curl: `lab up` merges
# context lab-<name> into a kubeconfig kubectl wrote (mode 0600, current), `lab kubeconfig` prints
# the same credentials, the server certificate verifies against the lab's CA for 127.0.0.1 and
# kubernetes.default.svc; no credentials or a certificate of another CA get kube-apiserver's 401,
# a ServiceAccount token (TokenRequest) reads but gets a 403 for a write, which changes nothing;
# `kubectl auth can-i` and `auth whoami` answer by the same policy, for the admin and the token;
# a restarted daemon keeps its CA; `lab down` leaves the kubeconfig byte for byte as it was.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed"
command -v curl >/dev/null || fail "curl is not installed"
before=$(machine_state)
L=kcfg
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
export KUBECONFIG=$tmp/kube/config HOME=$tmp
# Someone's kubeconfig, written by kubectl itself.
kubectl config set-cluster other --server=https://192.0.2.1:6443 >/dev/null
kubectl config set-credentials other --token=not-a-real-token >/dev/null
kubectl config set-context other --cluster=other --user=other --namespace=web >/dev/null
kubectl config use-context other >/dev/null
cp -p "$KUBECONFIG" "$tmp/kubeconfig.before"
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: kcfg}
spec:
  nodes: 1
YAML

note "lab up merges context lab-$L and makes it current"
lab_up $L "$tmp/lab.yaml" >"$tmp/up.out"
up_out=$(cat "$tmp/up.out")
echo "$up_out"
[ "$(echo "$up_out" | grep -c "kubectl cluster-info --context lab-$L")" = 1 ] || fail "lab up does not print the cluster-info hint once"
[ "$(kubectl config current-context)" = "lab-$L" ] || fail "current-context is not lab-$L"
[ "$(stat -c %a "$KUBECONFIG")" = 600 ] || fail "the kubeconfig is not mode 0600"
kubectl config get-contexts other >/dev/null || fail "the other context is gone"

addr=$(cat /run/lab/$L/api-address)
[[ "$addr" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "api-address is '$addr', not 127.0.0.1:PORT"
port=${addr#127.0.0.1:}
ss -Hltn "sport = :$port" | awk '{print $4}' | grep -qvx "127.0.0.1:$port" && fail "the API listens beyond 127.0.0.1"
pki=/run/lab/$L/pki
[ "$(stat -c %a "$pki")" = 700 ] || fail "$pki is not 0700"
for k in ca.key apiserver.key admin.key sa.key; do
  [ "$(stat -c '%a %U' "$pki/$k")" = "600 root" ] || fail "$pki/$k is not root's 0600"
done

note "kubectl --context lab-$L get --raw /version"
ver=$(kubectl --context lab-$L get --raw /version)
echo "$ver"
echo "$ver" | grep -q '"gitVersion"' || fail "/version through kubectl failed"

note "lab kubeconfig prints the lab's credentials on their own"
"$LAB" kubeconfig --lab $L >"$tmp/own.yaml"
KUBECONFIG=$tmp/own.yaml kubectl get --raw /version | grep -q '"gitVersion"' || fail "lab kubeconfig's file does not work"
[ "$(KUBECONFIG=$tmp/own.yaml kubectl config current-context)" = "lab-$L" ] || fail "lab kubeconfig's context is not lab-$L"
[ "$(KUBECONFIG=$tmp/own.yaml kubectl config view -o jsonpath='{.contexts[0].context.namespace}')" = default ] ||
  fail "lab kubeconfig's context has no namespace default"

# The admin credentials as files, for curl.
KUBECONFIG=$tmp/own.yaml kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$tmp/ca.crt"
KUBECONFIG=$tmp/own.yaml kubectl config view --raw -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d >"$tmp/admin.crt"
KUBECONFIG=$tmp/own.yaml kubectl config view --raw -o jsonpath='{.users[0].user.client-key-data}' | base64 -d >"$tmp/admin.key"
cmp -s "$tmp/ca.crt" "$pki/ca.crt" || fail "the kubeconfig's CA is not the lab's"

note "the server certificate verifies for 127.0.0.1 and kubernetes.default.svc"
curl -sS --cacert "$tmp/ca.crt" --cert "$tmp/admin.crt" --key "$tmp/admin.key" "https://$addr/version" | grep -q gitVersion ||
  fail "curl with the CA and the admin certificate failed"
curl -sS --cacert "$tmp/ca.crt" --cert "$tmp/admin.crt" --key "$tmp/admin.key" \
  --resolve "kubernetes.default.svc:$port:127.0.0.1" "https://kubernetes.default.svc:$port/version" | grep -q gitVersion ||
  fail "the server certificate does not name kubernetes.default.svc"
[ "$(openssl x509 -in "$pki/apiserver.crt" -noout -ext subjectAltName | grep -c 'IP Address:10.96.0.1')" = 1 ] ||
  fail "the server certificate does not name the kubernetes Service's ClusterIP"

unauthorized='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
note "no credentials: 401"
code=$(curl -sk -o "$tmp/body" -w '%{http_code}' "https://$addr/api/v1/namespaces/default/pods")
[ "$code" = 401 ] || fail "no credentials: HTTP $code, not 401"
[ "$(cat "$tmp/body")" = "$unauthorized" ] || fail "the 401 body is not kube-apiserver's: $(cat "$tmp/body")"
code=$(curl -sk -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"intruder"}}' "https://$addr/api/v1/namespaces/default/configmaps")
[ "$code" = 401 ] || fail "an anonymous POST: HTTP $code, not 401"

note "a certificate of another CA, with the admin's subject: 401"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/evil.key" -out "$tmp/evil.crt" \
  -subj "/O=system:masters/CN=kubernetes-admin" -days 1 -addext extendedKeyUsage=clientAuth 2>/dev/null
code=$(curl -sk -o "$tmp/body" -w '%{http_code}' --cert "$tmp/evil.crt" --key "$tmp/evil.key" \
  -X POST -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"intruder"}}' \
  "https://$addr/api/v1/namespaces/default/configmaps")
[ "$code" = 401 ] || fail "a foreign certificate: HTTP $code, not 401"

note "a ServiceAccount token reads, and may not write"
tr=$(curl -sS --cacert "$tmp/ca.crt" --cert "$tmp/admin.crt" --key "$tmp/admin.key" -X POST -H 'Content-Type: application/json' \
  -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}}' \
  "https://$addr/api/v1/namespaces/default/serviceaccounts/default/token")
token=$(echo "$tr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])') || fail "no TokenRequest: $tr"
code=$(curl -sS --cacert "$tmp/ca.crt" -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
  "https://$addr/api/v1/namespaces/default/pods")
[ "$code" = 200 ] || fail "a token's GET: HTTP $code: $(cat "$tmp/body")"
grep -q '"kind":"PodList"' "$tmp/body" || fail "a token's GET is no PodList"
code=$(curl -sS --cacert "$tmp/ca.crt" -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -X POST -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"intruder"}}' \
  "https://$addr/api/v1/namespaces/default/configmaps")
[ "$code" = 403 ] || fail "a token's POST: HTTP $code, not 403"
grep -q 'configmaps is forbidden: User \\"system:serviceaccount:default:default\\" cannot create resource \\"configmaps\\" in API group \\"\\" in the namespace \\"default\\"' "$tmp/body" ||
  fail "the 403 is not worded as kube-apiserver's: $(cat "$tmp/body")"
# Forgeries: a changed character in the middle of the signature, and a last character spelled
# differently (its unused bits set), which a lenient decoder would read as the same signature.
mid=$(( ${#token} - 20 ))
c=${token:$mid:1}; [ "$c" = A ] && r=B || r=A
last=${token: -1}; [ "$last" = x ] && l=y || l=x
for forged in "${token:0:$mid}$r${token:$((mid + 1))}" "${token%?}$l"; do
  code=$(curl -sS --cacert "$tmp/ca.crt" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $forged" \
    "https://$addr/api/v1/namespaces/default/pods")
  [ "$code" = 401 ] || fail "a forged token: HTTP $code, not 401"
done
kubectl --context lab-$L get configmap intruder >/dev/null 2>&1 && fail "a refused write changed the lab"

note "kubectl auth can-i / whoami: the admin may do anything, the token only read"
out=$(kubectl --context lab-$L auth can-i create pods) && [ "$out" = yes ] || fail "the admin's can-i create pods: '$out'"
kubectl --context lab-$L auth whoami | shows -Eqx 'Username +kubernetes-admin' || fail "whoami does not name the admin"
# kubectl 1.29 asks in JSON, 1.32 in protobuf.
out=$(/usr/lib/google-cloud-sdk/bin/kubectl.1.29 --context lab-$L auth can-i delete services) && [ "$out" = yes ] ||
  fail "kubectl 1.29's can-i: '$out'"
as_token() { KUBECONFIG=/dev/null kubectl --server "https://$addr" --certificate-authority "$tmp/ca.crt" --token "$token" "$@"; }
rc=0; out=$(as_token auth can-i create pods) || rc=$?
[ "$out" = no ] && [ "$rc" = 1 ] || fail "the token's can-i create pods: '$out' (exit $rc)"
out=$(as_token auth can-i list pods) && [ "$out" = yes ] || fail "the token's can-i list pods: '$out'"
rc=0; out=$(as_token auth can-i create pods --subresource=exec) || rc=$?
[ "$out" = no ] || fail "the token's can-i exec: '$out'"
as_token auth whoami | shows -Eqx 'Username +system:serviceaccount:default:default' || fail "whoami does not name the account"

note "a restarted daemon keeps the lab's CA and the kubeconfig keeps working"
pid=$(cat /run/lab/$L/daemon.pid)
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
"$LAB" up "$tmp/lab.yaml" --name $L >/dev/null || fail "lab up did not restart the daemon"
cmp -s "$tmp/ca.crt" "$pki/ca.crt" || fail "the restarted daemon made a new CA"
retry kubectl --context lab-$L get --raw /version >/dev/null || fail "the kubeconfig does not reach the restarted daemon"

note "lab down leaves the kubeconfig as kubectl wrote it"
"$LAB" down --lab $L
cmp "$tmp/kubeconfig.before" "$KUBECONFIG" || { diff "$tmp/kubeconfig.before" "$KUBECONFIG" >&2; fail "the kubeconfig differs from before lab up"; }
expect_state "$before"
echo "PASS"
