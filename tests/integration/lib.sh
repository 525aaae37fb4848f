# Shared helpers of the integration tests: run the real `lab` binary as root, compare the
# machine before and after, and fail loudly with what a user would have seen.
set -euo pipefail

LAB=${LAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/lab}
SRC=${LAB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TUTORIAL=$SRC/scenarios/tutorial.yaml
FIXTURES=$SRC/tests/fixtures
TEST_LABS=()

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

[ "$(id -u)" = 0 ] || fail "integration tests need root"

# Everything a lab could leave behind, one item per line, sorted.
machine_state() {
  {
    ip netns list 2>/dev/null | awk '{print "netns " $1}'
    ip -br link 2>/dev/null | awk '{print "link " $1}'
    nft list tables 2>/dev/null | sed 's/^/nft /'
    grep -E ' /run/(netns|lab)' /proc/self/mountinfo 2>/dev/null | awk '{print "mount " $5}'
    ps -eo args= 2>/dev/null | grep -E '^(lab-pod-init|lab __daemon|nginx)' | sed 's/^/proc /'
    ls -A /run/lab 2>/dev/null | sed 's/^/runlab /'
    ls /sys/fs/cgroup/*/ 2>/dev/null | grep -E '^lab' | sed 's/^/cgroup /'
    true
  } | sort || true
}

# Polls (the kernel removes a dead netns's veths asynchronously) until the machine is back to
# the state given, or fails after ~5 s with the difference.
expect_state() {
  local want=$1 now
  for _ in $(seq 1 100); do
    now=$(machine_state)
    [ "$now" = "$want" ] && return 0
    sleep 0.05
  done
  diff <(echo "$want") <(echo "$now") >&2 || true
  fail "the machine is not back to its state before the test (diff above: < before, > now)"
}

# `lab up` that remembers the lab for the cleanup trap.
lab_up() {
  local name=$1; shift
  TEST_LABS+=("$name")
  "$LAB" up "$@" --name "$name"
}

cleanup_labs() {
  for l in "${TEST_LABS[@]}"; do "$LAB" down --lab "$l" >/dev/null 2>&1 || true; done
}
trap cleanup_labs EXIT

# Pod names / IPs / nodes of a lab, from the CLI as a user would read them.
pod_names() { "$LAB" get pods --lab "$1" -o name | sed 's|^pod/||'; }
pod_field() { "$LAB" get pods --lab "$1" "$2" -o "jsonpath={$3}"; }

# `lab VERB ARGS...` on the test's lab, $L.
lab() { local verb=$1; shift; "$LAB" "$verb" --lab "$L" "$@"; }
# Polls a command until it succeeds, for up to $1 seconds.
wait_for() { local limit=$1; shift; for _ in $(seq 1 $((limit * 20))); do "$@" && return 0; sleep 0.05; done; return 1; }

# The tutorial's nginxsecrets.yaml for a certificate and key: the pair in base64, by hand.
tutorial_secrets_yaml() {
  cat <<EOF
apiVersion: "v1"
kind: "Secret"
metadata:
  name: "nginxsecret"
  namespace: "default"
type: kubernetes.io/tls
data:
  tls.crt: "$(base64 -w0 <"$1")"
  tls.key: "$(base64 -w0 <"$2")"
EOF
}

# `CMD | shows GREP-ARGS`: all of CMD's output first (shown on stderr), then grep on it. A
# `CMD | grep -q` under pipefail fails when grep, done at its first match, closes the pipe while
# CMD still writes (CMD dies of SIGPIPE); `| tee /dev/stderr | grep -q` fails the same way.
shows() { local out; out=$(cat); printf '%s\n' "$out" >&2; grep "$@" <<<"$out"; }
# Retries a command for up to ~3 s (a server may need a moment after `lab up` returns).
retry() {
  for _ in $(seq 1 60); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  "$@"
}

# A real terminal for a test (tmux on a server of its own, the array T, which the test sets, e.g.
# T=(tmux -L "lab-test-$$"), and kills in its trap): the screen of session $1; polling it until a
# line matches a regex (30 s at most; nothing is slept blindly); typing a line.
pane() { "${T[@]}" capture-pane -p -t "$1" -S -200; }
wait_pane() {
  local session=$1 re=$2
  for _ in $(seq 1 600); do
    pane "$session" | grep -Eq -- "$re" && return 0
    sleep 0.05
  done
  pane "$session" >&2
  fail "the terminal never showed /$re/ (screen above)"
}
keys() { "${T[@]}" send-keys -t "$1" "$2" Enter; }
