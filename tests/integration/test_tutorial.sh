# The tutorial scenario end to end: pods on two nodes, reachable from every node, node IPs
# answer the host, exec works, nothing routes out, and `lab down` leaves nothing.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-tutorial

note "lab up"
lab_up $L "$TUTORIAL"

note "get pods -o wide: 2 my-nginx pods 1/1 Running, on different nodes and /24s"
pods=$("$LAB" get pods --lab $L -o wide --no-headers)
echo "$pods"
[ "$(echo "$pods" | wc -l)" = 2 ] || fail "expected 2 pods"
echo "$pods" | awk '{ if ($1 !~ /^my-nginx-/ || $2 != "1/1" || $3 != "Running") exit 1 }' \
  || fail "pods are not my-nginx-... 1/1 Running"
[ "$(echo "$pods" | awk '{print $7}' | sort -u | wc -l)" = 2 ] || fail "pods are not on 2 different nodes"
[ "$(echo "$pods" | awk '{split($6, a, "."); print a[3]}' | sort -u | wc -l)" = 2 ] \
  || fail "pod IPs are not from 2 different node /24s"
"$LAB" get pods --lab $L -o wide | head -1 | grep -q '^NAME *READY *STATUS *RESTARTS *AGE *IP *NODE' \
  || fail "wide header differs from kubectl's"

note "custom-columns as in the tutorial"
"$LAB" get pods --lab $L -l run=my-nginx -o custom-columns=POD_IP:.status.podIPs | tee /dev/stderr \
  | grep -Eq '^\[map\[ip:10\.244\.[0-9]+\.[0-9]+\]\]$' || fail "custom-columns output differs"

note "get nodes -o wide: 2 nodes Ready"
nodes=$("$LAB" get nodes --lab $L -o wide --no-headers)
echo "$nodes"
[ "$(echo "$nodes" | awk '$2 == "Ready"' | wc -l)" = 2 ] || fail "expected 2 Ready nodes"

note "every node reaches every pod (curl), the host pings every node IP"
for ip in $(echo "$pods" | awk '{print $6}'); do
  for node in $(echo "$nodes" | awk '{print $1}'); do
    retry "$LAB" ssh --lab $L "$node" -- curl -s --max-time 2 "http://$ip/" | grep -q "Welcome to nginx!" \
      || fail "$node cannot fetch the nginx page from $ip"
  done
done
for ip in $(echo "$nodes" | awk '{print $6}'); do
  ping -c 1 -W 2 "$ip" >/dev/null || fail "the host cannot ping node IP $ip"
done

note "exec: hostname, ps, exit code"
pod=$(echo "$pods" | awk 'NR==1{print $1}')
[ "$("$LAB" exec --lab $L "$pod" -- cat /etc/hostname)" = "$pod" ] || fail "/etc/hostname is not the pod name"
ps_out=$("$LAB" exec --lab $L "$pod" -- ps)
echo "$ps_out"
echo "$ps_out" | grep -q nginx || fail "ps does not show nginx"
echo "$ps_out" | grep -Eq 'lab __daemon|sshd|systemd|containerd' && fail "ps shows host processes"
[ "$(echo "$ps_out" | sed 1d | wc -l)" -le 6 ] || fail "ps shows more than the pod's own processes"
set +e; "$LAB" exec --lab $L "$pod" -- sh -c 'exit 3'; rc=$?; set -e
[ $rc = 3 ] || fail "exec exit code $rc, expected 3"
"$LAB" exec --lab $L "$pod" -- printenv | grep -q '^HOSTNAME=' || fail "printenv shows no HOSTNAME"

note "no route out of a pod or a node (routes only; nothing is sent)"
out=$("$LAB" exec --lab $L "$pod" -- ip route get 8.8.8.8 2>&1 || true)
echo "pod: $out"
echo "$out" | grep -Eqi 'unreachable|no route' || fail "a pod has a route to 8.8.8.8"
out=$("$LAB" ssh --lab $L node-1 -- ip route get 8.8.8.8 2>&1 || true)
echo "node: $out"
echo "$out" | grep -Eqi 'unreachable|no route' || fail "a node has a route to 8.8.8.8"

note "lab down leaves nothing"
"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
