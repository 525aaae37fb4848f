# The tutorial's exec and attach steps typed into the machine's real kubectl (1.29 over SPDY/3.1
# with v4.channel.k8s.io; 1.32 and 1.33 over websocket v5.channel.k8s.io): `exec ... -- printenv` before and after the Service exists, exit codes,
# stderr apart from stdout, stdin (-i), a bad container, `run -i --rm --restart=Never -- nslookup`,
# and through a real terminal (tmux) `run curl --image=radial/busyboxplus:curl -i --tty --rm` and
# `exec -it ... -- sh` with the window size. A ServiceAccount token may not exec (403), and
# nothing is left behind: no session process, and `lab down` leaves the machine as it was.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed (setup.sh installs it)"
command -v tmux >/dev/null || fail "tmux is not installed (setup.sh installs it)"
before=$(machine_state)
tmp=$(mktemp -d)
T=(tmux -L "lab-kexec-$$")
trap '"${T[@]}" kill-server >/dev/null 2>&1 || true; cleanup_labs; rm -rf "$tmp"' EXIT
export KUBECONFIG=$tmp/kube/config HOME=$tmp
mkdir -p "$tmp/kube"
cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: kubectl-exec}
spec:
  nodes: 2
YAML
k() { kubectl "$@"; }
no_sessions() { ! pgrep -f "__exec-session" >/dev/null; }

# The same session under each kubectl, SPDY (1.29) and websockets (1.32, 1.33) (the dispatcher
# runs the client of the minor the server reports: LAB_KUBE_MINOR, test-only).
exec_session_checks() {
  local minor=$1
  L=k-exec-$minor
  export LAB_KUBE_MINOR=$minor
  note "kubectl 1.$minor"
  lab_up $L "$tmp/lab.yaml" >/dev/null
  local version
  version=$(k version)
  grep -Eq "^Client Version: v1\.$minor\." <<<"$version" || fail "the dispatcher did not run kubectl 1.$minor: $version"
  k apply -f "$FIXTURES/tutorial/run-my-nginx.yaml" >/dev/null
  k rollout status deployment/my-nginx --timeout=90s
  pods() { k get pods -l run=my-nginx -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
  POD=$(pods | sed -n 1p)
  [ -n "$POD" ] || fail "no my-nginx pod"

  note "kubectl exec POD -- printenv | grep SERVICE: only the kubernetes Service so far"
  out=$(k exec "$POD" -- printenv | grep SERVICE | sort)
  echo "$out"
  echo "$out" | grep -qx 'KUBERNETES_SERVICE_HOST=10.96.0.1' || fail "no KUBERNETES_SERVICE_HOST"
  echo "$out" | grep -qx 'KUBERNETES_SERVICE_PORT=443' || fail "no KUBERNETES_SERVICE_PORT"
  echo "$out" | grep -qx 'KUBERNETES_SERVICE_PORT_HTTPS=443' || fail "no KUBERNETES_SERVICE_PORT_HTTPS"
  echo "$out" | grep -q MY_NGINX && fail "MY_NGINX variables before the Service exists"
  if [ "$minor" = 29 ]; then
    # kubectl 1.29 speaks SPDY/3.1 only: a POST upgraded to SPDY naming v4.channel.k8s.io.
    out=$(k exec -v=8 "$POD" -- true 2>&1)
    grep -q "POST https://.*/pods/$POD/exec?command=true" <<<"$out" && grep -q "Upgrade: SPDY/3.1" <<<"$out" &&
      grep -q "101 Switching Protocols" <<<"$out" || fail "kubectl 1.29's exec did not go over SPDY/3.1: $out"
  fi

  note "expose, then pods made afresh see MY_NGINX_SERVICE_HOST (the tutorial's scale 0 -> 2)"
  k expose deployment/my-nginx >/dev/null
  cip=$(k get svc my-nginx -o jsonpath='{.spec.clusterIP}')
  k scale deployment my-nginx --replicas=0 >/dev/null
  no_pods() { [ -z "$(pods)" ]; }
  wait_for 60 no_pods || fail "pods remain after scale to 0"
  k scale deployment my-nginx --replicas=2 >/dev/null
  k rollout status deployment/my-nginx --timeout=90s
  POD=$(pods | sed -n 1p)
  out=$(k exec "$POD" -- printenv)
  echo "$out" | grep SERVICE
  echo "$out" | grep -qx "MY_NGINX_SERVICE_HOST=$cip" || fail "no MY_NGINX_SERVICE_HOST=$cip"
  echo "$out" | grep -qx "MY_NGINX_SERVICE_PORT=80" || fail "no MY_NGINX_SERVICE_PORT=80"

  note "exit codes, stderr apart from stdout, stdin with -i"
  set +e
  k exec "$POD" -- sh -c 'echo to-out; echo to-err >&2; exit 3' >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
  cat "$tmp/out" "$tmp/err"
  [ $rc = 3 ] || fail "kubectl exec exited $rc, the command 3"
  grep -qx to-out "$tmp/out" && ! grep -q to-err "$tmp/out" || fail "stdout differs: $(cat "$tmp/out")"
  grep -qx to-err "$tmp/err" || fail "stderr lost"
  grep -qx 'command terminated with exit code 3' "$tmp/err" || fail "no 'command terminated with exit code 3'"
  out=$(printf 'one\ntwo\n' | k exec -i "$POD" -- sh -c 'cat; echo done')
  [ "$(echo "$out" | tr '\n' ' ')" = "one two done " ] || fail "stdin did not reach the command: $out"
  # Words with spaces and URL characters arrive as they were typed (one command= per word).
  out=$(k exec "$POD" -- sh -c 'printf "[%s]" "$@"' x 'a b' 'c&d=e' '%41')
  [ "$out" = '[a b][c&d=e][%41]' ] || fail "arguments differ: $out"

  note "a container the pod lacks, a command that does not exist"
  set +e
  out=$(k exec "$POD" -c nope -- ls 2>&1); rc=$?
  set -e
  echo "$out"
  [ $rc = 1 ] && echo "$out" | grep -q "container nope is not valid for pod $POD" || fail "bad container: rc=$rc $out"
  set +e
  out=$(k exec "$POD" -- no-such-command 2>&1); rc=$?
  set -e
  echo "$out"
  [ $rc != 0 ] && echo "$out" | grep -q 'no-such-command' || fail "a missing command did not fail: rc=$rc $out"

  note "kubectl run -i --rm --restart=Never -- nslookup my-nginx (the tutorial's DNS check)"
  # (The host's busybox nslookup exits 1 when a search domain's AAAA query finds nothing, so
  # kubectl's exit code is not asserted here; the answer is.)
  out=$(k run dns-check --image=radial/busyboxplus:curl -i --rm --restart=Never -- nslookup my-nginx 2>&1 </dev/null || true)
  echo "$out"
  echo "$out" | grep -q "my-nginx.default.svc.cluster.local" || fail "nslookup did not resolve my-nginx"
  echo "$out" | grep -q "$cip" || fail "nslookup did not answer the ClusterIP $cip"
  echo "$out" | grep -qx 'pod "dns-check" deleted' || fail "--rm did not delete the pod"

  note "run -i --restart=Never: the container's exit code is kubectl's"
  set +e
  k run exit-four --image=busybox -i --rm --restart=Never -- sh -c 'read x; echo got-$x; exit 4' <<<"abc" >"$tmp/out" 2>&1
  rc=$?
  set -e
  cat "$tmp/out"
  [ $rc = 4 ] || fail "run -i exited $rc, the container 4"
  grep -qx got-abc "$tmp/out" || fail "stdin did not reach the container"

  note "kubectl run curl --image=radial/busyboxplus:curl -i --tty --rm, in a real terminal"
  "${T[@]}" new-session -d -s run -x 100 -y 30 \
    "env KUBECONFIG=$KUBECONFIG HOME=$HOME kubectl run curl --image=radial/busyboxplus:curl -i --tty --rm; echo RC=\$?; sleep 600"
  wait_pane run "If you don't see a command prompt, try pressing enter."
  keys run ""
  wait_pane run '^/ #'
  keys run "curl -s http://my-nginx/ | grep -o 'Welcome to nginx!' | head -1"
  wait_pane run '^Welcome to nginx!'
  keys run "stty size"
  wait_pane run '^30 100$'
  keys run "exit"
  wait_pane run "Session ended, resume using 'kubectl attach curl -c curl -i -t' command when the pod is running"
  wait_pane run 'pod "curl" deleted'
  wait_pane run '^RC=0$'

  note "kubectl exec -it POD -- sh: a prompt, the window size and its change, the exit code"
  "${T[@]}" new-session -d -s ex -x 90 -y 25 "env KUBECONFIG=$KUBECONFIG HOME=$HOME kubectl exec -it $POD -- sh; echo RC=\$?; sleep 600"
  wait_pane ex '^/ #'
  keys ex "stty size"
  wait_pane ex '^25 90$'
  "${T[@]}" resize-window -t ex -x 120 -y 40
  keys ex "stty size"
  wait_pane ex '^40 120$'
  keys ex "exit 5"
  wait_pane ex '^RC=5$'
  "${T[@]}" kill-server >/dev/null 2>&1 || true

  note "a ServiceAccount token may read but not exec (403), and no session process is left"
  # `kubectl create token` sends a protobuf TokenRequest; `create --raw -f -` a chunked JSON one.
  token=$(k create token default --duration=1h)
  [ -n "$token" ] || fail "kubectl create token gave no token"
  raw=$(echo '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}' |
    k create --raw /api/v1/namespaces/default/serviceaccounts/default/token -f - |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])')
  [ -n "$raw" ] || fail "a chunked TokenRequest gave no token"
  api=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  out=$(kubectl --server="$api" --token="$token" --insecure-skip-tls-verify=true --kubeconfig=/dev/null \
          exec "$POD" -- true 2>&1 || true)
  echo "$out"
  echo "$out" | grep -q 'cannot create resource "pods/exec"' || fail "a token could exec: $out"
  wait_for 10 no_sessions || fail "an __exec-session process is left: $(pgrep -af __exec-session)"

  "$LAB" down --lab $L
}
for minor in ${KUBE_MINORS:-29 32 33}; do exec_session_checks "$minor"; done
expect_state "$before"
echo "PASS"
