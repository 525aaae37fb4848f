# Namespaces in scenario files and manifests, as a user writes them for a real cluster: a
# Namespace document (anywhere in the file) makes the namespace before what lives in it; a
# ServiceAccount document replaces the namespace's `default` one; an object in a namespace nobody
# made is refused with file:line and nothing is left; `lab apply -f` and `lab delete` of a
# namespace; traffic and DNS across namespaces.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
L=h2-ns

cat >"$tmp/shop.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: namespaces}
spec:
  nodes: 2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - port: 8080
    targetPort: 80
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: blue}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec:
  serviceAccountName: robot
  containers:
  - name: client
    image: busybox
    command: [sleep, "3600"]
YAML

note "an object in a namespace the scenario does not make: refused at its line, nothing left"
awk 'BEGIN { RS = "---\n"; ORS = "---\n" } !/kind: Namespace/' "$tmp/shop.yaml" >"$tmp/no-ns.yaml"
grep -q '^kind: Namespace' "$tmp/no-ns.yaml" && fail "the test's scenario without a Namespace still has one"
if out=$(lab_up $L "$tmp/no-ns.yaml" 2>&1); then fail "lab up accepted a Deployment in a namespace nobody makes"; fi
echo "$out"
echo "$out" | grep -q "no-ns.yaml:11:14: Deployment \"web\": metadata.namespace: namespaces \"shop\" not found" ||
  fail "the refusal does not name the file, line and field"
expect_state "$before"

note "lab up: the Namespace document comes last in the file, yet everything lives in it"
lab_up $L "$tmp/shop.yaml" >/dev/null
out=$(lab get namespaces)
echo "$out"
echo "$out" | grep -Eq '^shop +Active ' || fail "namespace shop is not listed Active"
[ "$(lab get namespace shop -o jsonpath='{.metadata.labels.team}')" = blue ] || fail "the namespace lost its labels"
out=$(lab get pods -n shop)
echo "$out"
[ "$(echo "$out" | grep -Ec '^web-[a-z0-9]+-[a-z0-9]+ +1/1 +Running ')" = 2 ] || fail "shop's web pods are not Running"
echo "$out" | grep -Eq '^client +1/1 +Running ' || fail "shop's client pod is not Running"
[ -z "$(lab get pods -o name)" ] || fail "pods of shop appear in default"

note "ServiceAccounts: the scenario's default replaces the made one; robot's token is mounted"
[ "$(lab get serviceaccount default -n shop -o jsonpath='{.automountServiceAccountToken}')" = false ] ||
  fail "the scenario's default ServiceAccount did not replace the lab's"
web=$(lab get pods -n shop -l app=web -o name | head -1 | sed 's|^pod/||')
if lab exec -n shop "$web" -- ls /var/run/secrets/kubernetes.io/serviceaccount/ >/dev/null 2>&1; then
  fail "a pod of an account with automountServiceAccountToken: false got a token"
fi
out=$(lab exec -n shop client -- cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)
[ "$out" = shop ] || fail "client's mounted namespace file reads '$out'"

note "traffic and DNS: web.shop from default, web from inside shop"
cip=$(lab get svc web -n shop -o jsonpath='{.spec.clusterIP}')
out=$(lab run probe --image=busybox --restart=Never --rm -i -- wget -qO- http://web.shop:8080/ 2>&1) || true
echo "$out" | shows -q "Welcome to nginx!" || fail "web.shop:8080 does not answer from the default namespace"
out=$(lab exec -n shop client -- wget -qO- http://web:8080/ 2>&1) || true
echo "$out" | shows -q "Welcome to nginx!" || fail "web:8080 does not answer from inside shop"
out=$(lab exec -n shop client -- nslookup web.shop.svc.cluster.local 2>&1) || true
echo "$out" | shows -q "Address: $cip" || fail "web.shop.svc.cluster.local does not resolve to $cip"

note "lab apply -f of a Namespace and what lives in it; lab delete namespace takes it all"
cat >"$tmp/blue.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: blue}
data: {colour: blue}
YAML
out=$(lab apply -f "$tmp/blue.yaml")
echo "$out"
[ "$out" = $'namespace/blue created\nconfigmap/settings created' ] || fail "apply -f printed '$out'"
[ "$(lab get configmap settings -n blue -o jsonpath='{.data.colour}')" = blue ] || fail "blue's ConfigMap is missing"
out=$(lab delete namespace shop)
[ "$out" = 'namespace "shop" deleted' ] || fail "delete namespace printed '$out'"
shop_gone() { [ -z "$(lab get pods,services,deployments,configmaps,serviceaccounts -n shop -o name 2>/dev/null)" ]; }
wait_for 30 shop_gone || fail "deleting namespace shop left what it held"
if lab get namespace shop >/dev/null 2>&1; then fail "namespace shop is still there"; fi
[ "$(lab get configmap settings -n blue -o jsonpath='{.data.colour}')" = blue ] || fail "another namespace lost its objects"

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
