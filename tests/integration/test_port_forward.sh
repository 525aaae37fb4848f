# `kubectl port-forward` into a lab, with the real kubectl, once per version: 1.32 and 1.33 tunnel
# SPDY through a websocket, 1.29 upgrades to SPDY itself. Per version: a pod's nginx and a
# Service's (its targetPort) through a local port kubectl picks; a 2 MB file downloaded five
# times at once, byte for byte; bytes echoed back after the client's half-close; a port nothing
# listens on in the pod (not even one the host listens on: the lab's API port) is kubectl's
# "error forwarding port" and no connection; a ServiceAccount token may not port-forward (403).
# KUBE_MINORS (default "32 29 33") picks the versions.
source "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || fail "kubectl is not installed (setup.sh installs it)"
KUBE_MINORS=${KUBE_MINORS:-32 29 33}
before=$(machine_state)
tmp=$(mktemp -d)
forwarders=()
trap 'for p in "${forwarders[@]}"; do kill "$p" 2>/dev/null || true; done; cleanup_labs; rm -rf "$tmp"' EXIT
T=$FIXTURES/tutorial
k() { kubectl --request-timeout=60s "$@"; }

cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: port-forward}
spec:
  nodes: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: files
spec:
  containers:
  - name: files
    image: busybox
    # a 2 MB file over HTTP on 8000, and an echo of each connection's bytes on 9000
    command: ["sh", "-c", "mkdir -p /tmp/w; head -c 2000000 /dev/urandom >/tmp/w/big; nc -ll -p 9000 -e cat & exec httpd -f -p 8000 -h /tmp/w"]
YAML

# Starts `kubectl port-forward ARGS` in the background with local port 0 (kubectl picks one) and
# sets $port to the one it printed.
forward() {  # log, then kubectl's arguments
  local log=$1; shift
  kubectl port-forward "$@" >"$log" 2>&1 &
  forwarders+=($!)
  fwd=$!
  wait_for 20 grep -q '^Forwarding from 127.0.0.1:' "$log" || { cat "$log" >&2; fail "port-forward $* did not start"; }
  port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) -> .*/\1/p' "$log")
  port=${port%%$'\n'*}  # the first one's (not through `| head`: its early exit fails the pipe)
}

echo_back() {  # port, file: the bytes echoed after a half-close, as a hash
  python3 - "$1" "$2" <<'PY'
import hashlib, socket, sys, threading
data = open(sys.argv[2], 'rb').read()
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
h = hashlib.md5()
while True:
    b = s.recv(65536)
    if not b: break
    h.update(b)
t.join()
print(h.hexdigest())
PY
}

head -c 3000000 /dev/urandom >"$tmp/up.bin"
up_md5=$(md5sum <"$tmp/up.bin" | cut -d' ' -f1)

session() {  # minor
  local minor=$1 L=h2-pf-$1 out pod big code addr token
  note "=== kubectl $minor"
  export KUBECONFIG=$tmp/$minor/kube/config HOME=$tmp/$minor
  mkdir -p "$tmp/$minor/kube"
  if [ "$minor" = 32 ]; then lab_up $L "$tmp/lab.yaml" >/dev/null
  else LAB_KUBE_MINOR=$minor lab_up $L "$tmp/lab.yaml" >/dev/null; fi
  k apply -f "$T/run-my-nginx.yaml" >/dev/null
  k expose deployment/my-nginx >/dev/null
  running() { [ "$(k get pods --no-headers 2>/dev/null | awk '$2 == "1/1" && $3 == "Running"' | wc -l)" = 3 ]; }
  wait_for 60 running || { k get pods >&2; fail "the pods are not Running"; }
  pod=$(k get pods -l run=my-nginx -o name)
  pod=${pod%%$'\n'*}

  note "port-forward $pod :80 (kubectl $minor)"
  forward "$tmp/pf1" "$pod" :80
  out=$(curl -sS -m 10 "http://127.0.0.1:$port/") || fail "curl through port-forward failed"
  grep -q '<title>Welcome to nginx!</title>' <<<"$out" || fail "not nginx's page: $out"
  code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")
  [ "$code" = 404 ] || fail "a missing page: HTTP $code"
  grep -q "^Forwarding from \[::1\]:$port -> 80$" "$tmp/pf1" || fail "kubectl did not forward [::1]"
  grep -q "^Handling connection for $port$" "$tmp/pf1" || fail "kubectl handled no connection"
  kill "$fwd" 2>/dev/null || true; wait "$fwd" 2>/dev/null || true

  note "port-forward svc/my-nginx :80 (the Service's pod and targetPort)"
  forward "$tmp/pf2" svc/my-nginx :80
  out=$(curl -sS -m 10 "http://127.0.0.1:$port/") || fail "curl through svc/my-nginx's port-forward failed"
  grep -q '<title>Welcome to nginx!</title>' <<<"$out" || fail "svc/my-nginx: not nginx's page: $out"
  kill "$fwd" 2>/dev/null || true; wait "$fwd" 2>/dev/null || true

  note "a 2 MB file five times at once, and 3 MB echoed after a half-close"
  big=$(k exec files -- md5sum /tmp/w/big | cut -d' ' -f1)
  [ -n "$big" ] || fail "no md5 of the file in the pod"
  forward "$tmp/pf3" pod/files :8000 :9000
  local p_http=$port p_echo
  p_echo=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) -> 9000$/\1/p' "$tmp/pf3")
  [ -n "$p_echo" ] || { cat "$tmp/pf3" >&2; fail "no local port for 9000"; }
  local curls=()
  for i in 1 2 3 4 5; do curl -sS -m 30 "http://127.0.0.1:$p_http/big" -o "$tmp/dl.$i" & curls+=($!); done
  for i in 1 2 3 4 5; do
    wait "${curls[$((i - 1))]}" || fail "download $i failed"
    [ "$(md5sum <"$tmp/dl.$i" | cut -d' ' -f1)" = "$big" ] || fail "download $i differs from the pod's file"
  done
  [ "$(echo_back "$p_echo" "$tmp/up.bin")" = "$up_md5" ] || fail "the echoed bytes differ from those sent"
  kill "$fwd" 2>/dev/null || true; wait "$fwd" 2>/dev/null || true

  note "a port nothing in the pod listens on: the error on kubectl's side, no connection"
  addr=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}' | sed 's|^https://||')
  # The lab's API listens on the host's 127.0.0.1, not in the pod: port-forward must not reach it.
  forward "$tmp/pf4" pod/files ":${addr##*:}"
  if curl -sk -m 10 -o /dev/null "https://127.0.0.1:$port/version"; then fail "port-forward reached the host's port ${addr##*:}"; fi
  wait_for 10 grep -q "error forwarding port ${addr##*:} to pod .*failed to connect to localhost:${addr##*:} inside namespace.*connect: connection refused" "$tmp/pf4" \
    || { cat "$tmp/pf4" >&2; fail "kubectl printed no error forwarding port"; }
  kill "$fwd" 2>/dev/null || true; wait "$fwd" 2>/dev/null || true

  note "a ServiceAccount token may not port-forward"
  token=$(k create token default) || fail "kubectl create token failed"
  k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$tmp/ca.crt"
  code=$(curl -sS --cacert "$tmp/ca.crt" -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -X POST -H 'Connection: Upgrade' -H 'Upgrade: SPDY/3.1' -H 'X-Stream-Protocol-Version: portforward.k8s.io' \
    "https://$addr/api/v1/namespaces/default/pods/files/portforward")
  [ "$code" = 403 ] || fail "a token's port-forward: HTTP $code, not 403: $(cat "$tmp/body")"
  grep -q 'cannot create resource \\"pods/portforward\\"' "$tmp/body" || fail "the 403 does not name pods/portforward: $(cat "$tmp/body")"

  "$LAB" down --lab $L >/dev/null || fail "lab down failed"
}

for minor in $KUBE_MINORS; do session "$minor"; done
expect_state "$before"
echo "PASS"
