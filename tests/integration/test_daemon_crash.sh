# A daemon killed with SIGKILL leaves pods and wiring behind; `lab down` still removes all of it.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-crash
lab_up $L "$TUTORIAL" >/dev/null
pid=$(cat /run/lab/$L/daemon.pid)
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
note "daemon $pid killed; pods still running:"
pgrep -af "^lab-pod-init .*--lab=$L( |\$)" || fail "pods died with the daemon"
"$LAB" ls
"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
