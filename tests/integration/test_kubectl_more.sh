# The rest of the tutorial's non-exec commands typed into the machine's real kubectl (the Cloud SDK
# dispatcher), once per kubectl version: the dispatcher runs the kubectl whose minor the server
# reports, and the lab reports another minor when its daemon starts with LAB_KUBE_MINOR (test-only,
# lab/api/version.h). Per version: `kubectl version`, test_kubectl.sh's non-exec commands (apply,
# get -o wide, custom-columns, expose, get svc, describe svc, endpointslices, scale, create secret
# tls / configmap --from-file, get secrets, edit, kube-dns, cluster-info, get pods -A, delete) and
# get leases and describe node's Lease, --validate=strict|warn|false, get pods -w, logs / logs -f / logs deployment/x, a rolling update by apply + rollout status,
# rollout history / undo, server dry runs (apply --dry-run=server, diff, delete --dry-run=server),
# cordon / drain / uncordon,
# delete -l, get all, create -f, get svc/nodes -o yaml, describe configmap / service, and create /
# delete namespace with `kubectl create deployment|service` inside it.
# KUBE_MINORS (default "32 29 33") picks the versions; exec/attach are test_kubectl_exec.sh's.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed (setup.sh installs it)"
KUBE_MINORS=${KUBE_MINORS:-32 29 33}
before=$(machine_state)
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
T=$FIXTURES/tutorial
# (A request that gets no answer fails in a minute, naming itself, rather than hanging the test.)
k() { kubectl --request-timeout=60s "$@"; }

# The daemon refuses a minor it does not serve, clearly, and leaves nothing behind.
note "LAB_KUBE_MINOR out of range: lab up fails naming the setting"
cat >"$tmp/one.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: kubectl-more}
spec:
  nodes: 1
YAML
if out=$(LAB_KUBE_MINOR=40 "$LAB" up "$tmp/one.yaml" --name h2-kbad 2>&1); then
  "$LAB" down --lab h2-kbad >/dev/null 2>&1 || true
  fail "lab up accepted LAB_KUBE_MINOR=40"
fi
echo "$out"
echo "$out" | grep -q 'LAB_KUBE_MINOR="40": .*29 to 33' || fail "the error does not name LAB_KUBE_MINOR and its range"
expect_state "$before"

cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: kubectl-more}
spec:
  nodes: 2
YAML

# kubectl's table header, exactly (columns separated by 3+ spaces as kubectl's tabwriter pads).
header_is() {  # output, then the header's words as kubectl prints them, e.g. "NAME READY STATUS"
  local got want
  got=$(echo "$1" | sed -n 1p | sed -E 's/ {2,}/|/g; s/ +$//')
  want=$(echo "$2" | sed 's/  */|/g; s/_/ /g')
  [ "$got" = "$want" ] || { echo "header: '$got' wanted '$want'" >&2; return 1; }
}

subset() {  # minor
  local minor=$1 L=h2-kmore-$1 out ips cip
  note "=== kubectl against a lab reporting 1.$minor"
  export KUBECONFIG=$tmp/$minor/kube/config HOME=$tmp/$minor
  mkdir -p "$tmp/$minor/kube"
  if [ "$minor" = 32 ]; then lab_up $L "$tmp/lab.yaml" >/dev/null
  else LAB_KUBE_MINOR=$minor lab_up $L "$tmp/lab.yaml" >/dev/null; fi
  [ "$(k config current-context)" = "lab-$L" ] || fail "current-context is not lab-$L"

  note "kubectl version: the dispatcher runs kubectl 1.$minor"
  out=$(k version)
  echo "$out"
  if [ "$minor" = 32 ]; then echo "$out" | grep -Eq "^Client Version: v1\.32\.[0-9]+(-dispatcher)?$" || fail "client is not 1.32"
  else echo "$out" | grep -Eq "^Client Version: v1\.$minor\.[0-9]+$" || fail "client is not 1.$minor"; fi
  echo "$out" | grep -qx "Server Version: v1.$minor.0-lab" || fail "Server Version is not v1.$minor.0-lab"
  echo "$out" | grep -q WARNING && fail "kubectl warns about version skew"
  k get nodes -o jsonpath='{.items[*].status.nodeInfo.kubeletVersion}' | grep -qx "v1.$minor.0-lab v1.$minor.0-lab" \
    || fail "the nodes' kubeletVersion does not follow the reported minor"

  note "node leases: get leases, and describe node's Lease (the kubelet's heartbeat)"
  out=$(k get leases -n kube-node-lease)
  echo "$out"
  header_is "$out" "NAME HOLDER AGE" || fail "the leases' header differs"
  [ "$(echo "$out" | sed 1d | awk '{print $1 "=" $2}' | sort | tr '\n' ' ')" = "node-1=node-1 node-2=node-2 " ] \
    || fail "not one lease per node, held by it"
  out=$(k describe node node-1)
  if grep -q 'Failed to get lease' <<<"$out"; then fail "describe node could not get the lease"; fi
  grep -q '^  HolderIdentity:  node-1$' <<<"$out" || fail "describe node shows no lease holder"
  grep -Eq '^  RenewTime:       [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} ' <<<"$out" || fail "describe node shows no RenewTime"
  if [ "$minor" = 32 ]; then
    local renewed; renewed=$(k get lease node-1 -n kube-node-lease -o jsonpath='{.spec.renewTime}')
    lease_renewed() { [ "$(k get lease node-1 -n kube-node-lease -o jsonpath='{.spec.renewTime}')" != "$renewed" ]; }
    wait_for 15 lease_renewed || fail "node-1's lease was not renewed within 15 s (every 10 s)"
  fi

  note "unknown fields: refused by default (--validate=strict), dropped with a warning, dropped silently"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\n  colour: red\ndata:\n  a: "1"\nspedd: 3\n' >"$tmp/odd.yaml"
  if out=$(k apply -f "$tmp/odd.yaml" 2>&1); then fail "apply took unknown fields: $out"; fi
  grep -q 'strict decoding error: unknown field "metadata.colour", unknown field "spedd"' <<<"$out" \
    || fail "the refusal does not name the unknown fields: $out"
  out=$(k apply --validate=warn -f "$tmp/odd.yaml" 2>&1) || fail "apply --validate=warn failed: $out"
  grep -qx 'Warning: unknown field "metadata.colour"' <<<"$out" || fail "no warning for metadata.colour: $out"
  grep -qx 'Warning: unknown field "spedd"' <<<"$out" || fail "no warning for spedd: $out"
  [ "$(k get configmap odd -o jsonpath='{.data.a}')" = 1 ] || fail "the configmap was not made without the fields"
  k delete configmap odd >/dev/null
  out=$(k create --validate=false -f "$tmp/odd.yaml" 2>&1) || fail "create --validate=false failed: $out"
  [ "$out" = "configmap/odd created" ] || fail "create --validate=false said more than it made: $out"
  k delete configmap odd >/dev/null

  note "apply -f run-my-nginx.yaml: created, unchanged"
  k apply -f "$T/run-my-nginx.yaml" | grep -qx 'deployment.apps/my-nginx created' || fail "apply did not create"
  k apply -f "$T/run-my-nginx.yaml" | grep -qx 'deployment.apps/my-nginx unchanged' || fail "second apply changed something"
  running() { [ "$(k get pods -l run=my-nginx --no-headers 2>/dev/null | awk '$2 == "1/1" && $3 == "Running"' | wc -l)" = "$1" ]; }
  wait_for 60 running 2 || { k get pods -o wide >&2; fail "2 my-nginx pods are not 1/1 Running"; }

  note "get pods -l run=my-nginx -o wide; custom-columns"
  out=$(k get pods -l run=my-nginx -o wide)
  echo "$out"
  header_is "$out" "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED_NODE READINESS_GATES" || fail "wide header differs"
  echo "$out" | sed 1d | awk '{ if ($1 !~ /^my-nginx-[a-z0-9]+-[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9]$/ || $2 != "1/1" || $3 != "Running" || $4 != "0" || $6 !~ /^10\.244\./ || $7 !~ /^node-/ || $8 != "<none>" || $9 != "<none>") exit 1 }' \
    || fail "wide rows differ"
  k get pods -l run=my-nginx -o custom-columns=POD_IP:.status.podIPs | sed 1d \
    | grep -Eq '^\[map\[ip:10\.244\.[0-9]+\.[0-9]+\]\]$' || fail "custom-columns output differs"

  note "get pods -w: a row per change, until timeout ends it"
  (timeout 25 kubectl get pods -w >"$tmp/watch.$minor" 2>&1 || true) &
  local watcher=$!
  # the watch prints the current table first; then scaling makes new rows appear
  wait_for 10 grep -q '^my-nginx-' "$tmp/watch.$minor" || fail "get -w printed no table"
  k scale deployment my-nginx --replicas=3 | grep -qx 'deployment.apps/my-nginx scaled' || fail "scale failed"
  wait_for 60 running 3 || fail "3 replicas are not Running"
  local new; new=$(k get pods -l run=my-nginx -o name | sed 's|^pod/||' | while read -r p; do grep -q "^$p " <(sed -n '1,3p' "$tmp/watch.$minor") || echo "$p"; done)
  [ -n "$new" ] || fail "no new pod after scale"
  wait_for 10 sh -c "grep -Eq '^$new +1/1 +Running +0 ' '$tmp/watch.$minor'" \
    || { cat "$tmp/watch.$minor" >&2; fail "get -w shows no Running row of the new pod $new"; }
  kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
  cat "$tmp/watch.$minor"
  header_is "$(cat "$tmp/watch.$minor")" "NAME READY STATUS RESTARTS AGE" || fail "get -w header differs"
  [ "$(grep -c '^NAME ' "$tmp/watch.$minor")" = 1 ] || fail "get -w printed the header more than once"
  grep -Eq "^$new +0/1 +(Pending|ContainerCreating) " "$tmp/watch.$minor" || fail "get -w missed the new pod's start"
  # rows are not printed twice for the same state at watch start (the watch starts at the list's RV)
  [ "$(sed -n '2,3p' "$tmp/watch.$minor" | awk '{print $1}' | sort -u | wc -l)" = 2 ] || fail "initial rows differ"
  for p in $(sed -n '2,3p' "$tmp/watch.$minor" | awk '{print $1}'); do
    [ "$(grep -c "^$p .*Running" "$tmp/watch.$minor")" = 1 ] || fail "get -w printed $p again with nothing changed"
  done
  k scale deployment my-nginx --replicas=2 >/dev/null
  wait_for 60 running 2 || fail "not back to 2 replicas"

  note "expose; get svc; describe svc; endpointslices"
  k expose deployment/my-nginx | grep -qx 'service/my-nginx exposed' || fail "expose failed"
  out=$(k get svc my-nginx)
  echo "$out"
  header_is "$out" "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE" || fail "svc header differs"
  echo "$out" | sed 1d | grep -Eq '^my-nginx +ClusterIP +10\.[0-9.]+ +<none> +80/TCP +[0-9]+s$' || fail "svc row differs"
  ips=$(k get pods -l run=my-nginx -o jsonpath='{.items[*].status.podIP}')
  describe_has_endpoints() {
    local d; d=$(k describe svc my-nginx) || return 1
    for ip in $ips; do echo "$d" | grep -E '^Endpoints:' | grep -q "$ip:80" || return 1; done
  }
  wait_for 20 describe_has_endpoints || { k describe svc my-nginx >&2; fail "describe svc does not list the pods"; }
  out=$(k get endpointslices -l kubernetes.io/service-name=my-nginx)
  echo "$out"
  header_is "$out" "NAME ADDRESSTYPE PORTS ENDPOINTS AGE" || fail "endpointslices header differs"
  echo "$out" | sed 1d | grep -Eq '^my-nginx-[a-z0-9]+ +IPv4 +80 +10\.244\.[0-9.]+,10\.244\.[0-9.]+ ' || fail "endpointslices row differs"

  note "logs deployment/my-nginx: an access line of a request through the Service"
  cip=$(k get svc my-nginx -o jsonpath='{.spec.clusterIP}')
  for ip in $ips; do retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 -A h2-probe "http://$ip/" | grep -q "Welcome to nginx!" || fail "pod $ip does not serve"; done
  retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$cip/" | grep -q "Welcome to nginx!" || fail "the ClusterIP does not serve"
  k logs deployment/my-nginx >"$tmp/dlogs" 2>"$tmp/dlogs.err" || { cat "$tmp/dlogs.err" >&2; fail "logs deployment/my-nginx failed"; }
  cat "$tmp/dlogs.err" "$tmp/dlogs"
  grep -Eq '^Found 2 pods, using pod/my-nginx-[a-z0-9]+-[a-z0-9]{5}$' "$tmp/dlogs.err" || fail "logs deployment/x does not say which pod"
  grep -q '"GET / HTTP/1.1" 200 .*"h2-probe"' "$tmp/dlogs" || fail "logs deployment/my-nginx has no access line"

  note "scale --replicas=0 and back (the scale subresource)"
  k scale deployment my-nginx --replicas=0 | grep -qx 'deployment.apps/my-nginx scaled' || fail "scale failed"
  no_pods() { [ -z "$(k get pods -l run=my-nginx -o name 2>/dev/null)" ]; }
  wait_for 60 no_pods || fail "pods remain after scale to 0"
  k scale deployment my-nginx --current-replicas=0 --replicas=2 | grep -qx 'deployment.apps/my-nginx scaled' || fail "scale --current-replicas failed"
  wait_for 60 running 2 || fail "2 replicas are not back"

  note "apply of a changed Deployment (image nginx:1.27): a rolling update; rollout status"
  local old_rs; old_rs=$(k get rs -l run=my-nginx -o name)
  sed 's/image: nginx$/image: nginx:1.27/' "$T/run-my-nginx.yaml" >"$tmp/rolled.yaml"
  grep -q 'image: nginx:1.27' "$tmp/rolled.yaml" || fail "could not make the changed manifest"
  k apply -f "$tmp/rolled.yaml" | grep -qx 'deployment.apps/my-nginx configured' || fail "apply did not configure"
  out=$(timeout 120 kubectl rollout status deployment/my-nginx) || { echo "$out" >&2; fail "rollout status failed"; }
  echo "$out"
  echo "$out" | tail -1 | grep -qx 'deployment "my-nginx" successfully rolled out' || fail "rollout status did not succeed"
  echo "$out" | grep -v 'successfully rolled out' \
    | grep -Evq '^Waiting for (deployment "my-nginx" rollout to finish: [0-9]+ (out of [0-9]+ new replicas have been updated|old replicas are pending termination|of [0-9]+ updated replicas are available)|deployment spec update to be observed)\.\.\.$' \
    && fail "rollout status printed an unexpected line"
  [ "$(k get pods -l run=my-nginx -o jsonpath='{.items[*].spec.containers[0].image}')" = "nginx:1.27 nginx:1.27" ] \
    || fail "the pods do not all run the new image"
  out=$(k get rs -l run=my-nginx)
  echo "$out"
  header_is "$out" "NAME DESIRED CURRENT READY AGE" || fail "rs header differs"
  echo "$out" | grep -Eq "^${old_rs#replicaset.apps/} +0 +0 +0 " || fail "the old ReplicaSet is not scaled to 0"
  [ "$(k rollout status deployment/my-nginx)" = 'deployment "my-nginx" successfully rolled out' ] || fail "a second rollout status differs"

  note "a rollout that cannot finish (new pods never ready): rollout status waits, then times out"
  { sed '/^        ports:/,$d' "$tmp/rolled.yaml"; cat <<'YAML'
        ports:
        - containerPort: 80
        readinessProbe:
          httpGet: {path: /, port: 81}
          periodSeconds: 1
YAML
  } >"$tmp/stuck.yaml"
  k apply -f "$tmp/stuck.yaml" | grep -qx 'deployment.apps/my-nginx configured' || fail "apply of the stuck rollout failed"
  if out=$(timeout 60 kubectl rollout status deployment/my-nginx --timeout=8s 2>&1); then
    echo "$out" >&2; fail "rollout status succeeded though no new pod is ready"
  fi
  echo "$out"
  echo "$out" | grep -qx 'Waiting for deployment "my-nginx" rollout to finish: 1 out of 2 new replicas have been updated...' \
    || fail "rollout status does not say 1 of 2 new replicas are updated"
  echo "$out" | tail -1 | grep -qx 'error: timed out waiting for the condition' || fail "rollout status did not time out"
  [ "$(k get pods -l run=my-nginx --no-headers | awk '$2 == "1/1"' | wc -l)" = 2 ] || fail "the stuck rollout took ready pods away"
  # back to the image it ran: the new pods go, the old ReplicaSet serves on
  k apply -f "$tmp/rolled.yaml" | grep -qx 'deployment.apps/my-nginx configured' || fail "apply back failed"
  out=$(timeout 120 kubectl rollout status deployment/my-nginx) || { echo "$out" >&2; fail "rollout status after the fix failed"; }
  echo "$out" | tail -1 | grep -qx 'deployment "my-nginx" successfully rolled out' || fail "rollout status after the fix differs"
  wait_for 60 running 2 || fail "2 replicas are not Running after the fix"
  [ "$(k get pods -l run=my-nginx --no-headers | wc -l)" = 2 ] || fail "pods of the stuck rollout remain"

  note "rollout history; rollout undo --to-revision=1: the first template again, as a new revision"
  out=$(k rollout history deployment/my-nginx)
  echo "$out"
  [ "$(echo "$out" | grep -Ec '^[0-9]+ +<none>$')" -ge 3 ] || fail "rollout history lists fewer than 3 revisions"
  out=$(k rollout undo deployment/my-nginx --to-revision=1) && [ "$out" = "deployment.apps/my-nginx rolled back" ] ||
    fail "rollout undo printed '$out'"
  timeout 120 kubectl rollout status deployment/my-nginx >/dev/null || fail "the rollback did not roll out"
  first_image() { [ "$(k get pods -l run=my-nginx -o jsonpath='{.items[*].spec.containers[0].image}')" = "nginx nginx" ]; }
  wait_for 60 first_image || fail "after rollout undo the pods do not run the first template's image"
  [ "$(k get deployment my-nginx -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" -ge 4 ] ||
    fail "the rolled-back Deployment is not at a new revision"

  note "dry runs on the server store nothing: apply --dry-run=server, diff, delete --dry-run=server"
  k create deployment dry --image=nginx --dry-run=client -o yaml >"$tmp/dry.yaml"
  out=$(k apply --dry-run=server -f "$tmp/dry.yaml") && [ "$out" = "deployment.apps/dry created (server dry run)" ] ||
    fail "apply --dry-run=server printed '$out'"
  ! k get deployment dry >/dev/null 2>&1 || fail "apply --dry-run=server created the Deployment"
  k get deployment my-nginx -o yaml | sed 's/^  replicas: 2$/  replicas: 3/' >"$tmp/three.yaml"
  grep -q '^  replicas: 3$' "$tmp/three.yaml" || fail "could not make the changed Deployment"
  local rc=0
  out=$(k diff -f "$tmp/three.yaml") || rc=$?
  echo "$out"
  [ "$rc" = 1 ] || fail "kubectl diff exited $rc, not 1 (differences found)"
  echo "$out" | grep -qx '+  replicas: 3' || fail "kubectl diff does not show replicas: 3"
  [ "$(k get deployment my-nginx -o jsonpath='{.spec.replicas}')" = 2 ] || fail "kubectl diff changed the Deployment"
  out=$(k delete deployment my-nginx --dry-run=server) &&
    [ "$out" = 'deployment.apps "my-nginx" deleted (server dry run)' ] || fail "delete --dry-run=server printed '$out'"
  k get deployment my-nginx >/dev/null || fail "delete --dry-run=server deleted the Deployment"

  note "cordon; drain (pods/eviction: every pod leaves node-2, the new ones land on node-1); uncordon"
  out=$(k cordon node-2) && [ "$out" = "node/node-2 cordoned" ] || fail "cordon printed '$out'"
  k get nodes | shows -Eq '^node-2 +Ready,SchedulingDisabled ' || fail "node-2 is not shown SchedulingDisabled"
  out=$(k drain node-2 --ignore-daemonsets --timeout=60s 2>&1) || { echo "$out" >&2; fail "drain failed"; }
  echo "$out"
  echo "$out" | grep -qx 'node/node-2 drained' || fail "drain did not say node-2 is drained"
  echo "$out" | grep -Eq '^pod/[a-z0-9-]+ evicted$' || fail "drain evicted no pod"
  [ -z "$(k get pods -A --field-selector spec.nodeName=node-2 -o name)" ] || fail "pods are left on the drained node"
  wait_for 60 running 2 || fail "2 replicas are not Running after the drain"
  [ "$(k get pods -l run=my-nginx -o jsonpath='{.items[*].spec.nodeName}')" = "node-1 node-1" ] ||
    fail "a new pod was scheduled onto the cordoned node"
  out=$(k uncordon node-2) && [ "$out" = "node/node-2 uncordoned" ] || fail "uncordon printed '$out'"

  note "get all: pods, services, deployments, replicasets"
  out=$(k get all)
  echo "$out"
  echo "$out" | grep -Eq '^NAME +READY +STATUS +RESTARTS +AGE$' || fail "get all has no pod table"
  [ "$(echo "$out" | grep -Ec '^pod/my-nginx-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running +0 ')" = 2 ] || fail "get all pod rows differ"
  echo "$out" | grep -Eq '^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$' || fail "get all has no service table"
  echo "$out" | grep -Eq '^service/kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443/TCP ' || fail "get all misses service/kubernetes"
  echo "$out" | grep -Eq '^service/my-nginx +ClusterIP ' || fail "get all misses service/my-nginx"
  echo "$out" | grep -Eq '^NAME +READY +UP-TO-DATE +AVAILABLE +AGE$' || fail "get all has no deployment table"
  echo "$out" | grep -Eq '^deployment.apps/my-nginx +2/2 +2 +2 ' || fail "get all deployment row differs"
  echo "$out" | grep -Eq '^NAME +DESIRED +CURRENT +READY +AGE$' || fail "get all has no replicaset table"
  [ "$(echo "$out" | grep -Ec '^replicaset.apps/my-nginx-[a-z0-9]+ ')" = 3 ] || fail "get all replicaset rows differ"

  note "delete pods -l run=my-nginx: deleted, waited for, replaced"
  local gone; gone=$(k get pods -l run=my-nginx -o name | sed 's|^pod/||' | sort)
  out=$(timeout 90 kubectl delete pods -l run=my-nginx) || { echo "$out" >&2; fail "delete -l failed"; }
  echo "$out"
  [ "$(echo "$out" | sort)" = "$(for p in $gone; do echo "pod \"$p\" deleted"; done)" ] || fail "delete -l output differs"
  for p in $gone; do k get pod "$p" >/dev/null 2>&1 && fail "pod $p still exists after delete returned"; done
  wait_for 60 running 2 || fail "the ReplicaSet did not replace the deleted pods"

  note "logs POD and logs -f POD of a pod that prints and exits"
  cat >"$tmp/printer.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: printer
spec:
  restartPolicy: Never
  containers:
  - name: printer
    image: busybox
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 1; done"]
YAML
  k create -f "$tmp/printer.yaml" | grep -qx 'pod/printer created' || fail "create -f pod failed"
  started() { [ "$(k get pod printer -o jsonpath='{.status.phase}')" != Pending ]; }
  wait_for 30 started || fail "printer did not start"
  out=$(timeout 30 kubectl logs -f printer) || fail "logs -f did not end with the container (rc $?)"
  echo "$out"
  [ "$out" = "$(printf 'line %s\n' 1 2 3 4 5)" ] || fail "logs -f output differs"
  [ "$(k get pod printer -o jsonpath='{.status.phase}')" = Succeeded ] || fail "printer is not Succeeded"
  out=$(k get pod printer)
  echo "$out" | sed 1d | grep -Eq '^printer +0/1 +Completed +0 ' || fail "a finished pod's row differs"
  [ "$(k logs printer)" = "$(printf 'line %s\n' 1 2 3 4 5)" ] || fail "logs of the finished pod differs"
  [ "$(k logs printer --tail=2)" = "$(printf 'line %s\n' 4 5)" ] || fail "logs --tail differs"
  k delete pod printer | grep -qx 'pod "printer" deleted' || fail "delete pod failed"

  note "create secret tls / configmap --from-file; get secrets; describe configmap"
  k create secret tls nginxsecret --key "$FIXTURES/protobuf/k.pem" --cert "$FIXTURES/protobuf/c.pem" \
    | grep -qx 'secret/nginxsecret created' || fail "create secret tls failed"
  out=$(k get secrets)
  echo "$out"
  header_is "$out" "NAME TYPE DATA AGE" || fail "secrets header differs"
  echo "$out" | grep -Eq '^nginxsecret +kubernetes.io/tls +2 +[0-9]+s$' || fail "get secrets row differs"
  k create configmap nginxconfigmap --from-file="$T/default.conf" | grep -qx 'configmap/nginxconfigmap created' \
    || fail "create configmap failed"
  out=$(k describe configmap nginxconfigmap)
  echo "$out"
  # kubectl's describe of a ConfigMap, line for line up to the data, then the file, then no events
  [ "$(echo "$out" | sed -n '1,10p' | sed 's/ *$//')" = "$(printf '%s\n' 'Name:         nginxconfigmap' \
      'Namespace:    default' 'Labels:       <none>' 'Annotations:  <none>' '' 'Data' '====' 'default.conf:' '----' 'server {')" ] \
    || fail "describe configmap's head differs"
  echo "$out" | grep -q '^        listen 443 ssl;$' || fail "describe configmap does not show default.conf"
  echo "$out" | grep -A1 -x 'BinaryData' | sed -n 2p | grep -qx '====' || fail "describe configmap has no BinaryData section"
  echo "$out" | tail -1 | grep -qx 'Events:  <none>' || fail "describe configmap's events differ"

  note "edit svc my-nginx to LoadBalancer"
  EDITOR="sed -i s/ClusterIP/LoadBalancer/" k edit svc my-nginx | grep -qx 'service/my-nginx edited' || fail "edit failed"
  wait_for 20 sh -c "kubectl get svc my-nginx | grep -Eq '^my-nginx +LoadBalancer +10\.[0-9.]+ +172\.[0-9]+\.255\.[0-9]+ +80:3[0-9]+/TCP '" \
    || { k get svc my-nginx >&2; fail "no EXTERNAL-IP in get svc"; }

  note "kube-dns; cluster-info; get pods -A"
  k get services kube-dns --namespace=kube-system | grep -Eq '^kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53/UDP,53/TCP' \
    || fail "kube-dns row differs"
  # (kubectl before 1.31 colours cluster-info even into a pipe: compare the text)
  out=$(k cluster-info | sed 's/\x1b\[[0-9;]*m//g')
  echo "$out"
  echo "$out" | grep -Eq '^Kubernetes control plane is running at https://127\.0\.0\.1:[0-9]+$' || fail "cluster-info differs"
  echo "$out" | grep -Eq '^CoreDNS is running at https://127\.0\.0\.1:[0-9]+/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy$' \
    || fail "cluster-info does not show CoreDNS"
  out=$(k get pods -A)
  header_is "$out" "NAMESPACE NAME READY STATUS RESTARTS AGE" || fail "get pods -A header differs"
  echo "$out" | awk '$1 == "kube-system"' | grep -q coredns || fail "get pods -A does not show coredns"

  note "delete deployments,svc my-nginx"
  out=$(k delete deployments,svc my-nginx)
  echo "$out"
  [ "$out" = "$(printf '%s\n' 'deployment.apps "my-nginx" deleted' 'service "my-nginx" deleted')" ] || fail "delete output differs"
  wait_for 60 no_pods || fail "pods remain after the deployment's delete"

  note "create -f nginx-secure-app.yaml; get svc -o yaml; describe service; get nodes -o yaml"
  out=$(k create -f "$T/nginx-secure-app.yaml")
  echo "$out"
  [ "$out" = "$(printf '%s\n' 'service/my-nginx created' 'deployment.apps/my-nginx created')" ] || fail "create -f output differs"
  out=$(k create -f "$T/nginx-secure-app.yaml" 2>&1) && fail "a second create -f succeeded"
  [ "$out" = "$(printf 'Error from server (AlreadyExists): error when creating "%s": %s "my-nginx" already exists\n' \
      "$T/nginx-secure-app.yaml" services "$T/nginx-secure-app.yaml" deployments.apps)" ] \
    || { echo "$out" >&2; fail "a second create -f does not say AlreadyExists"; }
  out=$(k get svc my-nginx -o yaml)
  echo "$out"
  echo "$out" | grep -qx 'apiVersion: v1' && echo "$out" | grep -qx 'kind: Service' || fail "-o yaml has no apiVersion/kind"
  [ "$(echo "$out" | grep -Ec '^    nodePort: 3[0-9]{4}$')" = 2 ] || fail "-o yaml does not show two nodePorts"
  echo "$out" | grep -qx '  type: NodePort' || fail "-o yaml type differs"
  for f in '  clusterIP: 10\.' '  - 10\.' '  ipFamilyPolicy: SingleStack' '  sessionAffinity: None' \
           '  externalTrafficPolicy: Cluster' '  internalTrafficPolicy: Cluster' '  uid: ' '  resourceVersion: "[0-9]+"' \
           '  creationTimestamp: "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' '  loadBalancer: \{\}'; do
    echo "$out" | grep -Eq "^$f" || fail "-o yaml lacks $f"
  done
  nodeport() { k get svc my-nginx -o jsonpath="{.spec.ports[?(@.name==\"$1\")].nodePort}"; }
  local np_https; np_https=$(nodeport https)
  [[ $np_https =~ ^3[0-9]{4}$ ]] || fail "jsonpath filter of the https nodePort: '$np_https'"
  https_ready() { [ "$(k get pods -l run=my-nginx --no-headers 2>/dev/null | awk '$2 == "1/1" && $3 == "Running"' | wc -l)" = 1 ]; }
  wait_for 60 https_ready || { k get pods >&2; fail "nginxhttps is not Running"; }
  local d
  describe_ready() { d=$(k describe service my-nginx) && echo "$d" | grep -Eq '^Endpoints: +10\.244\.[0-9.]+:443$'; }
  wait_for 20 describe_ready || { echo "$d" >&2; fail "describe service has no https endpoint"; }
  echo "$d"
  for f in 'Name: +my-nginx' 'Namespace: +default' 'Labels: +run=my-nginx' 'Annotations: +<none>' 'Selector: +run=my-nginx' \
           'Type: +NodePort' 'IP Family Policy: +SingleStack' 'IP Families: +IPv4' 'IP: +10\.[0-9.]+' 'IPs: +10\.[0-9.]+' \
           'Port: +http +8080/TCP' 'TargetPort: +80/TCP' "NodePort: +http +$(nodeport http)/TCP" 'Endpoints: +10\.244\.[0-9.]+:80' \
           'Port: +https +443/TCP' 'TargetPort: +443/TCP' "NodePort: +https +$np_https/TCP" 'Endpoints: +10\.244\.[0-9.]+:443' \
           'Session Affinity: +None' 'External Traffic Policy: +Cluster' 'Events: +<none>'; do
    echo "$d" | grep -Eqx "$f" || fail "describe service lacks '$f'"
  done
  # kubectl prints the internal policy from 1.31 on (the server sends it to every version)
  if [ "$minor" -ge 31 ]; then
    echo "$d" | grep -Eqx 'Internal Traffic Policy: +Cluster' || fail "describe service lacks its Internal Traffic Policy"
  fi
  out=$(k get nodes -o yaml)
  echo "$out" | head -40
  echo "$out" | grep -qx 'kind: List' && echo "$out" | grep -qx -e '- apiVersion: v1' || fail "get nodes -o yaml is not a List"
  [ "$(echo "$out" | grep -c '^  kind: Node$')" = 2 ] || fail "get nodes -o yaml does not hold 2 Nodes"
  [ "$(echo "$out" | grep -c '^      type: ExternalIP$')" = 2 ] || fail "nodes have no ExternalIP"
  [ "$(echo "$out" | grep -c '^      type: InternalIP$')" = 2 ] || fail "nodes have no InternalIP"
  [ "$(echo "$out" | grep -c "^      kubeletVersion: v1.$minor.0-lab$")" = 2 ] || fail "nodes' kubeletVersion differs"
  # the tutorial's NodePort check, from the host at a node's ExternalIP
  local ext; ext=$(k get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="ExternalIP")].address}')
  retry curl -sk --max-time 2 "https://$ext:$np_https/" | grep -q "Welcome to nginx!" || fail "the NodePort does not serve https"
  k delete deployments,svc my-nginx >/dev/null

  # kubectl 1.32 and 1.33 send these `kubectl create` bodies as protobuf, 1.29 as JSON.
  note "create namespace; create deployment and service in it; get -A; delete namespace"
  out=$(k create namespace shop) && [ "$out" = "namespace/shop created" ] || fail "create namespace: $out"
  [ "$(k get namespace shop -o jsonpath='{.status.phase}')" = Active ] || fail "namespace shop is not Active"
  out=$(k -n shop create deployment web --image=nginx --replicas=2 --port=80) &&
    [ "$out" = "deployment.apps/web created" ] || fail "create deployment: $out"
  out=$(k -n shop create service clusterip web --tcp=8080:80) && [ "$out" = "service/web created" ] ||
    fail "create service: $out"
  k -n shop create deployment idle --image=nginx --replicas=0 >/dev/null
  [ "$(k -n shop get deployment idle -o jsonpath='{.spec.replicas}')" = 0 ] || fail "--replicas=0 was not kept"
  k -n shop rollout status deployment/web --timeout=60s || fail "deployment web in shop did not roll out"
  out=$(k get pods -A -l app=web --no-headers)
  echo "$out"
  [ "$(echo "$out" | grep -c '^shop  *web-[a-z0-9]*-[a-z0-9]*  *1/1  *Running ')" = 2 ] || fail "get pods -A lacks shop's 2 pods"
  cip=$(k -n shop get service web -o jsonpath='{.spec.clusterIP}')
  retry "$LAB" ssh node-1 -- curl -s --max-time 2 "http://$cip:8080/" | grep -q "Welcome to nginx!" ||
    fail "the Service made by kubectl create service does not serve"
  # A pod that outlives SIGTERM keeps the namespace Terminating through its grace period, as the
  # namespace controller waits for it; nothing new may go in meanwhile.
  k -n shop apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
YAML
  k -n shop wait --for=condition=Ready pod/stubborn --timeout=60s >/dev/null || fail "pod stubborn is not Ready"
  out=$(k delete namespace shop --wait=false) && [ "$out" = 'namespace "shop" deleted' ] || fail "delete namespace: $out"
  out=$(k get namespace shop --no-headers) && echo "$out" | grep -q '^shop  *Terminating ' ||
    fail "namespace shop is not Terminating: $out"
  out=$(k -n shop create configmap late --from-literal=a=b 2>&1) &&
    fail "a configmap was created in a namespace being deleted: $out"
  echo "$out" | grep -qF 'configmaps "late" is forbidden: unable to create new content in namespace shop because it is being terminated' ||
    fail "creating in a terminating namespace: $out"
  out=$(k describe namespace shop)
  echo "$out"
  echo "$out" | grep -q '^Status: *Terminating$' && echo "$out" | grep -q 'NamespaceContentRemaining *True .* SomeResourcesRemain *Some resources are remaining: pods\. has 1 resource instances$' ||
    fail "describe namespace shop lacks its conditions"
  k wait --for=delete namespace/shop --timeout=60s >/dev/null || fail "namespace shop did not go after its pod"
  ! k get namespace shop >/dev/null 2>&1 || fail "namespace shop is still there"
  shop_empty() { [ -z "$(k get pods,services,deployments -A --no-headers 2>/dev/null | grep '^shop ')" ]; }
  wait_for 30 shop_empty || fail "deleting namespace shop left what it held"

  "$LAB" down --lab $L
  ! k config get-contexts "lab-$L" >/dev/null 2>&1 || fail "lab down left the context"
}

for m in $KUBE_MINORS; do subset "$m"; done
expect_state "$before"
echo "PASS"
