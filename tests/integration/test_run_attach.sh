# `lab run`, `lab attach` and `lab exec -it` (issue 10), driven through a real terminal (tmux):
# the prompt, the pty's window size and its changes, `exit`, --rm; `run -i` with pipes and the
# container's exit code; kubectl's errors; and nothing left behind.
source "$(dirname "$0")/lib.sh"

SCENARIO='apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: run-attach}
spec:
  nodes: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: box
spec:
  containers:
  - name: box
    image: busybox
    command: ["sh", "-c", "echo box-started; exec sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata:
  name: tty-pod
spec:
  containers:
  - name: shell
    image: busybox
    stdin: true
    tty: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-nginx
spec:
  selector:
    matchLabels: {run: my-nginx}
  replicas: 1
  template:
    metadata:
      labels: {run: my-nginx}
    spec:
      containers:
      - name: my-nginx
        image: nginx
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: my-nginx
  labels: {run: my-nginx}
spec:
  ports:
  - port: 80
    protocol: TCP
  selector: {run: my-nginx}'

before=$(machine_state)
L=t-run-attach
WORK=$(mktemp -d /tmp/lab-run-attach.XXXXXX)
T=(tmux -L "lab-test-$$")
trap '"${T[@]}" kill-server >/dev/null 2>&1 || true; cleanup_labs; rm -rf "$WORK"' EXIT
echo "$SCENARIO" >"$WORK/run.yaml"

gone() { ! "$LAB" get pods --lab $L "$1" >/dev/null 2>&1; }
wait_gone() {
  for _ in $(seq 1 450); do gone "$1" && return 0; sleep 0.1; done
  fail "pod $1 is still there: $("$LAB" get pods --lab $L "$1" 2>&1)"
}

note "lab up: a busybox pod, and one with stdin and a tty"
lab_up $L "$WORK/run.yaml"

note "kubectl's errors: --rm without -i, -t without -i, an existing name, a bad policy"
set +e
out=$("$LAB" run --lab $L x --image=busybox --rm 2>&1); rc=$?
set -e
echo "$out"
[ $rc = 1 ] && echo "$out" | head -1 | grep -qx 'error: --rm should only be used for attached containers' \
  || fail "--rm without -i: rc=$rc: $out"
out=$("$LAB" run --lab $L x --image=busybox -t 2>&1 || true)
echo "$out" | head -1 | grep -qx 'error: -i/--stdin is required for containers with -t/--tty=true' \
  || fail "-t without -i: $out"
out=$("$LAB" run --lab $L box --image=busybox 2>&1 || true)
[ "$out" = 'Error from server (AlreadyExists): pods "box" already exists' ] || fail "existing pod: $out"
out=$("$LAB" run --lab $L x --image=busybox --restart=Sometimes 2>&1 || true)
echo "$out" | head -1 | grep -qx 'error: invalid restart policy: Sometimes' || fail "bad policy: $out"
gone x || fail "a refused run created pod x"

note "run without -i: pod/NAME created, labels run=NAME, restartPolicy Always"
out=$("$LAB" run --lab $L web --image=nginx --port=80)
[ "$out" = "pod/web created" ] || fail "run printed: $out"
[ "$(pod_field $L web .metadata.labels.run)" = web ] || fail "pod web lacks the label run=web"
[ "$(pod_field $L web .spec.restartPolicy)" = Always ] || fail "pod web's restartPolicy is not Always"
[ "$(pod_field $L web .spec.containers[0].ports[0].containerPort)" = 80 ] || fail "pod web lacks its port"
"$LAB" delete pod --lab $L web >/dev/null

note "run -i --rm --restart=Never with pipes: output, the container's exit code, pod deleted"
set +e
"$LAB" run --lab $L t1 --image=busybox -i --rm --restart=Never -- sh -c 'echo out-$(hostname); echo err-line >&2; exit 3' \
  </dev/null >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
cat "$WORK/out" "$WORK/err"
[ $rc = 3 ] || fail "run -i exited $rc, the container 3"
grep -qx 'out-t1' "$WORK/out" || fail "run -i did not print the container's output"
grep -qx 'err-line' "$WORK/out" "$WORK/err" >/dev/null || fail "run -i lost the container's stderr"
grep -qx 'pod "t1" deleted' "$WORK/out" || fail "run --rm did not print pod \"t1\" deleted"
grep -qx 'pod default/t1 terminated (Error)' "$WORK/err" || fail "no 'terminated (Error)' line"
wait_gone t1

note "run -i: stdin reaches the container (stdinOnce: EOF when it ends), exit code 0"
out=$(printf 'line-one\nline-two\n' | "$LAB" run --lab $L t2 --image=busybox -i --rm --restart=Never -- cat)
echo "$out"
[ "$(echo "$out" | head -2 | tr '\n' ' ')" = "line-one line-two " ] || fail "stdin did not reach cat: $out"
echo "$out" | grep -qx 'pod "t2" deleted' || fail "t2 not deleted"
wait_gone t2

note "radial/busyboxplus:curl carries sh, curl and nslookup"
out=$("$LAB" run --lab $L t3 --image=radial/busyboxplus:curl -i --rm --restart=Never -- \
        sh -c 'for b in sh curl nslookup; do command -v $b || echo "missing $b"; done; curl --version | head -1' </dev/null)
echo "$out"
echo "$out" | grep -q missing && fail "the curl image lacks a binary: $out"
echo "$out" | grep -q '^curl [0-9]' || fail "curl does not run in the curl image"
wait_gone t3

note "run curl -i --tty --rm through a terminal: prompt, hostname, window size, resize, exit"
"${T[@]}" new-session -d -s run -x 120 -y 40 \
  "'$LAB' run curl --image=radial/busyboxplus:curl -i --tty --rm --lab $L; echo run-rc=\$?; sleep 600"
wait_pane run "^If you don't see a command prompt, try pressing enter\.$"
keys run 'echo ready-$((6*7))'
wait_pane run '^ready-42$'
pane run | grep -Eq '[#$] ?$' || fail "no shell prompt on the terminal"
keys run 'echo hi from $(hostname)'
wait_pane run '^hi from curl$'
keys run 'stty size; tty'
wait_pane run '^40 120$'
wait_pane run '^/dev/pts/0$'
"${T[@]}" resize-window -t run -x 100 -y 30
keys run 'stty size'
wait_pane run '^30 100$'
# The tutorial's "Accessing the Service" from this terminal: the Service by its short name,
# through the pod's resolv.conf and the kube-dns Service, then its nginx page.
svc_ip=$("$LAB" get svc my-nginx --lab $L -o jsonpath='{.spec.clusterIP}')
keys run 'nslookup my-nginx'
wait_pane run '10\.96\.0\.10'
wait_pane run "Address[: 0-9]*[[:space:]]$svc_ip([[:space:]]|\$)"
keys run 'curl -s my-nginx | grep -o "Welcome to nginx"'
wait_pane run '^Welcome to nginx$'
[ "$(pod_field $L curl .spec.containers[0].tty)" = true ] || fail "pod curl has no tty"
keys run 'exit'
wait_pane run '^pod "curl" deleted$'
wait_pane run '^run-rc=0$'
pane run | grep -q "^Session ended, resume using 'lab attach curl -c curl -i -t' command when the pod is running$" \
  || fail "no 'Session ended' line (restartPolicy Always)"
wait_gone curl

note "exec -it POD -- sh: a pty of the pod's own, its size, only fds 0-2, the exit code"
# After the session, the caller's terminal must be back as it was (cooked: icanon, not -icanon).
"${T[@]}" new-session -d -s exec -x 100 -y 35 \
  "'$LAB' exec -it box --lab $L -- sh; echo exec-rc=\$?; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 600"
keys exec 'echo in-$(hostname)'
# Typed before the shell is up, the line's echo and the prompt may share the line.
wait_pane exec '(^|# )in-box$'
# The shell's descriptors listed by a child shell: the image's ls is busybox's, run inside ash for a
# redirection (ash's saved fd would show) and quick enough to see the pipe of `| tr` being set up.
list_fds='sh -c '"'"'ls /proc/$1/fd | tr "\n" " "'"'"' - $$'
keys exec "tty; stty size; $list_fds; echo; ls /dev/pts | tr \"\\n\" \" \"; echo"
wait_pane exec '^/dev/pts/[0-9]+$'
wait_pane exec '^35 100$'
wait_pane exec '^0 1 (10 )?2 ?$'
"${T[@]}" resize-window -t exec -x 90 -y 20
keys exec 'stty size'
wait_pane exec '^20 90$'
keys exec 'exit 7'
wait_pane exec '^exec-rc=7$'
wait_pane exec '^icanon$'

note "exec -i without -t keeps pipes"
out=$(echo piped | "$LAB" exec -i --lab $L box -- sh -c 'cat; readlink /proc/self/fd/0')
echo "$out"
echo "$out" | head -1 | grep -qx piped || fail "exec -i lost stdin"
echo "$out" | sed -n 2p | grep -q '^pipe:' || fail "exec -i's stdin is not a pipe"

note "attach -it to a running tty container; its output is in lab logs"
"${T[@]}" new-session -d -s att -x 120 -y 40 "'$LAB' attach tty-pod -c shell -i -t --lab $L; echo attach-rc=\$?; sleep 600"
wait_pane att "^If you don't see a command prompt, try pressing enter\.$"
keys att 'echo attached-$((1+1)); stty size'
wait_pane att '^attached-2$'
wait_pane att '^40 120$'
keys att 'exit'
wait_pane att "^Session ended, resume using 'lab attach tty-pod -c shell -i -t' command when the pod is running$"
wait_pane att '^attach-rc=0$'
# The shell restarted on exit (restartPolicy Always): its session's log is now the previous one.
retry sh -c "'$LAB' logs --lab $L tty-pod --previous | grep -q attached-2" || fail "the tty's output is not in lab logs"
# restartPolicy Always: the shell is back; a second attach reaches it.
retry sh -c "[ \"\$('$LAB' get pod tty-pod --lab $L -o jsonpath='{.status.containerStatuses[0].restartCount}')\" = 1 ]" \
  || fail "the exited shell did not restart"
"${T[@]}" new-session -d -s att2 -x 80 -y 24 "'$LAB' attach tty-pod -i -t --lab $L; sleep 600"
keys att2 'echo again-$((2+2))'
wait_pane att2 '^again-4$'
"${T[@]}" kill-session -t att2

note "attach without -i streams the output of a container without stdin"
set +e
timeout -s INT 2 "$LAB" attach --lab $L box -i </dev/null >"$WORK/att.out" 2>"$WORK/att.err"
set -e
cat "$WORK/att.err"
grep -qx 'Unable to use stdin - container box did not allocate one' "$WORK/att.err" \
  || fail "attach -i to a container without stdin does not warn"

note "lab down"
"${T[@]}" kill-server
"$LAB" down --lab $L
expect_state "$before"
echo "PASS"
