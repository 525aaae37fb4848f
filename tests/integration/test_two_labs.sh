# Two labs from the same scenario side by side: separate node networks (the second moves to the
# next free range), each serving; `lab down` of one leaves the other untouched and serving.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
lab_up t-one "$TUTORIAL" >/dev/null
lab_up t-two "$TUTORIAL" >/dev/null
"$LAB" ls
net1=$(awk -F'"' '/"nodeCIDR"/ {print $4}' /run/lab/t-one/lab.json)
net2=$(awk -F'"' '/"nodeCIDR"/ {print $4}' /run/lab/t-two/lab.json)
note "node networks: $net1 and $net2"
[ "$net1" != "$net2" ] || fail "both labs took $net1"

set +e; "$LAB" get pods >/dev/null 2>err.txt; rc=$?; set -e
[ $rc != 0 ] && grep -q -- "--lab" err.txt || fail "without --lab, two labs should ask for --lab"
rm -f err.txt

serves() {  # lab: every pod answers from node-1
  local l=$1 ip
  for ip in $("$LAB" get pods --lab "$l" -o jsonpath='{.items[*].status.podIP}'); do
    retry "$LAB" ssh --lab "$l" node-1 -- curl -s --max-time 2 "http://$ip/" | grep -q "Welcome to nginx!" || return 1
  done
}
serves t-one || fail "lab t-one does not serve"
serves t-two || fail "lab t-two does not serve"
for ip in $(ip -n lab-t-two-node-1 -4 -br addr show eth0 | awk '{print $3}' | cut -d/ -f1); do
  ping -c1 -W2 "$ip" >/dev/null || fail "host cannot ping t-two's node-1"
done

"$LAB" down --lab t-one
serves t-two || fail "lab t-two stopped serving after t-one went down"
"$LAB" get pods --lab t-two
"$LAB" down --lab t-two
expect_state "$before"
echo "PASS"
