# Nothing a typo or a stuck process does can destroy a lab or hang the CLI:
#  - an explicitly empty --lab or --name is an error (not "the only lab" / a lab called "lab"),
#    and a bad lab name is refused with the rule;
#  - a stopped daemon (kill -STOP) fails a command at its --request-timeout (kubectl's syntax)
#    or at the default, naming the lab and that its daemon is stopped;
#  - a user who is not root is told so, not "no lab is running";
#  - a held registry lock fails `lab up` within about a second, naming the holder; the CLI that
#    restarts a crashed daemon holds no lock afterwards, and the daemon holds none of its fds.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
tmp=$(mktemp -d)
chmod 0755 "$tmp"  # the scenario is read by a user who is not root, too
holder=
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  for l in "${TEST_LABS[@]}"; do
    pid=$(cat /run/lab/$l/daemon.pid 2>/dev/null) && kill -CONT "$pid" 2>/dev/null
  done
  cleanup_labs
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/one-node.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: hazards}
spec:
  nodes: 1
YAML

# refused EXPECTED-PATTERN CMD...: CMD must fail (within 20 s: never hang) with PATTERN on stderr.
refused() {
  local pattern=$1 out rc; shift
  set +e; out=$(timeout 20 "$@" 2>&1); rc=$?; set -e
  echo "$out"
  [ $rc != 124 ] || fail "$* hung"
  [ $rc != 0 ] || fail "$* succeeded"
  echo "$out" | grep -Eq -- "$pattern" || fail "$*: message does not say: $pattern"
}
daemon_of() { cat "/run/lab/$1/daemon.pid"; }

A=t-hz-a
lab_up $A "$tmp/one-node.yaml" >/dev/null
during=$(machine_state)

note "--lab '' is an error, never 'the only lab'"
refused "^error: --lab must name a lab, it is empty" "$LAB" down --lab ''
refused "^error: .*'?--lab'? (must name a lab|should follow immediately)" "$LAB" down --lab=  # Boost's own words
refused "^error: --lab must name a lab, it is empty" "$LAB" down ''
refused "^error: --lab must name a lab, it is empty" "$LAB" get pods --lab ''
refused "^error: --lab must name a lab, it is empty" "$LAB" delete pod x --lab ''
[ -f /run/lab/$A/lab.json ] && kill -0 "$(daemon_of $A)" || fail "lab $A did not survive"

note "--name '' is an error, and lab names follow a rule"
refused "^error: --name must name the lab, it is empty" "$LAB" up "$tmp/one-node.yaml" --name ''
refused "invalid lab name \"Bad_Name\": a lowercase RFC 1123 label must consist of" \
  "$LAB" up "$tmp/one-node.yaml" --name Bad_Name
refused "invalid lab name .*at most 40 characters" "$LAB" up "$tmp/one-node.yaml" --name "$(printf 'a%.0s' {1..41})"
[ "$(machine_state)" = "$during" ] || fail "a refused name changed the machine"

note "kubectl's --request-timeout syntax"
"$LAB" get pods --lab $A --request-timeout=5s >/dev/null
"$LAB" get pods --lab $A --request-timeout 5 >/dev/null
"$LAB" get pods --lab $A --request-timeout=0 >/dev/null
# A watch runs for the timeout given, then ends quietly, as kubectl's does.
timeout 20 "$LAB" get pods --lab $A -w --request-timeout=1s >/dev/null 2>&1 || fail "get -w --request-timeout=1s did not end by itself"
refused "^error: invalid timeout value. Timeout must be a single integer in seconds" \
  "$LAB" get pods --lab $A --request-timeout=soon

note "a stopped daemon: commands fail at their timeout, naming the lab"
pid=$(daemon_of $A)
kill -STOP "$pid"
msg="^Unable to connect to the server: the daemon of lab \"$A\" does not answer .*Client.Timeout exceeded.*its process $pid is stopped"
refused "$msg" "$LAB" get pods --lab $A --request-timeout=1s
refused "$msg" "$LAB" get pods --lab $A -w --request-timeout=1
refused "$msg" "$LAB" scale deployment x --replicas=1 --lab $A --request-timeout=500ms
note "(the default timeout, 30 s)"
set +e; out=$(timeout 120 "$LAB" get pods --lab $A 2>&1); rc=$?; set -e
echo "$out"
[ $rc != 124 ] || fail "with the default timeout, a stopped daemon hung lab get pods"
echo "$out" | grep -Eq -- "$msg" || fail "default timeout: message does not name the lab and its stopped daemon"
note "(0 is no timeout, as kubectl's)"
set +e; timeout 2 "$LAB" get pods --lab $A --request-timeout=0 >/dev/null 2>&1; rc=$?; set -e
[ $rc = 124 ] || fail "--request-timeout=0 should wait for ever (exit $rc)"
kill -CONT "$pid"
retry "$LAB" get pods --lab $A >/dev/null || fail "lab $A does not answer after SIGCONT"

note "not root: a permission error, not 'no lab is running'"
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
refused "^error: permission denied: /run/lab is root's: only root controls a lab" "${as_nobody[@]}" "$LAB" get pods
refused "^error: permission denied: /run/lab is root's" "${as_nobody[@]}" "$LAB" get pods --lab $A
refused "^error: permission denied: /run/lab is root's" "${as_nobody[@]}" "$LAB" ls
refused "^error: permission denied: /run/lab is root's" "${as_nobody[@]}" "$LAB" down --all
refused "^error: permission denied: /run/lab is root's" "${as_nobody[@]}" "$LAB" down --lab $A
refused "^error: lab needs root" "${as_nobody[@]}" "$LAB" up "$tmp/one-node.yaml" --name t-hz-nobody
[ "$(machine_state)" = "$during" ] || fail "a user who is not root changed the machine"

note "a held registry lock: lab up gives up within about a second and names the holder"
perl -MFcntl=:flock -e 'open(F, ">>", "/run/lab/.lock") or die; flock(F, LOCK_EX) or die; sleep 300' &
holder=$!
for _ in $(seq 1 100); do grep -q "FLOCK.* $holder " /proc/locks && break; sleep 0.05; done
start=$(date +%s%N)
refused "^error: another lab command is running: pid $holder \(perl -MFcntl=:flock .*\) holds /run/lab/.lock" \
  "$LAB" up "$tmp/one-node.yaml" --name t-hz-b
note "refused after $(( ($(date +%s%N) - start) / 1000000 )) ms"
kill "$holder"; wait "$holder" 2>/dev/null || true; holder=
[ "$(machine_state)" = "$during" ] || fail "a refused lab up changed the machine"

note "lab up from a wrapper holding a flock and an extra fd: the daemon inherits neither"
C=t-hz-c
TEST_LABS+=("$C")
(
  exec 8>"$tmp/extra"
  flock "$tmp/wrapper.lock" "$LAB" up "$tmp/one-node.yaml" --name $C >/dev/null
)
flock -n "$tmp/wrapper.lock" true || fail "the wrapper's flock is still held after the wrapper exited"
# fds_of PID: "FD -> TARGET" for every open fd.
fds_of() { for f in /proc/$1/fd/*; do echo "${f##*/} -> $(readlink "$f")"; done | sort -n; }
check_daemon_fds() {
  local pid=$1 fds
  fds=$(fds_of "$pid")
  echo "$fds"
  ! echo "$fds" | grep -q "$tmp" || fail "daemon $pid holds a file of its caller"
  ! echo "$fds" | grep -q "/run/lab/.lock" || fail "daemon $pid holds the registry lock's fd"
  ! echo "$fds" | grep -Eq -- "-> pipe:" || fail "daemon $pid holds a pipe (its ready pipe, or a caller's)"
  echo "$fds" | grep -Eq '^0 -> /dev/null$' || fail "daemon $pid: stdin is not /dev/null"
  echo "$fds" | grep -Eq '^1 -> /run/lab/.*/daemon.log$' && echo "$fds" | grep -Eq '^2 -> /run/lab/.*/daemon.log$' ||
    fail "daemon $pid: stdout and stderr are not its log"
  # Everything else it opened itself, close-on-exec: no process it starts inherits any of it.
  local fd flags
  for fd in $(ls /proc/$pid/fd); do
    [ "$fd" -gt 2 ] || continue
    flags=$(awk '/^flags:/ {print $2}' /proc/$pid/fdinfo/$fd 2>/dev/null) || continue
    [ -n "$flags" ] || continue
    (( (8#$flags & 8#2000000) != 0 )) || fail "daemon $pid: fd $fd ($(readlink /proc/$pid/fd/$fd)) is not close-on-exec"
  done
}
check_daemon_fds "$(daemon_of $C)"
"$LAB" down --lab $C >/dev/null

note "a crashed daemon is restarted by the next command, which then holds no lock"
pid=$(daemon_of $A)
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
(
  exec 8>"$tmp/extra2"
  flock "$tmp/wrapper2.lock" "$LAB" get pods --lab $A --request-timeout=60s >/dev/null
)
flock -n "$tmp/wrapper2.lock" true || fail "the wrapper's flock is held by the restarted daemon"
flock -n -w 0 /run/lab/.lock true || fail "the registry lock is still held after the restart: $(grep FLOCK /proc/locks)"
new=$(daemon_of $A)
[ "$new" != "$pid" ] || fail "the daemon was not restarted"
check_daemon_fds "$new"
"$LAB" get pods --lab $A >/dev/null

"$LAB" down --lab $A >/dev/null
expect_state "$before"
echo "PASS"
