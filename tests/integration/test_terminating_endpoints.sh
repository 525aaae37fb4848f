# Issue 13 item 5, with real traffic: terminating endpoints. A deleted pod that ignores SIGTERM
# stays terminating for its grace period; its EndpointSlice endpoint is terminating, serving
# while its readiness probe passes (the kubelet keeps probing readiness through termination) and
# not ready, so new connections to the ClusterIP never reach it; when its readiness fails,
# serving follows within seconds; a Service with publishNotReadyAddresses keeps it ready: true.
# `lab down` leaves nothing.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-terminating-endpoints
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: terminating-endpoints}
spec:
  nodes: 2
---
# Each pod answers / with its own name; it ignores SIGTERM, so a deleted one stays terminating
# until its grace period ends; it is ready while /tmp/ready exists.
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 45
      containers:
      - name: web
        image: busybox
        command: ["sh", "-c", "trap '' TERM; touch /tmp/ready; mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]
        ports: [{containerPort: 8080}]
        readinessProbe:
          exec: {command: [test, -f, /tmp/ready]}
          periodSeconds: 1
          failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: c, image: "radial/busyboxplus:curl", command: ["sleep", "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-pnr}
spec:
  publishNotReadyAddresses: true
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
lab_up $L "$tmp/lab.yaml" >/dev/null

# "name ready serving terminating" of each endpoint of Service $1's slices, sorted.
endpoints() {
  "$LAB" get endpointslices --lab $L -l "kubernetes.io/service-name=$1" \
    -o jsonpath='{range .items[*].endpoints[*]}{.targetRef.name} {.conditions.ready} {.conditions.serving} {.conditions.terminating}{"\n"}{end}' | sort
}
# The conditions of pod $2's endpoint in Service $1's slices.
conditions_of() { endpoints "$1" | awk -v p="$2" '$1 == p {print $2, $3, $4}'; }
expect_conditions() {  # service pod "ready serving terminating" seconds
  wait_for "$4" bash -c "[ \"\$(conditions_of $1 $2)\" = '$3' ]" && return 0
  endpoints "$1" >&2
  fail "$2's endpoint in $1 is not '$3' (ready serving terminating) after $4 s"
}
export -f endpoints conditions_of
export LAB L
ready_web() { [ "$(endpoints web | awk '$2 == "true" && $4 == "false"' | wc -l)" = "$1" ]; }
export -f ready_web

wait_for 60 ready_web 3 || { endpoints web >&2; fail "3 web endpoints did not become ready"; }
wait_for 30 bash -c "[ \"\$('$LAB' get pod client --lab $L -o jsonpath='{.status.phase}')\" = Running ]" || fail "client is not Running"
cip=$(lab get svc web -o jsonpath='{.spec.clusterIP}')
pnr_ip=$(lab get svc web-pnr -o jsonpath='{.spec.clusterIP}')
answer() { lab exec client -- curl -s --max-time 2 "$1" 2>/dev/null || true; }
retry bash -c "[ -n \"\$('$LAB' exec --lab $L client -- curl -s --max-time 2 http://$cip/)\" ]" || fail "the ClusterIP does not answer"

victim=$(lab get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
vip=$(lab get pod "$victim" -o jsonpath='{.status.podIP}')
note "delete $victim ($vip): it ignores SIGTERM and stays terminating"
lab delete pod "$victim" --wait=false | grep -qx "pod \"$victim\" deleted" || fail "delete $victim"
[ -n "$(lab get pod "$victim" -o jsonpath='{.metadata.deletionTimestamp}')" ] || fail "$victim has no deletionTimestamp"

note "(1) its endpoint: ready false, serving true, terminating true"
expect_conditions web "$victim" "false true true" 10
endpoints web
[ "$(lab get pod "$victim" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] \
  || fail "$victim's Ready condition is not True while its readiness passes"
note "(3) publishNotReadyAddresses: the terminating pod stays ready: true"
expect_conditions web-pnr "$victim" "true true true" 10
endpoints web-pnr

note "(4) new connections to the ClusterIP never reach the terminating pod (it still answers directly)"
[ "$(answer "http://$vip:8080/")" = "$victim" ] || fail "$victim does not answer on its own address"
wait_for 30 ready_web 3 || { endpoints web >&2; fail "the replacement pod did not become ready"; }
seen=""
for i in $(seq 1 40); do
  a=$(answer "http://$cip/")
  [ -n "$a" ] || fail "request $i to $cip got no answer"
  [ "$a" = "$victim" ] && fail "request $i to the ClusterIP reached the terminating pod $victim"
  seen="$seen $a"
done
note "40 requests answered by:$(tr ' ' '\n' <<<"$seen" | sort -u | tr '\n' ' ')"

note "(2) its readiness fails while it terminates: serving follows within seconds"
lab exec "$victim" -- rm /tmp/ready || fail "exec into the terminating pod"
expect_conditions web "$victim" "false false true" 5
wait_for 5 bash -c "[ \"\$('$LAB' get pod $victim --lab $L -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = False ]" \
  || fail "$victim's Ready condition did not turn False"
endpoints web
note "    with publishNotReadyAddresses it is still ready, no longer serving"
expect_conditions web-pnr "$victim" "true false true" 5
endpoints web-pnr
note "    and it serves again when its readiness passes again"
lab exec "$victim" -- touch /tmp/ready || fail "exec touch"
expect_conditions web "$victim" "false true true" 5
for i in $(seq 1 20); do
  [ "$(answer "http://$cip/")" = "$victim" ] && fail "request $i to the ClusterIP reached the terminating pod $victim"
done
[ "$(lab get pod "$victim" -o jsonpath='{.metadata.deletionTimestamp}')" != "" ] || fail "$victim is gone before the checks ended"

note "(5) lab down leaves nothing"
"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
