# 500 slow, half-open requests on a lab's API socket: the daemon's thread count stays bounded
# (they cost a buffer each, not a thread), `lab get pods` is still answered meanwhile, and the
# daemon closes every one of them at its read deadline (10 s). The clients are perl (perl-base is
# Essential in Debian, so always there), which speaks AF_UNIX.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
tmp=$(mktemp -d)
client=
cleanup() {
  [ -n "$client" ] && kill "$client" 2>/dev/null
  cleanup_labs
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/one-node.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: slow}
spec:
  nodes: 1
YAML
L=t-slow-clients
lab_up $L "$tmp/one-node.yaml" >/dev/null
pid=$(cat /run/lab/$L/daemon.pid)
"$LAB" get pods --lab $L >/dev/null
threads_before=$(ls /proc/$pid/task | wc -l)

# Opens 500 connections, half of them with the start of a request and no end, says "open", then
# (once told on stdin) waits up to 40 s for the server to close them and says how many it closed.
mkfifo "$tmp/to-client"
perl -MIO::Socket::UNIX -MIO::Select -e '
  $| = 1;
  my @socks;
  for my $i (1 .. 500) {
    my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect $i: $!\n";
    print $s "GET /api/v1/pods HTTP/1.1\r\nHost: lab\r\nAccept: appl" if $i % 2;
    push @socks, $s;
  }
  print "open\n";
  <STDIN>;
  my $sel = IO::Select->new(@socks);
  my ($closed, $deadline) = (0, time + 40);
  while ($sel->count && time < $deadline) {
    for my $s ($sel->can_read(1)) {
      my $n = sysread($s, my $buf, 4096);
      next if defined $n && $n > 0;
      $closed++;
      $sel->remove($s);
    }
  }
  print "closed $closed\n";
' /run/lab/$L/api.sock <"$tmp/to-client" >"$tmp/from-client" &
client=$!
exec 7>"$tmp/to-client"
for _ in $(seq 1 200); do grep -q '^open$' "$tmp/from-client" && break; sleep 0.05; done
grep -q '^open$' "$tmp/from-client" || fail "the client could not open 500 connections: $(cat "$tmp/from-client")"
opened=$(date +%s)

threads=$(ls /proc/$pid/task | wc -l)
note "daemon threads: $threads_before before, $threads with 500 half-open connections"
[ "$threads" -le $((threads_before + 8)) ] || fail "500 half-open connections cost $((threads - threads_before)) threads"
"$LAB" get pods --lab $L --request-timeout=10s || fail "lab get pods was not answered beside 500 half-open connections"
"$LAB" get nodes --lab $L --request-timeout=10s >/dev/null || fail "lab get nodes was not answered"
(( $(date +%s) - opened < 10 )) || note "(the checks took longer than the read deadline; the closes below still count)"

echo go >&7
exec 7>&-
wait "$client" || fail "the client failed"
client=
result=$(tail -1 "$tmp/from-client")
note "client: $result"
[ "$result" = "closed 500" ] || fail "the daemon did not close every half-open connection at its read deadline: $result"
threads_after=$(ls /proc/$pid/task | wc -l)
[ "$threads_after" -le $((threads_before + 8)) ] || fail "threads after: $threads_after"
"$LAB" get pods --lab $L >/dev/null

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
