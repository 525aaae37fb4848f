# A daemon killed with SIGKILL in the middle of 50 parallel `lab apply` calls loses no write it
# acknowledged: every apply that printed "created" finds its object after the restart (the store
# commits to SQLite before it answers). Applies that met the dead daemon either fail or restart it
# themselves; whichever, nothing they were told is lost.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-crash-apply
lab_up $L "$TUTORIAL" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT

for i in $(seq 1 50); do
  cat >"$tmp/svc-$i.yaml" <<EOF
apiVersion: v1
kind: Service
metadata:
  name: crash-$i
spec:
  selector: {run: my-nginx}
  ports:
  - port: $((8000 + i))
    targetPort: 80
EOF
done

pid=$(cat /run/lab/$L/daemon.pid)
for i in $(seq 1 50); do
  ( "$LAB" apply --lab $L -f "$tmp/svc-$i.yaml" >"$tmp/out-$i" 2>&1; echo $? >"$tmp/rc-$i" ) &
done
sleep 0.15
kill -9 "$pid"
note "daemon $pid killed during the applies"
wait

acked=0
for i in $(seq 1 50); do
  if [ "$(cat "$tmp/rc-$i")" = 0 ] && grep -q "service/crash-$i created\|service/crash-$i configured\|service/crash-$i unchanged" "$tmp/out-$i"; then
    acked=$((acked + 1))
    echo "crash-$i" >>"$tmp/acked"
  fi
done
note "$acked of 50 applies were acknowledged"
[ "$acked" -gt 0 ] || fail "no apply was acknowledged (the kill came too early to test anything)"

# The next command restarts the daemon from the store.
"$LAB" get svc --lab $L -o name | sed 's|^service/||' | sort >"$tmp/present"
missing=$(comm -23 <(sort "$tmp/acked") "$tmp/present")
[ -z "$missing" ] || fail "acknowledged but lost after the restart: $missing"
# And the restarted daemon serves them: every Service has a ClusterIP and its endpoints.
for s in $(cat "$tmp/acked"); do
  ip=$("$LAB" get svc --lab $L "$s" -o jsonpath='{.spec.clusterIP}')
  [ -n "$ip" ] || fail "$s has no ClusterIP after the restart"
done

"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
