# A daemon killed with SIGKILL at 20 random moments — during `lab up`, while a scale 0 -> 60
# starts pods, and during the apply of a rolling update — never costs the lab: the next command
# recovers, every acknowledged object is there, the pods converge to the spec with one pod init
# each (none orphaned), and `lab down` leaves nothing. A restart over an unreadable store.db says
# so and leaves the pods running. Prints how long each recovery took to converge (a figure, not a
# timed assertion).
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-recover
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT
TEST_LABS+=("$L")

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
daemon_pid() { cat /run/lab/$L/daemon.pid 2>/dev/null || true; }
kill_daemon() {  # SIGKILL the current daemon and wait until it is gone
  local pid
  pid=$(daemon_pid)
  [ -n "$pid" ] || return 0
  kill -9 "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
}
random_sleep() { sleep "$(awk -v ms=$((RANDOM % $1)) 'BEGIN { printf "%.3f", ms / 1000 }')"; }  # 0 to $1 ms

# Pods of the deployment that are Running, and the pod inits of the lab.
running() { "$LAB" get pods --lab $L --no-headers 2>/dev/null | awk '$3 == "Running"' | wc -l; }
all_pods() { "$LAB" get pods --lab $L --no-headers 2>/dev/null | wc -l; }
# The deployment's pods are in default; kube-system's coredns pods have pod inits of their own.
inits() { pgrep -fc "^lab-pod-init .*--lab=$L --pod=default/" || true; }

# Waits (up to 90 s) until exactly N pods exist, all Running, each with one pod init; with a
# template hash, every pod must carry it. Prints the time it took.
converge() {  # N [hash]
  local want=$1 hash=${2:-} t0 r a i h
  t0=$(now)
  for _ in $(seq 1 900); do
    r=$(running); a=$(all_pods); i=$(inits)
    h=ok
    if [ -n "$hash" ]; then
      h=$("$LAB" get pods --lab $L -l "pod-template-hash!=$hash" -o name 2>/dev/null | wc -l)
      [ "$h" = 0 ] && h=ok
    fi
    if [ "$r" = "$want" ] && [ "$a" = "$want" ] && [ "$i" = "$want" ] && [ "$h" = ok ]; then
      echo "$(since "$t0")"
      return 0
    fi
    sleep 0.1
  done
  "$LAB" get pods --lab $L >&2 || true
  tail -20 /run/lab/$L/daemon.log >&2 || true
  fail "pods did not converge to $want (running $r, pods $a, pod inits $i, other hash $h)"
}

# The tutorial with 30 pods, so that a kill lands while pods start.
sed 's/replicas: 2/replicas: 30/' "$TUTORIAL" >"$tmp/pods30.yaml"
grep -q 'replicas: 30' "$tmp/pods30.yaml" || fail "cannot make the 30-pod scenario"

# ---- 1. during `lab up` (5 kills) ----
for k in 1 2 3 4 5; do
  ( rc=0; "$LAB" up "$tmp/pods30.yaml" --name $L >"$tmp/up.out" 2>&1 || rc=$?; echo $rc >"$tmp/up.rc" ) &
  up=$!
  for _ in $(seq 1 200); do [ -n "$(daemon_pid)" ] && break; sleep 0.01; done
  random_sleep 1500
  kill_daemon
  wait $up
  if [ "$(cat "$tmp/up.rc")" = 0 ]; then
    note "kill $k (lab up): after the lab was up; the next command recovers"
    t=$(converge 30)
    note "  converged again in ${t}s"
    "$LAB" down --lab $L >/dev/null
  else
    note "kill $k (lab up): lab up failed as it should: $(grep -m1 error "$tmp/up.out")"
  fi
  expect_state "$before"
done

# ---- 2. while pods start: scale 0 -> 60 and back (8 kills) ----
lab_up $L "$TUTORIAL" >/dev/null
for k in 1 2 3 4 5 6 7 8; do
  n=$(( k % 2 ? 60 : 0 ))
  "$LAB" scale deployment my-nginx --replicas=$n --lab $L >/dev/null || fail "scale to $n refused"
  random_sleep 500
  kill_daemon
  at_kill=$(inits)
  t0=$(now)
  "$LAB" get deployment my-nginx --lab $L >/dev/null || fail "the command after kill $k did not recover"
  note "kill $k (scale to $n, $at_kill pod inits at the kill): the next command answered after $(since "$t0")s"
  replicas=$("$LAB" get deployment my-nginx --lab $L -o jsonpath='{.spec.replicas}')
  [ "$replicas" = "$n" ] || fail "the acknowledged scale to $n was lost (spec.replicas=$replicas)"
  t=$(converge "$n")
  note "  converged to $n pods in ${t}s after the restart"
done

# ---- 3. during the apply of a rolling update (7 kills) ----
"$LAB" scale deployment my-nginx --replicas=6 --lab $L >/dev/null
converge 6 >/dev/null
for k in 1 2 3 4 5 6 7; do
  cat >"$tmp/roll.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-nginx
spec:
  selector:
    matchLabels:
      run: my-nginx
  replicas: 6
  template:
    metadata:
      labels:
        run: my-nginx
    spec:
      containers:
      - name: my-nginx
        image: nginx
        ports:
        - containerPort: 80
        env:
        - name: ROLL
          value: "$k"
---
apiVersion: v1
kind: Service
metadata:
  name: roll-$k
spec:
  selector:
    run: my-nginx
  ports:
  - port: 80
EOF
  ( rc=0; "$LAB" apply -f "$tmp/roll.yaml" --lab $L >"$tmp/apply.out" 2>&1 || rc=$?; echo $rc >"$tmp/apply.rc" ) &
  ap=$!
  random_sleep 300
  kill_daemon
  wait $ap
  "$LAB" get deployment my-nginx --lab $L >/dev/null || fail "the command after kill $k did not recover"
  if [ "$(cat "$tmp/apply.rc")" = 0 ]; then
    grep -q "service/roll-$k created" "$tmp/apply.out" &&
      { "$LAB" get svc roll-$k --lab $L >/dev/null || fail "service/roll-$k was acknowledged, then lost"; }
  else
    # The apply met the dead daemon: apply again, as a user would.
    "$LAB" apply -f "$tmp/roll.yaml" --lab $L >/dev/null || fail "apply after kill $k failed"
  fi
  value=$("$LAB" get deployment my-nginx --lab $L -o jsonpath='{.spec.template.spec.containers[0].env[0].value}')
  [ "$value" = "$k" ] || fail "the acknowledged template (ROLL=$k) was lost: ROLL=$value"
  hash=$("$LAB" get rs --lab $L -o json | python3 -c '
import json, sys
for rs in json.load(sys.stdin)["items"]:
    env = rs["spec"]["template"]["spec"]["containers"][0].get("env", [])
    if env and env[0].get("value") == sys.argv[1]:
        print(rs["metadata"]["labels"]["pod-template-hash"])' "$k")
  [ -n "$hash" ] || fail "no ReplicaSet for the template ROLL=$k"
  t=$(converge 6 "$hash")
  note "kill $k (rolling update): rolled out to ROLL=$k in ${t}s after the restart"
done

# ---- an unreadable store: the restart says so, the pods keep running ----
kill_daemon
for f in /run/lab/$L/store.db*; do head -c 8192 /dev/urandom >"$f"; done
if "$LAB" get pods --lab $L >"$tmp/corrupt.out" 2>&1; then fail "a restart over a corrupt store.db succeeded"; fi
grep -q "store.db" "$tmp/corrupt.out" || fail "the error does not name the store: $(cat "$tmp/corrupt.out")"
grep -q "lab down" "$tmp/corrupt.out" || fail "the error does not say what to do: $(cat "$tmp/corrupt.out")"
[ "$(inits)" = 6 ] || fail "the pods did not survive the failed restart ($(inits) pod inits)"
note "corrupt store: $(head -1 "$tmp/corrupt.out")"

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
