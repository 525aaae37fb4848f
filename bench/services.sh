#!/usr/bin/env bash
# Requests/s through a ClusterIP versus straight to a pod IP, in the same run: keep-alive GETs
# from node-1 to one nginx pod on node-2 (the Service has that one endpoint, so both paths end
# at the same server). Needs root and a build (build/lab, build/bench/http_load or $LAB/$LOAD).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-build/lab}
LOAD=${LOAD:-build/bench/http_load}
SECONDS_EACH=${SECONDS_EACH:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$LAB" down --lab bench-svc >/dev/null 2>&1 || true' EXIT
sed 's/replicas: 2/replicas: 1/' scenarios/tutorial.yaml > "$tmp/one.yaml"
cat >> "$tmp/one.yaml" <<'YAML'
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
YAML
"$LAB" up "$tmp/one.yaml" --name bench-svc >/dev/null
pod_ip=$("$LAB" get pods --lab bench-svc -o jsonpath='{.items[0].status.podIP}')
cip=$("$LAB" get svc --lab bench-svc my-nginx -o jsonpath='{.spec.clusterIP}')
echo "keep-alive GET / from node-1 to nginx on node-2, ${SECONDS_EACH}s per run, $(nproc) cores"
for conns in 1 10; do
  for round in 1 2; do
    direct=$("$LAB" ssh --lab bench-svc node-1 -- "$LOAD" "$pod_ip" 80 "$SECONDS_EACH" $conns)
    viaip=$("$LAB" ssh --lab bench-svc node-1 -- "$LOAD" "$cip" 80 "$SECONDS_EACH" $conns)
    awk -v c=$conns -v r=$round -v d="$direct" -v v="$viaip" 'BEGIN {
      printf "%2d connection(s), round %d: pod IP %7d req/s   ClusterIP %7d req/s   ratio %.1f%%\n", c, r, d, v, 100*v/d }'
  done
done
