#!/usr/bin/env bash
# Endpoint propagation latency (issue 13): how long after a pod's change in the API the traffic
# of new connections follows, as a distribution over many changes, with 100 Services selecting
# the same pods (so each change rewrites 100 EndpointSlices and their rules on every node).
# A client pod opens new connections to one Service's ClusterIP in a loop, one every 2 ms at
# most; each pod answers with its own name (busybox httpd). The Service is the one the
# EndpointSlice controller reaches last. Times are the arrival of watch events on the API's Unix
# socket (a pod's Ready condition, its deletionTimestamp) and the start of the client's
# connections, all on one monotonic clock (CLOCK_MONOTONIC, in the processes that see them).
# Every connection the rules allow goes to the pod measured, so that the first (or last) one it
# answers is when the rules changed, give or take one connection, and not when a random pick
# among the ready pods first (or last) chose it, which at 4 pods added up to ~35 ms at p99:
#  - ready: the other pods are made not ready, so the measured pod is the Service's only ready
#    endpoint; its readiness probe (exec `test -e /tmp/ready`, period 1 s) starts passing
#    (`lab exec ... touch`): from the watch event with Ready=True to the first new connection it
#    answers (until then the Service has no endpoint and refuses). Each is paired with the
#    opposite change (the file removed): from Ready=False to the last new connection it answered.
#  - delete: every pod ready again, and the client held to one of them by the Service's
#    sessionAffinity (ClientIP); `lab delete pod` of that pod, which keeps serving through its
#    grace period (its shell traps TERM and sleeps): from the watch event with its
#    deletionTimestamp (and from the command's start) to the last new connection it answered;
#    failed connections are counted.
# Needs root and a build (build/lab).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
PODS=${PODS:-4}
SERVICES=${SERVICES:-100}
CHANGES=${CHANGES:-100}
name=bench-endpoints
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
      terminationGracePeriodSeconds: 10
      containers:
      - name: web
        image: busybox
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        # Ready (the file the probe tests) once httpd answers: a replacement pod marked ready
        # before its httpd listened refused the client's first connections to it (10-16 a run
        # in the delete part). httpd serves on while the shell, told to stop, sleeps 3 s (as a
        # preStop sleep would).
        command: ["sh", "-c", "mkdir -p /tmp/www && echo \$(POD_NAME) > /tmp/www/index.html; httpd -f -p 80 -h /tmp/www & until wget -q -O /dev/null http://127.0.0.1/; do sleep 0.05; done; touch /tmp/ready; trap 'sleep 3; exit 0' TERM; wait"]
        ports: [{containerPort: 80}]
        readinessProbe: {exec: {command: [test, -e, /tmp/ready]}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: client, image: busybox, command: ["sleep", "1000000"]}]
---
# Outside every Service: a second client loads it as the measured one loads the web pods, so
# the machine is as busy while the Service refuses (no ready pod) as while it serves.
apiVersion: v1
kind: Pod
metadata: {name: load, labels: {app: load}}
spec:
  nodeName: node-2
  containers:
  - name: load
    image: busybox
    command: ["sh", "-c", "mkdir -p /tmp/www && echo load > /tmp/www/index.html; exec httpd -f -p 80 -h /tmp/www"]
    ports: [{containerPort: 80}]
YAML
# The Service the EndpointSlice controller reaches last after a pod's change (its queue takes a
# pod's Services in name order). It alone has session affinity, for the delete part.
target=$(seq -f 'web-%.0f' 1 "$SERVICES" | LC_ALL=C sort | tail -1)
for i in $(seq 1 "$SERVICES"); do
  affinity=""
  [ "web-$i" = "$target" ] && affinity=", sessionAffinity: ClientIP"
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: web-%d}\nspec: {selector: {app: web}, ports: [{port: 80}]%s}\n' "$i" "$affinity"
done >"$tmp/services.yaml"
started=$(date +%s)
"$LAB" up "$tmp/lab.yaml" --name "$name" >/dev/null
"$LAB" apply --lab "$name" -f "$tmp/services.yaml" >/dev/null
cip=$("$LAB" get svc --lab "$name" "$target" -o jsonpath='{.spec.clusterIP}')
load_ip=$("$LAB" get pod --lab "$name" load -o jsonpath='{.status.podIP}')
client_pid=$(cat /run/lab/$name/pods/default_client/init.pid)

cat >"$tmp/endpoints.py" <<'PY'
# Three kinds of process, so that no measuring thread waits for another's turn at Python's lock:
# `client` (new connections, a line "time pod" each, "-" when one failed, "timeout" when nothing
# answered it for 1 s: a SYN lost, where the rules must answer or refuse at once), `watch PATH` (a line
# "time json" per watch event, stamped on arrival) and the driver, which reads their lines.
# time.monotonic() is CLOCK_MONOTONIC, one clock for all of them.
import bisect, http.client, json, socket, subprocess, sys, threading, time
now = time.monotonic
sys.setswitchinterval(0.0005)

def client(cip):
    # One attempt every 2 ms at most: a refused one (no ready endpoint) takes microseconds, and
    # a loop of them would take a core from what is measured.
    out = sys.stdout
    while True:
        t = now()
        body = None
        try:
            s = socket.create_connection((cip, 80), timeout=1)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
            s.close()
            if data.startswith(b"HTTP/1"): body = data.split(b"\r\n\r\n", 1)[-1].strip().decode() or None
        except TimeoutError:
            body = "timeout"
        except OSError:
            pass
        out.write("%.6f %s\n" % (t, body or "-"))
        out.flush()
        left = t + 0.002 - now()
        if left > 0: time.sleep(left)

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, sock):
        super().__init__("lab")
        self.path = sock
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)

def watch(sock, path):
    # A list, then a watch from its resourceVersion (the daemon's watch sends no initial
    # events), over the daemon's Unix socket: HTTP/1.1, chunked, one JSON event per line.
    out = sys.stdout
    c = UnixConnection(sock)
    c.request("GET", path, headers={"Accept": "application/json"})
    listed = json.loads(c.getresponse().read())
    c.close()
    for item in listed.get("items", []):
        out.write("%.6f %s\n" % (now(), json.dumps(brief({"type": "ADDED", "object": item}))))
    out.flush()
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(("GET %s%swatch=true&resourceVersion=%s HTTP/1.1\r\nHost: lab\r\nAccept: application/json\r\n\r\n"
               % (path, "&" if "?" in path else "?", listed["metadata"]["resourceVersion"])).encode())
    f = s.makefile("rb")
    def line():
        b = f.readline()
        if not b.endswith(b"\r\n"): raise SystemExit(0)
        return b[:-2]
    head = line()
    if b" 200 " not in head: raise SystemExit("watch %s: %s" % (path, head))
    while line(): pass
    pending = b""
    while True:
        size = int(line().split(b";")[0], 16)
        if size == 0: return
        data = f.read(size)
        if len(data) < size: return
        line()
        t = now()  # the arrival of the chunk that completes an event
        pending += data
        while b"\n" in pending:
            text, pending = pending.split(b"\n", 1)
            if text.strip():
                out.write("%.6f %s\n" % (t, json.dumps(brief(json.loads(text)))))
        out.flush()

def brief(ev):
    # What the driver needs of a pod's or a slice's event, so that the pipe to it stays small (a
    # full pipe would hold this process back, and its stamps with it).
    obj = ev["object"]
    meta = obj.get("metadata", {})
    if obj.get("kind") == "EndpointSlice":
        return {"type": ev["type"], "endpoints": {e.get("targetRef", {}).get("name", ""): e.get("conditions", {}).get("ready", False)
                                                  for e in obj.get("endpoints") or []}}
    return {"type": ev["type"], "name": meta.get("name", ""), "deleting": "deletionTimestamp" in meta,
            "ready": any(c.get("type") == "Ready" and c.get("status") == "True"
                         for c in obj.get("status", {}).get("conditions", []))}

if sys.argv[1] == "client": client(sys.argv[2]); sys.exit(0)
if sys.argv[1] == "watch": watch(sys.argv[2], sys.argv[3]); sys.exit(0)

lab, labname, sock, cip, target, want, changes, load_ip = sys.argv[1:9]
want, changes = int(want), int(changes)
lock = threading.Lock()
conns = []          # (start time, pod name or None for a failed connection), in start order
pods = {}           # name -> {"ready": bool, "deleting": bool}
pod_events = []     # (arrival time, name, "ready"/"notready"/"deleting")
slice_events = []   # (arrival time, {pod name: ready}) of the target Service's slice

def on_pod(t, ev):
    name = ev["name"]
    if not name.startswith("web-"): return
    with lock:
        if ev["type"] == "DELETED":
            pods.pop(name, None)
            return
        old = pods.get(name, {"ready": False, "deleting": False})
        if ev["ready"] != old["ready"]: pod_events.append((t, name, "ready" if ev["ready"] else "notready"))
        if ev["deleting"] and not old["deleting"]: pod_events.append((t, name, "deleting"))
        pods[name] = {"ready": ev["ready"], "deleting": ev["deleting"]}

procs = []
def follow(args, on_line):
    p = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    procs.append(p)
    def read():
        for l in p.stdout:
            t, rest = l.rstrip("\n").split(" ", 1)
            on_line(float(t), rest)
    threading.Thread(target=read, daemon=True).start()
timeouts = []  # start times of the client's connections that timed out
def on_conn(t, n):
    if n == "timeout": timeouts.append(t)
    conns.append((t, None if n in ("-", "timeout") else n))
follow(["client", cip], on_conn)
load_conns = []
follow(["client", load_ip], lambda t, n: load_conns.append((t, n not in ("-", "timeout"))))
follow(["watch", sock, "/api/v1/namespaces/default/pods"], lambda t, e: on_pod(t, json.loads(e)))
follow(["watch", sock, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=" + target],
       lambda t, e: slice_events.append((t, json.loads(e)["endpoints"])))

def after(since):
    # The connections started at or after since.
    return conns[bisect.bisect_left(conns, since, key=lambda c: c[0]):]
def serving(since):
    return {n for t, n in after(since) if n}
def wait_for(cond, timeout):
    deadline = now() + timeout
    while not cond():
        if now() > deadline: return False
        time.sleep(0.01)
    return True
def ready_pods():
    with lock: return sorted(n for n, p in pods.items() if p["ready"] and not p["deleting"])
def settled_alone(pod):
    # pod the only ready one, and the only one answering new connections lately.
    return ready_pods() == [pod] and serving(now() - 0.3) == {pod}
def pinned():
    # want ready pods, and new connections lately all answered by one of them (the affinity).
    r, s = ready_pods(), serving(now() - 0.3)
    return len(r) == want and len(s) == 1 and s <= set(r)
def event_after(since, name, kind, timeout):
    def found():
        with lock: return next((t for t, n, k in pod_events if t >= since and n == name and k == kind), None)
    wait_for(lambda: found() is not None, timeout)
    return found()
def first_conn(since, name, timeout):
    def found(): return next((t for t, n in after(since) if n == name), None)
    wait_for(lambda: found() is not None, timeout)
    return found()
def last_conn(since, name, quiet, timeout):
    # The last new connection name answered after since: once it has answered none for `quiet`
    # seconds while others still answer (at hundreds of connections a second, conclusive).
    deadline, last, seen = now() + timeout, None, since
    while now() < deadline:
        recent = after(seen)
        if recent: seen = recent[-1][0]
        last = max((t for t, n in recent if n == name), default=last)
        if now() - max(since, last or since) >= quiet: break
        time.sleep(0.02)
    return last
def slice_shows(since, name, ready, timeout):
    # The first event at or after since in which the target's slice shows name as ready (or
    # not ready, or absent), waiting for it up to timeout.
    def found():
        with lock: evs = list(slice_events)
        return next((t for t, eps in evs if t >= since and eps.get(name, False) == ready), None)
    wait_for(lambda: found() is not None, timeout)
    return found()
def failures(since):
    return sum(1 for t, n in after(since) if n is None)
def timed_out(since):
    return sum(1 for t in timeouts if t >= since)
def lab_cmd(*args):
    subprocess.run([lab, args[0], "--lab", labname, *args[1:]], check=True, stdout=subprocess.DEVNULL)

try:
    if not wait_for(lambda: len(ready_pods()) == want and serving(now() - 0.5), 180):
        raise SystemExit("the pods never all served through %s" % target)
    victim, others = ready_pods()[0], ready_pods()[1:]
    for p in others: lab_cmd("exec", p, "--", "rm", "/tmp/ready")
    if not wait_for(lambda: settled_alone(victim), 60): raise SystemExit("%s never served alone" % victim)
    c0, t_start = len(conns), now()
    ready_lat, notready_lat, lost = [], [], 0
    ready_slice, notready_slice, del_slice = [], [], []
    for i in range(changes):
        if not wait_for(lambda: settled_alone(victim), 60): lost += 1
        t = now()
        lab_cmd("exec", victim, "--", "rm", "/tmp/ready")
        t0 = event_after(t, victim, "notready", 10)
        if t0 is None: lost += 1; continue
        last = last_conn(t0, victim, 0.5, 10)
        notready_lat.append(max(0.0, last - t0) if last else 0.0)
        ts = slice_shows(t0, victim, False, 0)
        if ts is not None: notready_slice.append(ts - t0)
        t = now()
        lab_cmd("exec", victim, "--", "touch", "/tmp/ready")
        t0 = event_after(t, victim, "ready", 10)
        if t0 is None: lost += 1; continue
        t1 = first_conn(t0, victim, 10)
        if t1 is None: lost += 1; continue
        ready_lat.append(t1 - t0)
        ts = slice_shows(t0, victim, True, 0)
        if ts is not None: ready_slice.append(ts - t0)
    ready_secs, ready_conns, ready_failed = now() - t_start, len(conns) - c0, failures(t_start)
    ready_timeouts = timed_out(t_start)

    for p in others: lab_cmd("exec", p, "--", "touch", "/tmp/ready")
    wait_for(pinned, 60)
    c0, t_start = len(conns), now()
    del_lat, del_cmd_lat = [], []
    for i in range(changes):
        if not wait_for(pinned, 60): lost += 1
        served = serving(now() - 0.3)
        if len(served) != 1: lost += 1; continue
        victim = next(iter(served))
        t = now()
        lab_cmd("delete", "pod", victim, "--wait=false")
        t0 = event_after(t, victim, "deleting", 10)
        if t0 is None: lost += 1; continue
        last = last_conn(t, victim, 0.5, 10)
        # 0: no new connection reached it after the event (or the command's start).
        del_lat.append(max(0.0, last - t0) if last else 0.0)
        del_cmd_lat.append(max(0.0, last - t) if last else 0.0)
        ts = slice_shows(t0, victim, False, 0)
        if ts is not None: del_slice.append(ts - t0)
    del_secs, del_conns, del_failed = now() - t_start, len(conns) - c0, failures(t_start)
    del_timeouts = timed_out(t_start)
finally:
    for p in procs: p.kill()

def dist(xs):
    if not xs: return "none"
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
    return "p50 %4.0f ms  p90 %4.0f ms  p99 %4.0f ms  max %4.0f ms  (%d changes)" % (
        1000 * q(0.5), 1000 * q(0.9), 1000 * q(0.99), 1000 * xs[-1], len(xs))
print("  Ready=True -> first new connection to the pod:   " + dist(ready_lat))
print("    %-47s" % ("then " + target + "'s slice (watch):") + dist(ready_slice))
print("  Ready=False -> last new connection to the pod:   " + dist(notready_lat))
print("    %-47s" % ("then " + target + "'s slice (watch):") + dist(notready_slice))
print("  deletionTimestamp -> last new connection to it:  " + dist(del_lat))
print("    %-47s" % ("then " + target + "'s slice (watch):") + dist(del_slice))
print("    from `lab delete pod`'s start:                 " + dist(del_cmd_lat))
print("  connections: readiness part %d in %.0f s (%.0f/s), %d refused while no pod was ready, %d timed out; delete part %d in %.0f s, %d failed, %d of them timed out%s" % (
    ready_conns, ready_secs, ready_conns / ready_secs, ready_failed - ready_timeouts, ready_timeouts, del_conns, del_secs,
    del_failed, del_timeouts, "; %d changes not seen in time" % lost if lost else ""))
print("  load beside them: %d connections to pod load (%d failed)" % (len(load_conns), sum(1 for t, ok in load_conns if not ok)))
PY
echo "endpoints: $PODS pods (busybox httpd, readiness exec probe period 1 s) behind $SERVICES Services on 2 nodes;" \
     "new connections from pod client to $target ($cip); $CHANGES changes each way"
nsenter -t "$client_pid" -n python3 "$tmp/endpoints.py" "$(realpath "$LAB")" "$name" "/run/lab/$name/api.sock" \
  "$cip" "$target" "$PODS" "$CHANGES" "$load_ip"
echo "  total $(( $(date +%s) - started )) s"
