#!/usr/bin/env bash
# Cluster DNS figures in one run: queries/s of the lab's DNS server (lab-dns, the coredns pods)
# with Debian's dnsperf from a pod, through the kube-dns ClusterIP 10.96.0.10, beside dnsmasq
# answering the same names from a hosts file in that pod's network namespace (127.0.0.1); the
# ratio (goal >= 1.0); and freshness: from `lab apply` of a new Service (and of a changed
# endpoint of a headless Service) returning to the first answer that has it (median, max).
# When the lab has no coredns pods (the addon not there yet), lab-dns is started in a pod's
# network namespace and asked at that pod's IP instead; the output says which.
# Needs root and a build (build/lab, build/lab-dns).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
LAB_DNS=${LAB_DNS:-$(dirname "$LAB")/lab-dns}
N=${N:-1000}            # Services, and names in the query file
ROUNDS=${ROUNDS:-5}     # dnsperf rounds per server, alternating
ROUND_S=${ROUND_S:-4}   # seconds per round
FRESH=${FRESH:-20}      # Service creations (and endpoint changes) timed
name=bench-dns
tmp=$(mktemp -d)
pids=()
# Each server runs as `nsenter ... SERVER` started straight from this shell (nsenter -n does not
# fork, so $! is the server itself); a shell function under `&` would be a subshell whose death
# leaves the server running.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$LAB" down --lab "$name" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: bench-dns}
spec: {nodes: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: client, image: busybox, command: ["sleep", "1000000"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: dns-host}
spec:
  nodeName: node-2
  containers: [{name: idle, image: busybox, command: ["sleep", "1000000"]}]
YAML
for i in $(seq 1 "$N"); do
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%d}\nspec: {ports: [{port: 80}]}\n' "$i"
done >"$tmp/services.yaml"

"$LAB" up "$tmp/lab.yaml" --name "$name" >/dev/null
"$LAB" apply --lab "$name" -f "$tmp/services.yaml" >/dev/null
client_pid=$(cat /run/lab/$name/pods/default_client/init.pid)
in_client() { nsenter -t "$client_pid" -n "$@"; }

# The names and their ClusterIPs: dnsperf's query file and dnsmasq's hosts file.
"$LAB" get svc --lab "$name" -o json | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
with open(sys.argv[1], "w") as q, open(sys.argv[2], "w") as h:
    for s in items:
        n = s["metadata"]["name"]
        if not n.startswith("svc-"): continue
        fq = "%s.default.svc.cluster.local" % n
        q.write(fq + " A\n")
        h.write("%s %s\n" % (s["spec"]["clusterIP"], fq))
' "$tmp/queries" "$tmp/hosts"
[ "$(wc -l <"$tmp/queries")" -eq "$N" ] || { echo "expected $N services, got $(wc -l <"$tmp/queries")" >&2; exit 1; }

if "$LAB" get pods --lab "$name" -n kube-system -l k8s-app=kube-dns -o name 2>/dev/null | grep -q .; then
  server=10.96.0.10
  how="the coredns pods through the kube-dns ClusterIP $server"
else
  host_pid=$(cat /run/lab/$name/pods/default_dns-host/init.pid)
  server=$("$LAB" get pod --lab "$name" dns-host -o jsonpath='{.status.podIP}')
  nsenter -t "$host_pid" -n "$LAB_DNS" --api=/run/lab/$name/api.sock 2>"$tmp/lab-dns.log" &
  pids+=($!)
  how="lab-dns in pod dns-host's netns at its pod IP $server (no coredns pods in this lab)"
fi
nsenter -t "$client_pid" -n dnsmasq --no-daemon --port=5353 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
  --no-hosts --addn-hosts="$tmp/hosts" --pid-file= --user=root --log-facility=/dev/null 2>"$tmp/dnsmasq.log" &
pids+=($!)
# dnsmasq across the pod network too (in pod dns-host's netns on node-2, at its pod IP): the
# servers compared over the same veths and bridge (lab-dns's path adds only the ClusterIP's DNAT).
host_pid=$(cat /run/lab/$name/pods/default_dns-host/init.pid)
host_ip=$("$LAB" get pod --lab "$name" dns-host -o jsonpath='{.status.podIP}')
nsenter -t "$host_pid" -n dnsmasq --no-daemon --port=5353 --listen-address="$host_ip" --bind-interfaces --no-resolv \
  --no-hosts --addn-hosts="$tmp/hosts" --pid-file= --user=root --log-facility=/dev/null 2>"$tmp/dnsmasq-pod.log" &
pids+=($!)
# The same server on the same footing as dnsmasq (loopback, the client's netns): the servers
# compared without the pod network's cost (veths, bridge, DNAT) that the first figure includes.
nsenter -t "$client_pid" -n "$LAB_DNS" --api=/run/lab/$name/api.sock --dns-port=5354 --metrics-port=19154 2>"$tmp/lab-dns-lo.log" &
pids+=($!)

# All answer the last name before anything is measured.
last=$(tail -1 "$tmp/queries" | cut -d' ' -f1)
for _ in $(seq 1 100); do
  a=$(in_client dig +short +tries=1 +timeout=1 @"$server" "$last" 2>/dev/null || true)
  b=$(in_client dig +short +tries=1 +timeout=1 -p 5353 @127.0.0.1 "$last" 2>/dev/null || true)
  c=$(in_client dig +short +tries=1 +timeout=1 -p 5354 @127.0.0.1 "$last" 2>/dev/null || true)
  d=$(in_client dig +short +tries=1 +timeout=1 -p 5353 @"$host_ip" "$last" 2>/dev/null || true)
  [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ] && [ "$a" = "$d" ] && break
  sleep 0.2
done
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "servers do not answer $last: lab-dns '$a', dnsmasq '$b'" >&2; cat "$tmp"/*.log >&2; exit 1; }

qps() {  # server, port
  in_client dnsperf -s "$1" -p "$2" -d "$tmp/queries" -l "$ROUND_S" -c 4 -q 200 2>&1 |
    awk '/Queries per second/ {print $4} /Queries lost/ {lost = $3} END {}'
}
echo "DNS: $N Services; dnsperf from pod client (node-1) to $how"
echo "     and to dnsmasq on 127.0.0.1:5353 in the client's netns (hosts file of the same names)"
echo "     $ROUNDS rounds of ${ROUND_S} s each, alternating; load $(cut -d' ' -f1-3 /proc/loadavg)"
ours=() theirs=() local_ours=() pod_theirs=()
qps "$server" 53 >/dev/null  # warm-up
for _ in $(seq 1 "$ROUNDS"); do
  ours+=("$(qps "$server" 53)")
  theirs+=("$(qps 127.0.0.1 5353)")
  local_ours+=("$(qps 127.0.0.1 5354)")
  pod_theirs+=("$(qps "$host_ip" 5353)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
range() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.0f-%.0f", a[1], a[NR]}'; }
m_ours=$(median "${ours[@]}"); m_theirs=$(median "${theirs[@]}")
printf '  lab-dns   %9.0f queries/s median (%s)\n' "$m_ours" "$(range "${ours[@]}")"
printf '  dnsmasq   %9.0f queries/s median (%s)\n' "$m_theirs" "$(range "${theirs[@]}")"
awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN {printf "  ratio     %9.2f (lab-dns / dnsmasq; goal >= 1.0)\n", a / b}'
m_pod=$(median "${pod_theirs[@]}")
printf '  dnsmasq across the pod network (pod dns-host, node-2): %.0f queries/s median (%s), ratio %s\n' \
  "$m_pod" "$(range "${pod_theirs[@]}")" "$(awk -v a="$m_ours" -v b="$m_pod" 'BEGIN {printf "%.2f", a / b}')"
m_local=$(median "${local_ours[@]}")
printf '  lab-dns on 127.0.0.1 in the client netns, as dnsmasq: %.0f queries/s median (%s), ratio %s\n' \
  "$m_local" "$(range "${local_ours[@]}")" "$(awk -v a="$m_local" -v b="$m_theirs" 'BEGIN {printf "%.2f", a / b}')"

# Freshness: the poller runs in the client's netns and runs `lab apply` itself (the API socket
# is a file, reachable from any netns), timing from the command's return to the first answer.
cat >"$tmp/fresh.py" <<'PY'
import json, os, random, socket, struct, subprocess, sys, time
lab, labname, server, count, tmp = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.05)
def ask(name, want):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    sock.sendto(q, (server, 53))
    try:
        data = sock.recv(4096)
    except socket.timeout:
        return False
    _, flags, _, an, _, _ = struct.unpack(">HHHHHH", data[:12])
    return (flags & 0xf) == 0 and an > 0 and (want is None or socket.inet_aton(want) in data[12:])
def apply(text):
    path = os.path.join(tmp, "obj.yaml")
    with open(path, "w") as f: f.write(text)
    subprocess.run([lab, "apply", "--lab", labname, "-f", path], check=True, stdout=subprocess.DEVNULL)
def timed(name, want=None):
    t = time.monotonic()
    while not ask(name, want):
        if time.monotonic() - t > 10: return 10.0
    return time.monotonic() - t
svc, eps = [], []
for i in range(count):
    apply("apiVersion: v1\nkind: Service\nmetadata: {name: fresh-%d}\nspec: {ports: [{port: 80}]}\n" % i)
    svc.append(timed("fresh-%d.default.svc.cluster.local" % i))
apply("apiVersion: v1\nkind: Service\nmetadata: {name: hl}\nspec: {clusterIP: None, ports: [{name: web, port: 80}]}\n")
# `lab apply` takes no EndpointSlice: the slice of this selector-less headless Service is
# written to the API socket directly (POST once, then PUT), as a custom controller would.
def api(method, path, body):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/lab/%s/api.sock" % labname)
    data = json.dumps(body).encode()
    s.sendall(("%s %s HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (method, path, len(data))).encode() + data)
    resp = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        resp += chunk
    s.close()
    if int(resp.split(b" ", 2)[1]) >= 300: sys.exit("API %s %s: %s" % (method, path, resp[:400]))
slices = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
for i in range(count + 1):
    ip = "10.244.%d.%d" % (200 + i % 2, 10 + i)
    body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "hl-1", "namespace": "default", "labels": {"kubernetes.io/service-name": "hl"}},
            "addressType": "IPv4", "ports": [{"name": "web", "port": 80, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]}
    if i == 0:
        api("POST", slices, body)
        timed("hl.default.svc.cluster.local", ip)
        continue
    api("PUT", slices + "/hl-1", body)
    eps.append(timed("hl.default.svc.cluster.local", ip))
def show(label, xs):
    xs = sorted(xs)
    print("  %-44s median %6.1f ms   max %6.1f ms   (%d)" % (label, 1000 * xs[(len(xs) - 1) // 2], 1000 * xs[-1], len(xs)))
show("new Service -> answered", svc)
show("headless endpoint changed -> new A answered", eps)
PY
echo "Freshness (from \`lab apply\` returning to the first answer with it; goal < 1 s):"
in_client python3 "$tmp/fresh.py" "$(realpath "$LAB")" "$name" "$server" "$FRESH" "$tmp"
