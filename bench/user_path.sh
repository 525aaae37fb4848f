#!/usr/bin/env bash
# From a user's action to what they see, at ten times the tutorial: 20 pods behind a Service,
# and 1,000 Services selecting the same pods (so each pod change rewrites 1,000 EndpointSlices
# and their rules on every node). A client pod opens a new connection to the last Service's
# ClusterIP over and over; each pod answers with its own name (busybox httpd serving a page
# made from the downward API). `lab delete pod` of a serving pod, timed from the command's start
# to the last new connection that still reached that pod, and failed connections meanwhile
# (Kubernetes' promise: a terminating pod gets no new connections once its endpoint is gone).
# The last Service has sessionAffinity: ClientIP and the pod deleted is the one the client is
# held to, so every new connection the rules allow reaches it: the last one is when the rules
# changed, not when a random pick last chose it among 20 (bench/endpoints.sh does the same).
# Needs root and a build (build/lab).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
PODS=${PODS:-20}
SERVICES=${SERVICES:-1000}
DELETES=${DELETES:-5}
name=bench-path
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab "$name" >/dev/null 2>&1 || true' EXIT

cat >"$tmp/lab.yaml" <<YAML
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: $name}
spec: {nodes: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: $PODS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: busybox
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        # httpd ignores SIGTERM and serves through its grace period, as a server that drains
        # does: a connection the rules still send to a deleted pod is answered, not refused.
        command: ["sh", "-c", "trap '' TERM; mkdir -p /tmp/www && echo \$(POD_NAME) > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"]
        ports: [{containerPort: 80}]
        readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: client, image: busybox, command: ["sleep", "1000000"]}]
YAML
for i in $(seq 1 "$SERVICES"); do
  affinity=""
  [ "$i" = "$SERVICES" ] && affinity=", sessionAffinity: ClientIP"
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: web-%d}\nspec: {selector: {app: web}, ports: [{port: 80}]%s}\n' "$i" "$affinity"
done >"$tmp/services.yaml"
"$LAB" up "$tmp/lab.yaml" --name "$name" >/dev/null
"$LAB" apply --lab "$name" -f "$tmp/services.yaml" >/dev/null
cip=$("$LAB" get svc --lab "$name" "web-$SERVICES" -o jsonpath='{.spec.clusterIP}')
client_pid=$(cat /run/lab/$name/pods/default_client/init.pid)

cat >"$tmp/path.py" <<'PY'
import socket, subprocess, sys, threading, time
lab, labname, cip, deletes, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
log, stop = [], threading.Event()   # (monotonic time, pod name or None for a failed connection)
def poll():
    while not stop.is_set():
        t = time.monotonic()
        try:
            s = socket.create_connection((cip, 80), timeout=1)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
            s.close()
            body = data.split(b"\r\n\r\n", 1)[-1].strip().decode() if data.startswith(b"HTTP/1") else None
            log.append((t, body or None))
        except OSError:
            log.append((t, None))
threading.Thread(target=poll, daemon=True).start()
def ready():   # every replica Ready, and the client answered in the last second
    out = subprocess.run([lab, "get", "deploy", "web", "--lab", labname, "-o", "jsonpath={.status.readyReplicas}"],
                         capture_output=True, text=True).stdout.strip()
    return out == str(want) and any(n for t, n in log if t >= time.monotonic() - 1)
def current():   # the pod the client's affinity holds it to
    return next(n for t, n in reversed(log) if n)
deadline = time.monotonic() + 120   # all pods Ready before the first delete
while not ready() and time.monotonic() < deadline: time.sleep(0.2)
reached, failed, conns = [], [], []
for _ in range(deletes):
    victim = current()
    t0 = time.monotonic()
    subprocess.run([lab, "delete", "pod", "--lab", labname, victim, "--wait=false"], check=True, stdout=subprocess.DEVNULL)
    time.sleep(4)
    after = [(t, n) for t, n in log if t >= t0]
    hits = [t for t, n in after if n == victim]
    reached.append(max(hits) - t0 if hits else 0.0)
    print("    %s: last reached at %.0f ms" % (victim, 1000 * reached[-1]))
    failed.append(sum(1 for t, n in after if n is None))
    bad = [t - t0 for t, n in after if n is None]
    if bad: print("    delete of %s: failures from %.0f to %.0f ms; answers after: %s" % (victim, 1000 * bad[0], 1000 * bad[-1], sorted({n for t, n in after if n and t - t0 > bad[0]})[:3]))
    conns.append(len(after))
    deadline = time.monotonic() + 60   # the replacement Ready before the next delete
    while not ready() and time.monotonic() < deadline: time.sleep(0.2)
stop.set()
r = sorted(reached)
# 0 ms: no new connection reached the pod once the command had started.
print("  last new connection to the deleted pod, after `lab delete pod` started: median %.0f ms, max %.0f ms"
      " (%d deletes; %d reached after the start)" % (1000 * r[(len(r) - 1) // 2], 1000 * r[-1], len(r),
                                                    sum(1 for x in r if x > 0)))
print("  failed connections in the 4 s after each delete: %s of %s" % (" ".join(map(str, failed)), " ".join(map(str, conns))))
PY
echo "user path: $PODS pods (busybox httpd serving through its grace of 5 s) behind $SERVICES Services on 2 nodes; new connections from pod client to web-$SERVICES ($cip, sessionAffinity ClientIP)"
nsenter -t "$client_pid" -n python3 "$tmp/path.py" "$(realpath "$LAB")" "$name" "$cip" "$DELETES" "$PODS"
