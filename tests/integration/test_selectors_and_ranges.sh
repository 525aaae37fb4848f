# Selectors that do not parse are refused (CLI and API) and delete nothing; field selectors select;
# scenarios with ranges a lab must never route, a NodePort the allocator would refuse, text that is
# not UTF-8 or a file far too large are refused before anything exists, with file:line:field, and
# leave the machine (routes included) as it was.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
routes_before=$(ip -4 route show table all)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
L=t-selrange

# refuse FILE PATTERN: `lab up FILE` fails, the message has FILE:LINE:COL and PATTERN, and nothing
# on the machine changed (no namespace, link, route, nft table, /run/lab entry).
refuse() {
  local file=$1 pattern=$2 out rc
  set +e; out=$("$LAB" up "$file" --name t-selrange-bad 2>&1); rc=$?; set -e
  echo "$out"
  [ $rc != 0 ] || fail "$file was accepted"
  echo "$out" | grep -Eq "$(basename "$file"):[0-9]+:[0-9]+: " || fail "$file: message does not name file:line:col"
  echo "$out" | grep -Fq -- "$pattern" || fail "$file: message does not say: $pattern"
  echo "$out" | grep -q "internal error" && fail "$file: an internal error instead of a message"
  [ "$(machine_state)" = "$before" ] || fail "$file changed the machine"
  [ "$(ip -4 route show table all)" = "$routes_before" ] || fail "$file changed the host's routes"
}

note "ranges a lab must never route"
refuse "$FIXTURES/lab-node-cidr-this-network.yaml" \
  'spec.nodeCIDR: Invalid value: "0.0.0.0/16": must not overlap the "this network" block 0.0.0.0/8'
refuse "$FIXTURES/lab-node-cidr-loopback.yaml" 'spec.nodeCIDR: Invalid value: "127.0.0.0/16": must not overlap the loopback block'
refuse "$FIXTURES/lab-node-cidr-multicast.yaml" 'spec.nodeCIDR: Invalid value: "224.0.0.0/16": must not overlap the multicast block'
refuse "$FIXTURES/lab-pod-cidr-loopback.yaml" 'spec.podCIDR: Invalid value: "127.0.0.0/16": must not overlap the loopback block'
sed 's|^  nodes: 1|  nodes: 1\n  loadBalancerPool: 169.254.0.10-169.254.0.20|' "$FIXTURES/lab-node-cidr-loopback.yaml" |
  sed 's|nodeCIDR: .*|nodeCIDR: 10.77.0.0/16|' >"$tmp/pool-link-local.yaml"
refuse "$tmp/pool-link-local.yaml" 'spec.loadBalancerPool: Invalid value: "169.254.0.10-169.254.0.20": must not overlap the link-local block'

note "a NodePort outside 30000-32767: refused by the loader, with its line, before the network exists"
refuse "$FIXTURES/svc-nodeport-1.yaml" \
  'svc-nodeport-1.yaml:18:15: Service "low-nodeport": spec.ports[0].nodePort: Invalid value: 1: provided port is not in the valid range. The range of valid ports is 30000-32767'
cat >"$tmp/two-nodeports.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: first}
spec:
  type: NodePort
  ports:
  - {port: 80, nodePort: 30080}
---
apiVersion: v1
kind: Service
metadata: {name: second}
spec:
  type: NodePort
  ports:
  - {port: 81, nodePort: 30080}
YAML
refuse "$tmp/two-nodeports.yaml" \
  'two-nodeports.yaml:15:26: Service "second": spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated (by Service "first" at line 7)'

note "text that is not UTF-8: an error with its line, not an internal error"
refuse "$FIXTURES/env-not-utf8.yaml" 'env-not-utf8.yaml:12:14: Pod "not-utf8": spec.containers[0].env[0].value: not valid UTF-8'
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "p\xff"\n' >"$tmp/name-not-utf8.yaml"
refuse "$tmp/name-not-utf8.yaml" 'metadata.name: not valid UTF-8'

note "a 50 MB scenario and one of 500,000 objects are refused at once"
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s%d}\nspec: {ports: [{port: 80}]}\n---\n"
with open(d + "/huge.yaml", "w") as f:
    for i in range(500000):
        f.write(svc % i)
with open(d + "/many.yaml", "w") as f:
    for i in range(10001):
        f.write("a: 1\n---\n")
PY
[ "$(stat -c %s "$tmp/huge.yaml")" -gt 30000000 ] || fail "the generated scenario is not that large"
set +e; out=$(timeout 20 "$LAB" up "$tmp/huge.yaml" --name t-selrange-bad 2>&1); rc=$?; set -e
echo "$out"
[ $rc != 0 ] && [ $rc != 124 ] || fail "a 50 MB scenario was accepted or did not finish (rc $rc)"
echo "$out" | grep -Fq "huge.yaml: too large: a scenario holds at most 3 MiB (3145728 bytes)" || fail "size message"
[ "$(machine_state)" = "$before" ] || fail "the huge scenario changed the machine"
refuse "$tmp/many.yaml" "too many documents: a scenario holds at most 10000"

note "a lab to select from"
lab_up $L "$TUTORIAL" >/dev/null
"$LAB" rollout status --lab $L deployment my-nginx --timeout=60 >/dev/null || fail "my-nginx did not become available"
pods_before=$("$LAB" get pods --lab $L -o 'jsonpath={.items[*].metadata.uid}')
[ "$(echo "$pods_before" | wc -w)" = 2 ] || fail "expected the tutorial's 2 pods, got: $pods_before"
sock=/run/lab/$L/api.sock

note "lab get/delete -l '!!!': kubectl's error, nothing deleted"
want='Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "!!!", field selector "": unable to parse requirement: found '"'!'"', expected: identifier'
set +e; out=$("$LAB" get pods --lab $L -l '!!!' 2>&1); rc=$?; set -e
[ $rc != 0 ] || fail "get -l '!!!' succeeded: $out"
[ "$out" = "$want" ] || fail "get -l '!!!' said: $out"
set +e; out=$("$LAB" delete pods --lab $L -l '!!!' 2>&1); rc=$?; set -e
[ $rc != 0 ] || fail "delete -l '!!!' succeeded: $out"
[ "$out" = "$want" ] || fail "delete -l '!!!' said: $out"
for bad in 'a in (b' 'run=my-nginx,' '-x' 'a=b c'; do
  set +e; out=$("$LAB" delete pods --lab $L -l "$bad" 2>&1); rc=$?; set -e
  [ $rc != 0 ] || fail "delete -l '$bad' succeeded: $out"
  echo "$out" | grep -q '^Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector' ||
    fail "delete -l '$bad' said: $out"
done
for blank in '' '   '; do  # kubectl trims a selector; a blank one selects nothing to delete
  set +e; out=$("$LAB" delete pods --lab $L -l "$blank" 2>&1); rc=$?; set -e
  [ $rc != 0 ] && [ "$out" = "error: resource(s) were provided, but no name was specified" ] || fail "delete -l '$blank': $out"
done
set +e; out=$("$LAB" delete pods --lab $L --field-selector spec.containers=x 2>&1); rc=$?; set -e
[ $rc != 0 ] || fail "an unsupported field selector deleted: $out"
echo "$out" | grep -Fq 'field selector "spec.containers=x": field label not supported: spec.containers' || fail "field selector message: $out"
set +e; out=$("$LAB" get deployments --lab $L --field-selector spec.replicas=2 2>&1); rc=$?; set -e
[ $rc != 0 ] || fail "deployments took spec.replicas as a field selector"
echo "$out" | grep -Fq 'Unable to find "apps/v1, Resource=deployments" that match label selector "", field selector "spec.replicas=2": "spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"' ||
  fail "deployment field selector message: $out"
[ "$("$LAB" get pods --lab $L -o 'jsonpath={.items[*].metadata.uid}')" = "$pods_before" ] || fail "pods changed"

note "the API answers 400 with the apimachinery wording (list, watch, deletecollection)"
api() { curl -s --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1" "http://lab$2"; }
code=$(api GET '/api/v1/namespaces/default/pods?labelSelector=%21%21%21')
[ "$code" = 400 ] || fail "list with labelSelector=!!! answered $code"
[ "$(jq -r '.kind + " " + .reason + " " + .message' "$tmp/body")" = "Status BadRequest unable to parse requirement: found '!', expected: identifier" ] ||
  fail "list body: $(cat "$tmp/body")"
code=$(api GET '/api/v1/namespaces/default/pods?watch=true&labelSelector=%21%21%21')
[ "$code" = 400 ] || fail "watch with labelSelector=!!! answered $code"
code=$(api DELETE '/api/v1/namespaces/default/pods?labelSelector=%21%21%21')
[ "$code" = 400 ] || fail "deletecollection with labelSelector=!!! answered $code"
code=$(api DELETE '/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dx')
[ "$code" = 400 ] || fail "deletecollection with fieldSelector=spec.foo=x answered $code"
[ "$(jq -r .message "$tmp/body")" = "field label not supported: spec.foo" ] || fail "field body: $(cat "$tmp/body")"
code=$(api DELETE '/api/v1/namespaces/default/pods?labelSelector=run%3Dnobody')
[ "$code" = 200 ] && [ "$(jq '.items | length' "$tmp/body")" = 0 ] || fail "deletecollection of nothing: $code $(cat "$tmp/body")"
[ "$("$LAB" get pods --lab $L -o 'jsonpath={.items[*].metadata.uid}')" = "$pods_before" ] || fail "pods changed"

note "field selectors select (CLI and API)"
first=$("$LAB" get pods --lab $L -o 'jsonpath={.items[0].metadata.name}')
node=$("$LAB" get pods --lab $L "$first" -o 'jsonpath={.spec.nodeName}')
want=$("$LAB" get pods --lab $L -o json | jq -r --arg n "$node" '[.items[] | select(.spec.nodeName == $n) | .metadata.name] | sort | join(" ")')
got=$("$LAB" get pods --lab $L --field-selector "spec.nodeName=$node" -o json | jq -r '[.items[].metadata.name] | sort | join(" ")')
[ "$got" = "$want" ] || fail "spec.nodeName=$node selected '$got', not '$want'"
[ "$("$LAB" get pods --lab $L --field-selector status.phase=Running,metadata.namespace=default -o name | wc -l)" = 2 ] ||
  fail "status.phase=Running did not select both pods"
got=$("$LAB" get pods --lab $L -l 'run in (my-nginx),!nope' --field-selector "metadata.name!=$first" -o name)
[ "$(echo "$got" | wc -l)" = 1 ] && [ "$got" != "pod/$first" ] || fail "metadata.name!=$first selected: $got"
code=$(api GET "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3D$first")
[ "$code" = 200 ] && [ "$(jq -r '[.items[].metadata.name] | join(" ")' "$tmp/body")" = "$first" ] || fail "API fieldSelector: $(cat "$tmp/body")"

note "delete with both selectors deletes exactly what they match"
out=$("$LAB" delete pods --lab $L -l run=my-nginx --field-selector "metadata.name=$first" --wait=false)
[ "$out" = "pod \"$first\" deleted" ] || fail "delete by field selector said: $out"
other=$("$LAB" get pods --lab $L -o json | jq -r --arg f "$first" '[.items[] | select(.metadata.name != $f and .metadata.deletionTimestamp == null) | .metadata.uid] | length')
[ "$other" -ge 1 ] || fail "the other pod went too"
set +e; out=$("$LAB" get pods --lab $L "$first" -l run=x 2>&1); rc=$?; set -e
[ $rc != 0 ] && [ "$out" = "error: name cannot be provided when a selector is specified" ] || fail "name and selector: $out"
set +e; out=$("$LAB" expose --lab $L deployment/my-nginx --name sel-bad --selector '!!!' 2>&1); rc=$?; set -e
[ $rc != 0 ] && [ "$out" = "error: unexpected label spec: !!!" ] || fail "expose --selector '!!!': $out"

"$LAB" down --lab $L
expect_state "$before"
[ "$(ip -4 route show table all)" = "$routes_before" ] || fail "the host's routes changed"
echo "PASS"
