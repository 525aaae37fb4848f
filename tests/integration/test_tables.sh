# Server-side printing (issue 12): the API answers a meta.k8s.io Table when the Accept asks for one,
# as a real kubectl's human-readable get does (columns with priorities, every cell, rows[].object,
# metadata.resourceVersion, one-row Tables for watch events), and `lab get` prints the server's
# Tables: -o wide, -A's NAMESPACE column, --show-labels, --no-headers, `get -w`.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-tables
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
TABLE='application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
# A GET on the lab's socket with an Accept header, as a client other than `lab` sends it.
api() { curl -sS --unix-socket "/run/lab/$L/api.sock" -H "Accept: $1" "http://lab$2"; }
check() { jq -e "$2" <<<"$1" >/dev/null || fail "$3: $(head -c 2000 <<<"$1")"; }

lab_up $L "$TUTORIAL" >/dev/null
wait_for 60 bash -c "[ \$('$LAB' get pods --lab $L -l run=my-nginx --no-headers | grep -c ' Running ') = 2 ]" \
  || fail "the tutorial's pods are not running"

note "a list as a Table: columns and priorities, every cell, rows[].object, resourceVersion"
t=$(api "$TABLE" /api/v1/namespaces/default/pods)
check "$t" '.kind == "Table" and .apiVersion == "meta.k8s.io/v1"' "not a Table"
[ "$(jq -c '[.columnDefinitions[] | [.name, .priority]]' <<<"$t")" = \
  '[["Name",0],["Ready",0],["Status",0],["Restarts",0],["Age",0],["IP",1],["Node",1],["Nominated Node",1],["Readiness Gates",1]]' ] \
  || fail "pod columns: $(jq -c '.columnDefinitions' <<<"$t")"
check "$t" '.metadata.resourceVersion | test("^[0-9]+$")' "no resourceVersion"
check "$t" '(.rows | length) == 2 and all(.rows[]; (.cells | length) == 9)' "two rows of nine cells"
check "$t" 'all(.rows[]; .cells[1] == "1/1" and .cells[2] == "Running" and (.cells[5] | test("^10\\.")))' "pod cells"
check "$t" 'all(.rows[]; .object.kind == "PartialObjectMetadata" and .object.metadata.namespace == "default"
                and .object.metadata.labels.run == "my-nginx" and (.object | has("spec") | not))' "rows[].object"
jq -r '.rows[] | .cells | @tsv' <<<"$t"

note "includeObject=Object, Table v1beta1, plain JSON, 406 for what cannot be served"
check "$(api "$TABLE" '/api/v1/namespaces/default/pods?includeObject=Object')" \
  'all(.rows[]; .object.kind == "Pod" and .object.spec.containers[0].name == "my-nginx")' "includeObject=Object"
check "$(api "$TABLE" '/api/v1/namespaces/default/pods?includeObject=All')" '.code == 400' "a bad includeObject"
check "$(api 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' /api/v1/namespaces/default/pods)" \
  '.apiVersion == "meta.k8s.io/v1beta1" and .rows[0].object.apiVersion == "meta.k8s.io/v1beta1"' "Table v1beta1"
check "$(api 'application/json' /api/v1/namespaces/default/pods)" '.kind == "PodList"' "plain JSON"
check "$(api 'application/vnd.kubernetes.protobuf,application/json' /api/v1/namespaces/default/pods)" \
  '.kind == "PodList"' "protobuf first, JSON second"
code=$(curl -sS -o "$tmp/406" -w '%{http_code}' --unix-socket "/run/lab/$L/api.sock" -H 'Accept: text/html' \
  http://lab/api/v1/namespaces/default/pods)
[ "$code" = 406 ] || fail "Accept: text/html answered $code"
check "$(cat "$tmp/406")" '.reason == "NotAcceptable"' "the 406 Status"

note "one object: a one-row Table with its resourceVersion; the wide set always"
s=$(api "$TABLE" /api/v1/namespaces/default/services/kubernetes)
[ "$(jq -c '.rows[0].cells[0:5]' <<<"$s")" = '["kubernetes","ClusterIP","10.96.0.1","<none>","443/TCP"]' ] \
  || fail "kubernetes service row: $(jq -c .rows <<<"$s")"
check "$s" '(.rows | length) == 1 and (.columnDefinitions | map(.name)) == ["Name","Type","Cluster-IP","External-IP","Port(s)","Age","Selector"]
            and .metadata.resourceVersion == .rows[0].object.metadata.resourceVersion' "one-object Table"
check "$(api "$TABLE" /apis/apps/v1/namespaces/default/deployments)" \
  '.rows[0].cells[0:4] == ["my-nginx","2/2",2,2] and .rows[0].cells[7] == "run=my-nginx"' "deployment cells"
check "$(api "$TABLE" /api/v1/nodes)" '(.columnDefinitions | length) == 10 and (.rows | length) >= 1' "node Table"

note "lab get prints the server's Table"
out=$(lab get pods -o wide)
echo "$out"
head -1 <<<"$out" | grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$' \
  || fail "get pods -o wide header"
lab get pods | head -1 | grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE$' || fail "get pods header"
out=$(lab get pods -A --no-headers)
echo "$out"
grep -q '^default  *my-nginx-' <<<"$out" || fail "-A: no NAMESPACE column with default's pods"
grep -q '^kube-system  ' <<<"$out" || fail "-A: no kube-system pods"
lab get pods -A | head -1 | grep -Eq '^NAMESPACE +NAME +READY' || fail "-A header"
lab get nodes -A | head -1 | grep -Eq '^NAME +STATUS +ROLES' || fail "nodes are cluster-scoped: no NAMESPACE column"
out=$(lab get pods --show-labels)
head -1 <<<"$out" | grep -Eq ' LABELS$' || fail "--show-labels header"
[ "$(grep -c 'run=my-nginx' <<<"$out")" = 2 ] || fail "--show-labels rows: $out"
lab get svc kubernetes --no-headers | grep -Eq '^kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443/TCP +[0-9]' \
  || fail "get svc kubernetes"
lab get deployments -o wide | grep -Eq '^my-nginx +2/2 +2 +2 +[0-9smh]+ +my-nginx +nginx +run=my-nginx$' \
  || fail "get deployments -o wide"
set +e; err=$(lab get secrets -n nothing-here 2>&1 >/dev/null); set -e
[ "$err" = "No resources found in nothing-here namespace." ] || fail "empty list: $err"

note "watch events are one-row Tables; get -w prints a row per change"
rv=$(api "$TABLE" /api/v1/namespaces/default/pods | jq -r .metadata.resourceVersion)
curl -sSN --max-time 8 --unix-socket "/run/lab/$L/api.sock" -H "Accept: $TABLE" \
  "http://lab/api/v1/namespaces/default/pods?watch=true&resourceVersion=$rv" > "$tmp/events" 2>/dev/null &
raw=$!
lab get pods -w > "$tmp/w.out" 2>&1 &
watcher=$!
sleep 1
lab scale deployment my-nginx --replicas=3 >/dev/null
wait_for 30 bash -c "[ \$('$LAB' get pods --lab $L -l run=my-nginx --no-headers | grep -c ' Running ') = 3 ]" \
  || fail "the third pod did not run"
sleep 1
kill $watcher; wait $watcher 2>/dev/null || true
wait $raw 2>/dev/null || true
cat "$tmp/w.out"
[ "$(grep -c '^NAME ' "$tmp/w.out")" = 1 ] || fail "get -w printed the header more than once"
[ "$(grep -c 'my-nginx-' "$tmp/w.out")" -ge 4 ] || fail "get -w printed no new rows"
grep -q ' Running ' <(tail -n +4 "$tmp/w.out") || fail "get -w never showed the new pod Running"
[ -s "$tmp/events" ] || fail "the Table watch sent no events"
while read -r ev; do
  check "$ev" '.object.kind == "Table" and (.object.rows | length) == 1 and (.object.rows[0].cells | length) == 9
               and .object.rows[0].object.kind == "PartialObjectMetadata"' "a watch event's object"
done < "$tmp/events"

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
