#!/usr/bin/env bash
# Requests/s through a ClusterIP versus straight to the pod IP, in the same run: keep-alive GETs
# to one nginx pod on node-2, from a client pod on node-1 (the usual Kubernetes client) and from
# node-1's own netns (DNAT in the output hook; not masqueraded, as the route to the service CIDR
# gives it cbr0's pod-network source). The Service has that one endpoint, so both paths end at
# the same server. Needs root and a build (build/lab, build/bench/http_load).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
LOAD=${LOAD:-$PWD/build/bench/http_load}
# Short rounds, alternating between the two paths: this VM's vCPUs change speed by up to 2x for
# seconds at a time (other tenants), so only rounds close together in time compare fairly.
ROUNDS=${ROUNDS:-80}    # measured rounds per path and configuration, after one warm-up round
ROUND_S=${ROUND_S:-0.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab bench-svc >/dev/null 2>&1 || true' EXIT
sed 's/replicas: 2/replicas: 1/' scenarios/tutorial.yaml > "$tmp/bench.yaml"
cat >> "$tmp/bench.yaml" <<'YAML'
      nodeName: node-2
---
apiVersion: v1
kind: Service
metadata:
  name: my-nginx
spec:
  selector: {run: my-nginx}
  ports:
  - port: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  nodeName: node-1
  containers:
  - name: client
    image: busybox
    command: ["sleep", "1000000"]
YAML
"$LAB" up "$tmp/bench.yaml" --name bench-svc >/dev/null
pod_ip=$("$LAB" get pods --lab bench-svc -l run=my-nginx -o jsonpath='{.items[0].status.podIP}')
cip=$("$LAB" get svc --lab bench-svc my-nginx -o jsonpath='{.spec.clusterIP}')
# The client pod's PID 1 (lab-pod-init) holds its netns; the load generator joins only that.
client_pid=$(cat /run/lab/bench-svc/pods/default_client/init.pid)
# Client, nginx and every packet's path through both nodes share one CPU (the last), at nice -20:
# the whole cost of a request is on that CPU, so req/s compares the paths' costs, and neither the
# scheduler's placement nor the rest of the machine (left the other CPU) moves the figure much.
cpu=$(($(nproc) - 1))
# nginx runs as one process (master_process off): the container process serves.
worker=$(cat /run/lab/bench-svc/pods/default_my-nginx-*/my-nginx.hostpid)
taskset -pc "$cpu" "$worker" >/dev/null
renice -n -20 -p "$worker" >/dev/null

measure() {  # label, netns file, connections
  echo "$1, $3 connection(s):"
  nice -n -20 nsenter --net="$2" "$LOAD" -p "$cpu" -c "$3" -t "$ROUND_S" -r "$ROUNDS" "$pod_ip" "$cip" |
    sed -e "s/^$pod_ip /  pod IP    $pod_ip/" -e "s/^$cip /  ClusterIP $cip/" -e "s/ of $pod_ip;/ of pod IP;/"
}

echo "keep-alive GET / to nginx on node-2; client, nginx and kernel on CPU $cpu; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "${ROUNDS} rounds of ${ROUND_S} s per path, alternating (+1 warm-up); req/s median (min-max)"
measure "from a pod on node-1" "/proc/$client_pid/ns/net" 1
measure "from a pod on node-1" "/proc/$client_pid/ns/net" 10
measure "from node-1's netns" /run/netns/lab-bench-svc-node-1 1
measure "from node-1's netns" /run/netns/lab-bench-svc-node-1 10
echo "load afterwards $(cut -d' ' -f1-3 /proc/loadavg)"
