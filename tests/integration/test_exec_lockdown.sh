# `lab exec` and exec probes run as the container runs (runc exec): the container's uid, gid and
# groups, its capability sets, no_new_privs and seccomp filter (none when Unconfined), and its
# cgroup, so that an exec'd memory hog meets the container's memory limit; `exec -it` works for
# a non-root container user; an exec readiness probe runs as the container's user; and an exec
# whose container settings cannot be found fails rather than running with more privilege.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-execlock
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
ex() { lab exec "$1" -- sh -c "$2" </dev/null; }
# The pid (in the pod) of the container's own process, `sleep`, found by its name.
main_pid() {
  ex "$1" 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = sleep ] && echo ${p#/proc/}; done; true' | head -1
}
# The lines of a /proc/PID/status that say how a process is confined.
confinement() { grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' <<<"$1"; }

cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: execlock}
spec:
  nodes: 1
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe:
      exec: {command: ["sh", "-c", "test $(id -u) = 1000 && test $(id -g) = 3000"]}
      periodSeconds: 1
      timeoutSeconds: 5
    # Run as root, it would fail every second and restart the container within 3 s.
    livenessProbe:
      exec: {command: ["sh", "-c", "test $(id -u) = 1000"]}
      periodSeconds: 1
      timeoutSeconds: 5
      failureThreshold: 3
---
apiVersion: v1
kind: Pod
metadata: {name: capped}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: unconfined}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      seccompProfile: {type: Unconfined}
---
apiVersion: v1
kind: Pod
metadata: {name: small}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    resources: {limits: {memory: 32Mi}}
YAML

lab_up $L "$tmp/lab.yaml" >/dev/null

note "runAsUser / runAsGroup / supplementalGroups + fsGroup: exec runs as the container's user"
ids=$(ex user 'echo uid=$(id -u) gid=$(id -g) groups=$(id -G)')
echo "  exec: $ids"
[[ "$ids" == "uid=1000 gid=3000 groups="* ]] || fail "exec in the uid-1000 pod runs as: $ids"
groups=$(tr ' ' '\n' <<<"${ids#*groups=}" | sort -n | tr '\n' ' ')
[ "$groups" = "2000 3000 4000 " ] || fail "exec's groups: $groups (runAsGroup, supplementalGroups, fsGroup)"
id_out=$(lab exec user -- id </dev/null)
echo "  id: $id_out"
grep -q '^uid=1000 gid=3000' <<<"$id_out" || fail "lab exec user -- id: $id_out"
# Root's files are not the user's: /etc/hostname is root's, mode 0644.
if out=$(ex user 'echo x >>/etc/hostname' 2>&1); then fail "uid 1000 wrote root's /etc/hostname"; fi
echo "  uid 1000: writing root's file refused: $out"

note "capabilities, no_new_privs, seccomp: exec's sets are the container process's own"
for pod in user capped plain unconfined; do
  main=$(main_pid $pod)
  [ -n "$main" ] || fail "no sleep process in pod $pod"
  both=$(ex $pod "cat /proc/self/status; echo ====; cat /proc/$main/status")
  mine=$(confinement "${both%%====*}")
  theirs=$(confinement "${both#*====}")
  echo "  $pod: $(tr '\n\t' '  ' <<<"$mine")"
  [ "$mine" = "$theirs" ] || fail "exec in $pod is confined otherwise than the container:
$(diff <(echo "$theirs") <(echo "$mine"))"
  # And as the host sees the container's process.
  hostpid=$(cat /run/lab/$L/pods/default_$pod/main.hostpid)
  [ "$(confinement "$(cat /proc/$hostpid/status)")" = "$theirs" ] || fail "$pod: pid $main is not the container's process"
done
capped=$(confinement "$(ex capped 'cat /proc/self/status')")
grep -qP '^CapEff:\t0000000000000400$' <<<"$capped" || fail "capped: exec's CapEff is not NET_BIND_SERVICE alone"
grep -qP '^CapBnd:\t0000000000000400$' <<<"$capped" || fail "capped: exec's CapBnd is not NET_BIND_SERVICE alone"
grep -qP '^Seccomp:\t2$' <<<"$capped" || fail "capped: exec is not under seccomp"
user=$(confinement "$(ex user 'cat /proc/self/status')")
grep -qP '^CapEff:\t0000000000000000$' <<<"$user" || fail "uid 1000: exec kept effective capabilities"
grep -qP '^Seccomp:\t2$' <<<"$(ex plain 'cat /proc/self/status')" || fail "plain: exec is not under seccomp"
grep -qP '^Seccomp:\t0$' <<<"$(ex unconfined 'cat /proc/self/status')" || fail "Unconfined: exec has a filter"
grep -qP '^NoNewPrivs:\t1$' <<<"$(ex unconfined 'cat /proc/self/status')" || fail "Unconfined: exec may gain privileges"
# What the capabilities mean: chown needs CAP_CHOWN, which capped drops.
ex plain 'touch /tmp/f && chown 1:1 /tmp/f' || fail "plain: root with Docker's set cannot chown"
if out=$(ex capped 'touch /tmp/f && chown 1:1 /tmp/f' 2>&1); then fail "capped: chown worked without CAP_CHOWN"; fi
echo "  capped: chown refused: $out"

note "cgroup: exec joins the container's"
for pod in small plain; do
  main=$(main_pid $pod)
  both=$(ex $pod "cat /proc/self/cgroup; echo ====; cat /proc/$main/cgroup")
  mine=$(grep "lab-$L/" <<<"${both%%====*}" | sort || true)
  theirs=$(grep "lab-$L/" <<<"${both#*====}" | sort || true)
  echo "$mine" | sed 's/^/  /'
  [ -n "$theirs" ] || fail "$pod's container is in no cgroup of the lab"
  [ "$mine" = "$theirs" ] || fail "exec in $pod is in other cgroups than the container:
$(diff <(echo "$theirs") <(echo "$mine"))"
  grep -q "/ctr-main$" <<<"$mine" || fail "exec in $pod is not in the container's cgroup: $mine"
done

note "an exec'd memory hog is killed by the container's 32Mi limit"
uid=$(lab get pods small -o jsonpath='{.metadata.uid}')
oom_file=/sys/fs/cgroup/memory/lab-$L/pod-$uid/ctr-main/memory.oom_control
[ -f "$oom_file" ] || oom_file=/sys/fs/cgroup/lab-$L/pod-$uid/ctr-main/memory.events
kills() { awk '$1 == "oom_kill" {print $2}' "$oom_file"; }
k0=$(kills)
# At most 8 * 2^24 bytes (128 MiB): bounded even if no limit held it.
set +e
out=$(ex small 'x=aaaaaaaa; i=0; while [ $i -lt 24 ]; do x=$x$x; i=$((i+1)); done; echo survived ${#x}' 2>&1)
rc=$?
set -e
echo "  rc=$rc $out"
[ $rc = 137 ] || fail "the exec'd hog was not killed (rc=$rc): $out"
grep -q survived <<<"$out" && fail "the exec'd hog outgrew the container's limit"
[ "$(kills)" -gt "$k0" ] || fail "the container's cgroup counted no OOM kill ($k0 -> $(kills))"
[ "$(ex small 'echo alive')" = alive ] || fail "the small pod does not answer after the hog"

note "exec -it as uid 1000: the container's pty, usable by the user"
export SHELL=/bin/bash  # script(1) runs its command with $SHELL; CI has none
out=$(script -qc "'$LAB' exec --lab $L -it user -- sh -c 'echo uid=\$(id -u); t=\$(tty); echo tty=\$t; ls -ln \$t; echo reopened >\$t'" /dev/null </dev/null | tr -d '\r')
echo "$out" | sed 's/^/  /'
grep -q 'uid=1000$' <<<"$out" || fail "exec -it does not run as uid 1000: $out"
grep -q '^tty=/dev/pts/[0-9]' <<<"$out" || fail "exec -it has no terminal: $out"
grep -qE '^c[rw-]+ +[0-9]+ +1000 ' <<<"$out" || fail "the terminal is not the user's: $out"
grep -qx reopened <<<"$out" || fail "the user cannot reopen its terminal: $out"
out=$( (sleep 1; printf 'echo me=$(id -u)\n'; sleep 1; printf 'exit\n') | script -qc "'$LAB' exec --lab $L -it user -- sh" /dev/null | tr -d '\r')
grep -q '^me=1000' <<<"$out" || fail "an interactive shell through exec -it: $out"

note "exec probes run as the container's user: readiness and liveness hold"
wait_for 30 bash -c "[ \"\$('$LAB' get pods --lab $L user -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" \
  || fail "the uid-1000 probe never made the pod Ready: $(lab describe pod user | tail -15)"
sleep 5
[ "$(lab get pods user -o jsonpath='{.status.containerStatuses[0].restartCount}')" = 0 ] \
  || fail "the liveness probe (uid 1000) failed: $(lab describe pod user | tail -15)"
lab describe pod user | grep -q 'probe failed' && fail "a probe of the uid-1000 pod failed: $(lab describe pod user | tail -15)"
lab get pods user

note "without the container's settings there is no exec"
spec=/run/lab/$L/pods/default_plain/spec.json
mv "$spec" "$spec.aside"
set +e
out=$(lab exec plain -- id </dev/null 2>&1)
rc=$?
set -e
mv "$spec.aside" "$spec"
echo "  rc=$rc $out"
[ $rc != 0 ] || fail "exec ran without the container's settings: $out"
grep -q "uid=" <<<"$out" && fail "exec ran a command without the container's settings"
grep -q "the container's settings" <<<"$out" || fail "the error does not say what is missing: $out"
[ "$(lab exec plain -- id -u </dev/null)" = 0 ] || fail "exec does not work again with the spec back"

note "lab down"
lab down >/dev/null
expect_state "$before"
echo "PASS: test_exec_lockdown"
