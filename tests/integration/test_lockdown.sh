# Containers locked down as Docker's are (issue 11): Docker's default seccomp profile and
# capability set, securityContext (runAsUser, runAsNonRoot, capabilities, readOnlyRootFilesystem,
# seccompProfile, privileged refused), and cgroup limits from resources: a pod over its memory
# limit is OOMKilled and restarted, a CPU limit holds a busy loop near it, `lab top` reads the
# cgroups, and nothing of them is left after `lab down`.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-lockdown
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
in_pod() { lab exec "$1" -- sh -c "$2"; }
# A command inside the pod that must fail (with the pattern want in its output, when given: a
# refusal, not a missing command); its output is shown.
must_fail() {
  local pod=$1 what=$2 cmd=$3 want=${4:-} out
  if out=$(in_pod "$pod" "$cmd" 2>&1); then fail "$what succeeded in $pod: $out"; fi
  [ -z "$want" ] || grep -q "$want" <<<"$out" || fail "$what failed for another reason than \"$want\": $out"
  echo "  refused, as it should be: $what: $(tail -1 <<<"$out")"
}

cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: lockdown}
spec:
  nodes: 1
---
apiVersion: v1
kind: Pod
metadata: {name: locked}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exec sleep 3600"]
    volumeMounts:
    - {name: host-usr, mountPath: /host/usr, readOnly: true}
  volumes:
  - name: host-usr
    hostPath: {path: /usr, type: Directory}
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo uid=$(id -u) gid=$(id -g) groups=$(id -G); grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; exec sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: tuned}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exec sleep 3600"]
    securityContext:
      readOnlyRootFilesystem: true
      capabilities: {add: [NET_ADMIN], drop: [KILL]}
      seccompProfile: {type: Unconfined}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: nginx
    image: nginx
    ports: [{containerPort: 80}]
    resources:
      limits: {memory: 64Mi, cpu: 500m}
YAML

lab_up $L "$tmp/lab.yaml" >/dev/null

note "Docker's capability set and seccomp filter, for the container and for exec"
status=$(in_pod locked 'cat /proc/self/status')
grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' <<<"$status"
grep -qP '^CapEff:\t00000000a80425fb$' <<<"$status" || fail "exec's CapEff is not Docker's set"
grep -qP '^CapBnd:\t00000000a80425fb$' <<<"$status" || fail "exec's CapBnd is not Docker's set"
grep -qP '^Seccomp:\t2$' <<<"$status" || fail "exec is not under a seccomp filter"
main=$(in_pod locked 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && echo ${p#/proc/}; done; true' | head -1)
[ -n "$main" ] || fail "no sleep process in the pod"
main_status=$(in_pod locked "cat /proc/$main/status")
grep -qP '^CapEff:\t00000000a80425fb$' <<<"$main_status" || fail "the container's CapEff is not Docker's set"
grep -qP '^Seccomp:\t2$' <<<"$main_status" || fail "the container is not under a seccomp filter"
grep -qP '^NoNewPrivs:\t1$' <<<"$main_status" || fail "the container may gain privileges"

note "what reaches past the container is refused"
must_fail locked "mount" 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m'
must_fail locked "unshare -U" 'unshare -U true'
must_fail locked "unshare -m" 'unshare -m true'
must_fail locked "unshare -n" 'unshare -n true'
out=$(in_pod locked 'echo junk >/tmp/m.ko; insmod /tmp/m.ko' 2>&1) && fail "insmod succeeded"
grep -q "not permitted" <<<"$out" || fail "insmod failed for another reason than a refusal: $out"
echo "  refused, as it should be: insmod: $out"
[ "$(in_pod locked 'head -c 64 /proc/kcore 2>/dev/null | wc -c')" = 0 ] || fail "/proc/kcore gave kernel memory"
must_fail locked "write /proc/sys/kernel/hostname" 'echo evil >/proc/sys/kernel/hostname'
must_fail locked "write /proc/sys/vm/drop_caches" 'echo 1 >/proc/sys/vm/drop_caches'
must_fail locked "write /proc/sysrq-trigger" 'echo h >/proc/sysrq-trigger'
must_fail locked "write /sys" 'echo x >/sys/kernel/uevent_helper'
must_fail locked "read the pod init's memory (ptrace access)" 'head -c 1 /proc/1/mem >/dev/null'
must_fail locked "the pod init's root (ptrace access)" 'ls /proc/1/root/'
must_fail locked "a block device made with mknod" 'mknod /tmp/loop b 7 0 && head -c 1 /tmp/loop >/dev/null'
must_fail locked "sethostname" 'hostname evil'
must_fail locked "the lab's API socket" "ls /run/lab/$L || ls /proc/1/root/run/lab/$L"
must_fail locked "change the pod's network: a link down" 'ip link set eth0 down' "not permitted"
must_fail locked "change the pod's network: an address" 'ip addr add 10.9.9.9/32 dev eth0' "not permitted"
must_fail locked "change the pod's network: a route" 'ip route add 10.9.0.0/16 dev eth0' "not permitted"
# Not even seen: the pod's pid namespace has no such process.
must_fail locked "signal the lab's daemon, a host process" "kill -0 $(cat /run/lab/$L/daemon.pid)" "No such process"
host_seen=$(in_pod locked 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <"$f"; echo; done' | grep -E '__daemon|systemd|sshd' || true)
[ -z "$host_seen" ] || fail "host processes are visible in the pod: $host_seen"
if [ -x /usr/bin/python3 ]; then
  # The calls busybox has no applet for, by number (x86_64): keyctl, add_key,
  # init_module, setns, clone3 (ENOSYS).
  # The busybox image has no python3 (image_root.h): the host's, from the read-only hostPath of
  # /usr, started by its loader; it runs as any exec'd command does (seccomp, capabilities).
  calls=$(in_pod locked "PYTHONHOME=/host/usr /host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
    --library-path /host/usr/lib/x86_64-linux-gnu /host/usr/bin/python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def call(name, nr, *args):
    rc = libc.syscall(nr, *args)
    print(name, rc, os.strerror(ctypes.get_errno()) if rc < 0 else \"ok\")
call(\"keyctl\", 250, 0, 0, 0, 0, 0)
call(\"add_key\", 248, b\"user\", b\"k\", b\"v\", 1, -2)
call(\"init_module\", 175, 0, 0, b\"\")
call(\"setns\", 308, 0, 0)
call(\"clone3\", 435, 0, 0)
'" 2>&1) || fail "python3 in the pod: $calls"
  echo "$calls"
  grep -q '^keyctl -1 Operation not permitted$' <<<"$calls" || fail "keyctl was not refused"
  grep -q '^add_key -1 Operation not permitted$' <<<"$calls" || fail "add_key was not refused"
  grep -q '^init_module -1 Operation not permitted$' <<<"$calls" || fail "init_module was not refused"
  grep -q '^setns -1 Operation not permitted$' <<<"$calls" || fail "setns was not refused"
  grep -q '^clone3 -1 Function not implemented$' <<<"$calls" || fail "clone3 did not answer ENOSYS"
fi
note "ordinary work still works: fork, exec, files, sockets"
[ "$(in_pod locked 'echo hi >/tmp/f && cat /tmp/f && ls / >/dev/null && wget -q -O - http://127.0.0.1:1/ 2>&1 | head -1 >/dev/null; echo done')" = "hi
done" ] || fail "ordinary commands failed in the pod"

note "runAsUser / runAsGroup / supplementalGroups + fsGroup"
wait_for 10 bash -c "'$LAB' logs --lab $L user | grep -q uid=" || fail "no output from the user pod"
lab logs user
ids=$(lab logs user | grep '^uid=')
[[ "$ids" == "uid=1000 gid=3000 groups="* ]] || fail "the user pod runs with other ids: $ids"
groups=$(tr ' ' '\n' <<<"${ids#*groups=}" | sort -n | tr '\n' ' ')
[ "$groups" = "2000 3000 4000 " ] || fail "the user pod's groups: $groups (runAsGroup, supplementalGroups, fsGroup)"
lab logs user | grep -qP '^CapEff:\t0000000000000000$' || fail "a non-root container kept effective capabilities"
lab logs user | grep -qP '^CapBnd:\t00000000a80425fb$' || fail "the bounding set is not Docker's"
lab logs user | grep -qP '^Seccomp:\t2$' || fail "the user pod is not under seccomp"

note "readOnlyRootFilesystem, capabilities add/drop, seccompProfile Unconfined"
tmain=$(in_pod tuned 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && echo ${p#/proc/}; done; true' | head -1)
tstatus=$(in_pod tuned "cat /proc/$tmain/status")
grep -E '^(CapEff|Seccomp):' <<<"$tstatus"
grep -qP '^CapEff:\t00000000a80435db$' <<<"$tstatus" || fail "NET_ADMIN added and KILL dropped: CapEff differs"
grep -qP '^Seccomp:\t0$' <<<"$tstatus" || fail "seccompProfile Unconfined still has a filter"
must_fail tuned "write /tmp on a read-only root" 'touch /tmp/x'
must_fail tuned "write /var on a read-only root" 'touch /var/x'
in_pod tuned 'touch /dev/shm/x' || fail "/dev/shm must stay writable"

note "runAsNonRoot with a root image: CreateContainerConfigError, Pending"
cat >"$tmp/nonroot.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: main, image: busybox, command: ["sleep", "3600"]}
YAML
lab apply -f "$tmp/nonroot.yaml" >/dev/null
wait_for 10 bash -c "'$LAB' get pods --lab $L nonroot --no-headers | grep -q CreateContainerConfigError" \
  || fail "nonroot: $(lab get pods nonroot)"
lab get pods nonroot
[ "$(lab get pods nonroot -o jsonpath='{.status.phase}')" = Pending ] || fail "nonroot is not Pending"
msg=$(lab get pods nonroot -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')
[[ "$msg" == "container has runAsNonRoot and image will run as root (pod: \"nonroot_default("*")\", container: main)" ]] \
  || fail "nonroot message: $msg"
lab delete pod nonroot >/dev/null

note "privileged and Localhost seccomp are refused by the API"
cat >"$tmp/priv.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  containers:
  - {name: main, image: busybox, securityContext: {privileged: true}}
YAML
out=$(lab apply -f "$tmp/priv.yaml" 2>&1) && fail "a privileged pod was accepted"
echo "$out"
grep -q 'spec.containers\[0\].securityContext.privileged: Forbidden: disallowed by cluster policy' <<<"$out" \
  || fail "privileged: $out"
lab get pods priv >/dev/null 2>&1 && fail "the refused pod exists"

note "cgroups: one per pod (pids limit) and per container (limits) before anything runs"
uid=$(lab get pods web -o jsonpath='{.metadata.uid}')
if [ -d /sys/fs/cgroup/memory ]; then
  MEM=/sys/fs/cgroup/memory/lab-$L/pod-$uid; PIDS=/sys/fs/cgroup/pids/lab-$L/pod-$uid
  CPU=$(ls -d /sys/fs/cgroup/cpu/lab-$L/pod-$uid /sys/fs/cgroup/cpu,cpuacct/lab-$L/pod-$uid 2>/dev/null | head -1 || true)
  [ "$(cat $MEM/ctr-nginx/memory.limit_in_bytes)" = 67108864 ] || fail "web's memory limit"
  [ "$(cat $CPU/ctr-nginx/cpu.cfs_quota_us)" = 50000 ] || fail "web's CPU quota"
  [ "$(cat $CPU/ctr-nginx/cpu.shares)" = 512 ] || fail "web's CPU shares"
  [ "$(cat $PIDS/pids.max)" = 4096 ] || fail "web's pids limit"
  grep -qx "$(cat /run/lab/$L/pods/default_web/nginx.hostpid)" $MEM/ctr-nginx/cgroup.procs \
    || fail "nginx's master is not in its cgroup"
  daemon=$(pgrep -f "lab __daemon --lab=$L" | head -1)
  grep -q "lab-$L" /proc/$daemon/cgroup && fail "the daemon joined a pod's cgroup"
else
  MEM=/sys/fs/cgroup/lab-$L/pod-$uid
  [ "$(cat $MEM/ctr-nginx/memory.max)" = 67108864 ] || fail "web's memory limit (v2)"
fi
wget_out=$(lab exec locked -- wget -q -O - "http://$(lab get pods web -o jsonpath='{.status.podIP}')/")
grep -qi "welcome to nginx" <<<"$wget_out" || fail "nginx under its limits does not serve: $wget_out"

note "a memory hog over 32Mi is OOMKilled and restarted"
cat >"$tmp/hog.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  containers:
  - name: hog
    image: busybox
    command: ["sh", "-c", "x=a; while true; do x=$x$x; done"]
    resources: {limits: {memory: 32Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: hog-once}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: busybox
    command: ["sh", "-c", "x=a; while true; do x=$x$x; done"]
    resources: {limits: {memory: 32Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: spin}
spec:
  containers:
  - name: spin
    image: busybox
    command: ["sh", "-c", "while :; do :; done"]
    resources: {limits: {cpu: 100m}}
YAML
lab apply -f "$tmp/hog.yaml" >/dev/null
wait_for 30 bash -c "[ \"\$('$LAB' get pods --lab $L hog -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason}')\" = OOMKilled ]" \
  || fail "hog: $(lab get pods hog -o json | head -60)"
lab get pods
[ "$(lab get pods hog -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ] || fail "hog did not restart"
[ "$(lab get pods hog -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')" = 137 ] \
  || fail "an OOM kill is exit code 137"
[ "$(lab get pods hog --no-headers | awk '{print $4}')" -ge 1 ] || fail "RESTARTS does not count the OOM kills"
desc=$(lab describe pod hog)
grep -A3 'Last State:' <<<"$desc"
grep -A1 'Last State:' <<<"$desc" | grep -q 'Terminated' || fail "describe: Last State is not Terminated"
grep -A2 'Last State:' <<<"$desc" | grep -qE 'Reason: +OOMKilled' || fail "describe: Last State reason is not OOMKilled"
wait_for 30 bash -c "'$LAB' get pods --lab $L hog-once --no-headers | awk '{print \$3}' | grep -qx OOMKilled" \
  || fail "hog-once: STATUS is not OOMKilled: $(lab get pods hog-once)"
[ "$(lab get pods hog-once -o jsonpath='{.status.containerStatuses[0].state.terminated.reason}')" = OOMKilled ] \
  || fail "hog-once: state.terminated.reason"

note "a pod init logs what it cannot report: a state file it could not write, in init.log"
cat >"$tmp/quitter.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: quitter}
spec:
  restartPolicy: Never
  containers: [{name: q, image: busybox, command: ["sh", "-c", "sleep 3; exit 3"]}]
YAML
lab apply -f "$tmp/quitter.yaml" >/dev/null
qdir=/run/lab/$L/pods/default_quitter
wait_for 20 test -e "$qdir/q.hostpid" || fail "quitter did not start"
[ -f "$qdir/init.log" ] && [ ! -s "$qdir/init.log" ] || fail "a running pod's init.log is missing or not empty"
[ ! -s "/run/lab/$L/pods/default_hog/init.log" ] || fail "hog's init.log: $(cat "/run/lab/$L/pods/default_hog/init.log")"
mkdir "$qdir/q.last-exit"  # the exit code's file cannot be replaced by a directory's rename
wait_for 20 grep -q 'q.last-exit.tmp: Is a directory' "$qdir/init.log" \
  || fail "the failed write is not in init.log: $(cat "$qdir/init.log")"
cat "$qdir/init.log"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z rename ' "$qdir/init.log" || fail "init.log lines are not timed"
lab delete pod quitter >/dev/null

note "cpu: 100m holds a busy loop near 10% of a core"
spin_uid=$(lab get pods spin -o jsonpath='{.metadata.uid}')
if [ -d /sys/fs/cgroup/cpuacct ]; then
  acct=$(ls -d /sys/fs/cgroup/cpuacct/lab-$L/pod-$spin_uid/ctr-spin /sys/fs/cgroup/cpu,cpuacct/lab-$L/pod-$spin_uid/ctr-spin 2>/dev/null | head -1 || true)
  usage() { cat "$acct/cpuacct.usage"; }
else
  acct=/sys/fs/cgroup/lab-$L/pod-$spin_uid/ctr-spin
  usage() { echo $(( $(awk '$1 == "usage_usec" {print $2}' "$acct/cpu.stat") * 1000 )); }
fi
wait_for 10 test -n "$(cat "$acct/cgroup.procs" 2>/dev/null)" || fail "spin's cgroup has no process"
sleep 1
u0=$(usage); t0=$(date +%s%N); sleep 4; u1=$(usage); t1=$(date +%s%N)
pct=$(( (u1 - u0) * 100 / (t1 - t0) ))
echo "  spin used ${pct}% of a core over 4 s"
[ "$pct" -ge 5 ] && [ "$pct" -le 20 ] || fail "a 100m limit let the busy loop use ${pct}% of a core"

note "lab top pods / nodes"
top=$(lab top pods)
echo "$top"
head -1 <<<"$top" | grep -qE '^NAME +CPU\(cores\) +MEMORY\(bytes\)$' || fail "lab top pods header"
for p in locked user tuned web spin hog; do
  grep -qE "^$p +[0-9]+m +[0-9]+Mi$" <<<"$top" || fail "lab top pods has no row for $p"
done
spin_cpu=$(awk '$1 == "spin" {sub("m", "", $2); print $2}' <<<"$top")
[ "$spin_cpu" -ge 30 ] && [ "$spin_cpu" -le 200 ] || fail "lab top: spin at ${spin_cpu}m, not near 100m"
nodes=$(lab top nodes)
echo "$nodes"
head -1 <<<"$nodes" | grep -qE '^NAME +CPU\(cores\) +CPU% +MEMORY\(bytes\) +MEMORY%$' || fail "lab top nodes header"
[ "$(tail -n +2 <<<"$nodes" | wc -l)" = 1 ] || fail "lab top nodes: one row per node"

note "a deleted pod's cgroup goes with it"
hog_uid=$(lab get pods hog -o jsonpath='{.metadata.uid}')
[ -n "$(ls -d /sys/fs/cgroup/*/lab-$L/pod-$hog_uid 2>/dev/null || true)" ] || fail "hog has no cgroup"
lab delete pod hog >/dev/null
wait_for 30 bash -c "! '$LAB' get pods --lab $L hog >/dev/null 2>&1" || fail "hog was not deleted"
wait_for 10 bash -c "[ -z \"\$(ls -d /sys/fs/cgroup/*/lab-$L/pod-$hog_uid 2>/dev/null)\" ]" \
  || fail "the deleted pod's cgroups are still there: $(ls -d /sys/fs/cgroup/*/lab-$L/pod-$hog_uid)"

note "lab down: no cgroup left"
lab down >/dev/null
expect_state "$before"
ls -d /sys/fs/cgroup/*/lab-$L /sys/fs/cgroup/*/*/lab-$L 2>/dev/null && fail "cgroups of the lab are left"
echo "PASS: test_lockdown"
