#!/usr/bin/env bash
# ctest's command for an integration test: `run_test.sh SCRIPT`. It runs the test with a deadline
# below ctest's TIMEOUT, because ctest's own timeout kills the test outright: its EXIT trap never
# runs and the labs it started stay up. Past the deadline this prints what the test was running
# (the command that hung) and the tail of each new lab's daemon log, stops the test with SIGTERM
# (its trap then takes its labs down), and takes down any lab it still left.
set -uo pipefail
script=$1
deadline=${LAB_TEST_DEADLINE:-270}
LAB=${LAB:?LAB names the lab binary}

labs_before=$(ls -A /run/lab 2>/dev/null | grep -v '^\.' || true)
new_labs() { comm -13 <(echo "$labs_before" | sort) <(ls -A /run/lab 2>/dev/null | grep -v '^\.' | sort); }

# A session of its own (setsid does not fork: a background job is no group leader), so one
# signal to the group reaches every command the test started. Stdin explicitly, as a background
# job's would otherwise be /dev/null.
setsid bash "$script" <&0 &
pid=$!
# (tail checks the test every 0.1 s: its end is seen at once, not up to a second later)
timeout "$deadline" tail -s 0.1 --pid="$pid" -f /dev/null
if ! kill -0 "$pid" 2>/dev/null; then
  wait "$pid"
  exit $?
fi

echo "FAIL: $(basename "$script") did not end within ${deadline}s; it was running:" >&2
ps -o pid,etime,args --forest -s "$pid" >&2 || true
for l in $(new_labs); do
  echo "--- the last lines of lab $l's daemon log:" >&2
  tail -n 20 "/run/lab/$l/daemon.log" >&2 2>/dev/null || true
done
kill -TERM -- "-$pid" 2>/dev/null
timeout 30 tail --pid="$pid" -f /dev/null
kill -KILL -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
for l in $(new_labs); do
  echo "--- the test left lab $l: lab down" >&2
  "$LAB" down --lab "$l" >&2 || true
done
exit 1
