# `lab exec` and containers keep the host's files and root out of a pod (issue 9, items 2 and 8):
# a descriptor the caller holds never reaches the pod (the runc CVE-2024-21626 pattern), no
# descriptor a pod can see is a file of the host, the pod's device nodes are its own, and with
# the lab run from a chroot, exec and containers stay inside the container's root.
source "$(dirname "$0")/lib.sh"

SCENARIO='apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: exec-isolation}
spec:
  nodes: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: iso
spec:
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: 80
  - name: side
    image: busybox
    command: ["sh", "-c", "echo side-started; exec sleep 3600"]
    volumeMounts:
    - {name: host-usr, mountPath: /host/usr, readOnly: true}
  volumes:
  - name: host-usr
    hostPath: {path: /usr, type: Directory}'

# The escape attempts below need system calls busybox has no applet for, and the busybox image has
# nothing else (image_root.h): the host's perl, from the read-only hostPath of /usr, started by
# its loader with its libraries from there. It runs as any exec'd command does (the container's
# root, capabilities, seccomp filter).
PERL="/host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path /host/usr/lib/x86_64-linux-gnu /host/usr/bin/perl"

# Prints "FD -> PATH" for every descriptor of every process in the pod whose target is a path
# that is not the same file at that path in the process's own root: a file of the host.
# Links the container may not read (the pod init's, see below) are skipped; they are checked
# on their own.
SCAN='for f in /proc/[0-9]*/fd/*; do
  t=$(readlink "$f" 2>/dev/null) || continue
  case "$t" in /*) ;; *) continue ;; esac
  a=$(stat -L -c %d:%i "$f" 2>/dev/null) || continue
  pid=${f#/proc/}; pid=${pid%%/*}
  b=$(stat -c %d:%i "/proc/$pid/root$t" 2>/dev/null)
  [ "$a" = "$b" ] || echo "$f -> $t"
done; :'

# ---- The lab run from a chroot: a private mount namespace, a tmpfs root (as schroot and
# systemd-nspawn arrange) or a plain directory (as debootstrap leaves it) holding binds
# of /usr, /etc, /dev, /sys, /run and a fresh /proc, and a copy of the lab binaries. Runs as
# `unshare -m` of this script; "shared" makes that namespace's / shared first, as systemd
# leaves the host's, so that a mount or unmount leaking out of a pod would show in it.
if [ "${1:-}" = --in-chroot ]; then
  R=$2
  LC=t-exec-iso-chroot
  if [ "${3:-}" = shared ]; then mount --make-rshared /; fi
  mounts() { findmnt -rn -o TARGET,PROPAGATION | grep -v "^$R" | sort; }
  mounts_before=$(mounts)
  # "plain": the root is a plain directory, as a debootstrap chroot is, not a mount.
  if [ "${3:-}" != plain ]; then mount -t tmpfs -o mode=755 lab-chroot "$R"; fi
  for d in usr etc; do mkdir "$R/$d"; mount --rbind "/$d" "$R/$d"; done
  for l in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$R/$l"
    elif [ -d "/$l" ]; then mkdir "$R/$l"; mount --rbind "/$l" "$R/$l"; fi
  done
  mkdir "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/var" "$R/root"
  chmod 1777 "$R/tmp"
  mount -t proc proc "$R/proc"
  for d in sys dev run; do mount --rbind "/$d" "$R/$d"; done
  cp "$LAB" "$R/lab"
  pod_init=$(dirname "$LAB")/lab-pod-init  # used when it is beside lab
  if [ -x "$pod_init" ]; then cp "$pod_init" "$R/lab-pod-init"; fi
  cp "$(dirname "$LAB")/lab-dns" "$R/lab-dns"  # the coredns pods' server, installed beside lab
  echo "$SCENARIO" >"$R/iso.yaml"
  touch "$R/only-in-the-chroot"
  C=(chroot "$R" /lab)
  trap '"${C[@]}" down --lab $LC >/dev/null 2>&1 || true' EXIT

  note "chroot: lab up from inside it"
  "${C[@]}" up /iso.yaml --name $LC
  host_name=$(chroot "$R" cat /etc/hostname)
  [ "$host_name" != iso ] || fail "the host's hostname is the pod's; the test cannot tell them apart"

  note "chroot: the hole's setting: joining a lab mount namespace alone lands at its top, the host's tree"
  # The lab's files as the chroot has them: where /run is not a tmpfs, lab up mounts one on the
  # chroot's /run/lab, which this side of the chroot sees at $R/run/lab only.
  init=$(cat "$R/run/lab/$LC/pods/default_iso/init.pid")
  top=$(nsenter -t "$init" -m ls / | tr '\n' ' ')
  echo "pod init's namespace top: $top"
  echo "$top" | grep -qw only-in-the-chroot && fail "the namespace top is the chroot; not the bug's setting"
  echo "$top" | grep -qw proc || fail "the namespace top is not the host's root"

  # The container's root as its own process has it, through /proc/PID/root.
  hp=$(cat "$R/run/lab/$LC/pods/default_iso/side.hostpid")
  root_list=$(ls "/proc/$hp/root/" | tr '\n' ' ')
  echo "container's /: $root_list"
  echo "$root_list" | grep -Eqw 'only-in-the-chroot|lab|iso.yaml' && fail "the container's / is the chroot"

  note "chroot: exec lands in the container's root (hostname, ls /)"
  got=$("${C[@]}" exec --lab $LC iso -c side -- cat /etc/hostname </dev/null)
  [ "$got" = iso ] || fail "exec printed hostname '$got' (the host's is '$host_name'), not the pod's"
  got=$("${C[@]}" exec --lab $LC iso -c side -- ls / </dev/null | tr '\n' ' ')
  [ "$got" = "$root_list" ] || fail "exec's / is not the container's: $got"

  note "chroot: the container's mount namespace holds only the container (nsenter -m without -r)"
  got=$(nsenter -t "$hp" -m ls / | tr '\n' ' ')
  [ "$got" = "$root_list" ] || fail "the container's mount namespace holds the host's tree: $got"

  note "chroot: chroot(2) and cd .. from inside a container stay in the container (CAP_SYS_CHROOT)"
  escape='mkdir "/tmp/x"; chroot "/tmp/x" or die "chroot: $!"; chdir ".." for 1..64;
          chroot "." or die "chroot .: $!"; opendir(my $d, "/") or die;
          print join(" ", sort grep { !/^\./ } readdir $d), " \n"'
  got=$("${C[@]}" exec --lab $LC iso -c side -- $PERL -e "$escape" </dev/null)
  echo "after the escape attempt: $got"
  [ "$got" = "$root_list" ] || fail "a container left its root: it sees '$got'"

  note "chroot: lab down; the namespace it ran from has the same mounts as before"
  "${C[@]}" down --lab $LC
  trap - EXIT
  diff <(echo "$mounts_before") <(mounts) >&2 || fail "the lab changed the mounts outside its chroot"
  # No umount -R of the chroot here: its binds of shared mounts would take the originals along.
  # The namespace, and all of it, ends with this process.
  exit 0
fi

before=$(machine_state)
L=t-exec-iso
WORK=$(mktemp -d /tmp/lab-exec-isolation.XXXXXX)
trap 'cleanup_labs; rm -rf "$WORK"' EXIT
echo "$SCENARIO" >"$WORK/iso.yaml"

note "lab up: a pod with nginx and a busybox side container"
lab_up $L "$WORK/iso.yaml"

note "the hole: a descriptor held by the caller opens /etc/shadow through /proc"
cat /proc/self/fd/9/shadow 9</etc >/dev/null || fail "cannot reproduce: fd 9 does not reach /etc/shadow"
set +e
out=$("$LAB" exec --lab $L iso -c side -- cat /proc/self/fd/9/shadow 9</etc 2>&1 </dev/null)
rc=$?
set -e
echo "exec cat /proc/self/fd/9/shadow: rc=$rc: $out"
[ $rc != 0 ] || fail "exec read /etc/shadow through the caller's fd 9"
echo "$out" | grep -q '^root:' && fail "exec printed /etc/shadow"

note "exec with extra descriptors open sees only 0, 1 and 2 (ls /proc/self/fd)"
# The nginx image's ls is busybox's (image_root.h), which cannot name its own handle on the
# directory it lists: the exec'd shell's descriptors, listed by a child, are exactly 0, 1, 2.
out=$("$LAB" exec --lab $L iso -- sh -c 'ls -l /proc/$$/fd; :' 7</run/lab 8>>"$WORK/held" 9</etc </dev/null)
echo "$out"
fds=$(echo "$out" | awk '/ -> / {print $(NF-2)}' | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "exec's process holds descriptors beyond 0, 1, 2: $fds"
out=$("$LAB" exec --lab $L iso -c side -- sh -c 'ls /proc/$$/fd; :' 7</run/lab 9</etc </dev/null)
[ "$(echo $out)" = "0 1 2" ] || fail "exec's shell holds descriptors beyond 0, 1, 2: $(echo $out)"

note "ls -l /proc/*/fd inside the pod shows no host path, while an exec holding fd 9 runs"
# stdin, stdout and stderr are pipes here, so that every descriptor in the pod should be
# the pod's own; the caller's fd 9 on /etc would show as a host path.
(: | "$LAB" exec --lab $L iso -c side -- sh -c 'echo $$ >/tmp/bg.pid; exec sleep 60' 9</etc 2>&1 | cat) &
bg=$!
retry "$LAB" exec --lab $L iso -c side -- test -s /tmp/bg.pid </dev/null \
  || fail "the background exec did not start"
listing=$(: | "$LAB" exec --lab $L iso -c side -- sh -c 'ls -l /proc/*/fd; :' 2>&1 | cat)
echo "$listing" | awk '/ -> / {print $NF}' | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c
echo "$listing" | grep -- '-> /etc' && fail "the caller's fd 9 on /etc is in the pod"
for c in side web; do
  found=$(: | "$LAB" exec --lab $L iso -c $c -- sh -c "$SCAN" 2>&1 | cat)
  [ -z "$found" ] || fail "container $c sees files of the host: $found"
done
"$LAB" exec --lab $L iso -c side -- sh -c 'kill $(cat /tmp/bg.pid)' </dev/null
wait $bg || true

note "the containers' stdout and stderr are pipes, relayed into the logs"
# busybox's readlink (the image's) takes one path: a shell reads both.
out=$("$LAB" exec --lab $L iso -c side -- sh -c 'readlink /proc/2/fd/1; readlink /proc/3/fd/1' </dev/null)
echo "$out"
[ "$(echo "$out" | grep -c '^pipe:')" = 2 ] || fail "a container's stdout is not a pipe: $out"
retry sh -c "'$LAB' logs --lab $L iso -c side | grep -qx side-started" \
  || fail "lab logs does not show the side container's output"
ip=$(pod_field $L iso .status.podIP)
retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$ip/" | grep -q "Welcome to nginx!" \
  || fail "nginx does not answer"
retry sh -c "'$LAB' logs --lab $L iso -c web | grep -q 'GET / HTTP'" \
  || fail "nginx's access log (its stdout) did not reach lab logs"

note "the pod init's descriptors (the logs, on the host) are out of the containers' reach"
# It keeps all capabilities; a container's are fewer, so the kernel's ptrace check refuses it
# /proc/1/fd, root, cwd and environ.
for path in /proc/1/fd/0 /proc/1/root /proc/1/cwd; do
  if "$LAB" exec --lab $L iso -c side -- readlink "$path" </dev/null 2>/dev/null; then
    fail "a container can read $path"
  fi
done
"$LAB" exec --lab $L iso -c side -- ls /proc/1/root/ </dev/null >/dev/null 2>&1 \
  && fail "a container can list the pod init's root"

note "device nodes are the pod's own: chmod in the pod leaves the host's untouched"
host_before=$(stat -c '%a %z' /dev/null /dev/full)
"$LAB" exec --lab $L iso -c side -- chmod 666 /dev/null /dev/full </dev/null
[ "$(stat -c '%a %z' /dev/null /dev/full)" = "$host_before" ] \
  || fail "chmod in the pod changed the host's /dev/null or /dev/full"

note "a pod cannot type into the caller's terminal (TIOCSTI), and Ctrl-C still reaches the command"
# script(1) gives exec a terminal, as an interactive user's. The command has no controlling
# terminal (a session of its own), so TIOCSTI is refused without CAP_SYS_ADMIN.
# script runs its command with $SHELL -c, else /bin/sh. The shell shares the terminal's
# foreground group with lab, so Ctrl-C reaches it too: dash (Debian's sh) dies of it before it
# can print rc=, where bash waits for its child and goes on when the child did not die of it,
# as an interactive shell (which runs lab in a foreground group of its own) does.
export SHELL=/bin/bash
sti='my $c = "x"; print ioctl(STDIN, 0x5412, $c) ? "typed\n" : "refused: $!\n"'
out=$(script -qc "'$LAB' exec --lab $L iso -c side -- $PERL -e '$sti'" /dev/null </dev/null)
echo "$out"
echo "$out" | grep -q 'refused: Operation not permitted' || fail "TIOCSTI was not refused: $out"
out=$( (for _ in $(seq 1 100); do
          "$LAB" exec --lab $L iso -c side -- sh -c 'ps -o args | grep -q "^sleep 29"' </dev/null && break
          sleep 0.1
        done
        printf '\003') | script -qc "'$LAB' exec --lab $L iso -c side -- sleep 29; echo rc=\$?" /dev/null)
echo "$out"
echo "$out" | grep -q 'rc=130' || fail "Ctrl-C did not end the command with SIGINT: $out"

note "lab down"
"$LAB" down --lab $L
expect_state "$before"

for propagation in private shared plain; do
  note "the same lab run from a chroot, in a mount namespace with / $propagation"
  mkdir "$WORK/root"
  unshare -m --propagation private bash "$0" --in-chroot "$WORK/root" $propagation
  # The chroot's mounts died with that namespace; a plain root keeps the files made in it.
  rm -rf --one-file-system "$WORK/root"
done
expect_state "$before"
echo "PASS"
