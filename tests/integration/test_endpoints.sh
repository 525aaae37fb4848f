# Issue 13 item 10: the legacy Endpoints (v1) beside EndpointSlices, with real traffic. Every
# Service with a selector gets Endpoints that follow its pods (`get endpoints`, `get ep`); a
# Service without a selector is served from the Endpoints a user writes (mirrored into slices, as
# the EndpointSlice mirroring controller does) or from EndpointSlices the user writes.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-endpoints
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
lab_up $L "$FIXTURES/svc-corners.yaml" >/dev/null
ip1=$(pod_field $L pod1 .status.podIP)
ip2=$(pod_field $L pod2 .status.podIP)
from_client() { lab exec client -- curl -s --max-time 2 "$1"; }
answers() { [ "$(from_client "$1")" = "$2" ]; }  # URL, the pod that must answer

note "get endpoints / get ep: the Service's pods, ip:port as kubectl prints them"
endpoints_are() { [ "$(lab get endpoints corners -o jsonpath='{range .subsets[*]}{.addresses[*].ip}:{.ports[*].port} {end}' | xargs -n1 | sort | xargs)" = "$1" ]; }
wait_for 10 endpoints_are "$ip1:8081 $ip2:8082" || { lab get endpoints corners -o yaml >&2; fail "Endpoints of corners are not pod1:8081 and pod2:8082"; }
out=$(lab get ep corners)
echo "$out"
echo "$out" | sed -n 1p | grep -Eq '^NAME +ENDPOINTS +AGE$' || fail "get ep header differs from kubectl's"
echo "$out" | sed 1d | grep -q "$ip1:8081" || fail "get ep does not show pod1's address"

note "a Service without a selector, served from the Endpoints a user writes"
cat >"$tmp/manual.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{port: 80, targetPort: 8081}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets:
- addresses: [{ip: $ip1}]
  ports: [{port: 8081}]
YAML
lab apply -f "$tmp/manual.yaml"
mirrored() {
  lab get endpointslices -l kubernetes.io/service-name=manual \
    -o jsonpath='{range .items[*]}{.metadata.labels.endpointslice\.kubernetes\.io/managed-by} {.endpoints[*].addresses[0]}:{.ports[0].port}{end}'
}
wait_for 10 bash -c "[ \"\$('$LAB' get endpointslices --lab $L -l kubernetes.io/service-name=manual -o name | wc -l)\" = 1 ]" || true
[ "$(mirrored)" = "endpointslicemirroring-controller.k8s.io $ip1:8081" ] || fail "the mirrored slice is '$(mirrored)'"
mip=$(lab get svc manual -o jsonpath='{.spec.clusterIP}')
retry answers "http://$mip/" pod1 || fail "the selectorless Service does not reach the user's endpoint"

note "the user changes the Endpoints: traffic follows"
sed -e "s/ip: $ip1/ip: $ip2/" -e 's/port: 8081}]$/port: 8082}]/' "$tmp/manual.yaml" | sed 's/targetPort: 8081/targetPort: 8082/' >"$tmp/manual2.yaml"
lab apply -f "$tmp/manual2.yaml"
retry answers "http://$mip/" pod2 || fail "traffic did not follow the changed Endpoints"

note "skip-mirror: Endpoints labelled endpointslice.kubernetes.io/skip-mirror=true get no slice"
lab patch endpoints manual --type merge -p '{"metadata":{"labels":{"endpointslice.kubernetes.io/skip-mirror":"true"}}}' >/dev/null
wait_for 10 bash -c "[ -z \"\$('$LAB' get endpointslices --lab $L -l kubernetes.io/service-name=manual -o name)\" ]" \
  || fail "the mirrored slice stayed after skip-mirror"

note "a Service without a selector, served from an EndpointSlice the user writes"
cat >"$tmp/sliced.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: sliced}
spec:
  ports: [{name: web, port: 80, targetPort: 8081}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: sliced-by-hand
  labels: {kubernetes.io/service-name: sliced, endpointslice.kubernetes.io/managed-by: by-hand}
addressType: IPv4
ports: [{name: web, port: 8081, protocol: TCP}]
endpoints:
- addresses: [$ip1]
  conditions: {ready: true}
YAML
lab apply -f "$tmp/sliced.yaml"
sip=$(lab get svc sliced -o jsonpath='{.spec.clusterIP}')
retry answers "http://$sip/" pod1 || fail "the user's EndpointSlice is not served"
[ -z "$(lab get endpoints sliced -o name 2>/dev/null)" ] || fail "Endpoints were made for a selectorless Service"

note "deleting a Service takes its Endpoints and mirrored slices"
lab patch endpoints manual --type merge -p '{"metadata":{"labels":{"endpointslice.kubernetes.io/skip-mirror":null}}}' >/dev/null
wait_for 10 bash -c "[ -n \"\$('$LAB' get endpointslices --lab $L -l kubernetes.io/service-name=manual -o name)\" ]" \
  || fail "removing skip-mirror did not bring the slice back"
lab delete svc manual corners
gone() { [ -z "$(lab get endpointslices -l kubernetes.io/service-name=manual -o name)" ] && [ -z "$(lab get endpoints corners -o name 2>/dev/null)" ]; }
wait_for 10 gone || fail "Endpoints or slices of deleted Services remain"

note "lab down leaves nothing"
"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
