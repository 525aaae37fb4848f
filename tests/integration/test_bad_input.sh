# Bad scenarios are refused before anything is created: a clear message naming file, line and
# field, a non-zero exit, and the machine exactly as it was.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup_labs' EXIT

# refuse FILE PATTERN: `lab up FILE` must fail with FILE:LINE:COL and PATTERN in its message.
refuse() {
  local file=$1 pattern=$2 out rc
  set +e; out=$("$LAB" up "$file" --name t-bad 2>&1); rc=$?; set -e
  echo "$out"
  [ $rc != 0 ] || fail "$file was accepted"
  echo "$out" | grep -Eq "$(basename "$file"):[0-9]+:[0-9]+: " || fail "$file: message does not name file:line:col"
  echo "$out" | grep -Eq -- "$pattern" || fail "$file: message does not mention $pattern"
  [ "$(machine_state)" = "$before" ] || fail "$file changed the machine"
}

refuse "$FIXTURES/syntax-error.yaml" "YAML syntax error"
refuse "$FIXTURES/unknown-field.yaml" "unknown field"
refuse "$FIXTURES/bad-name.yaml" "metadata.name"
refuse "$FIXTURES/unknown-image.yaml" "unknown image .*known images"
refuse "$FIXTURES/unknown-kind.yaml" "kind"

note "a written node CIDR that overlaps a host route"
route=$(ip -4 route show | awk '$1 ~ /\// {print $1; exit}')
[ -n "$route" ] || fail "the host has no non-default IPv4 route to collide with"
net=${route%/*}; prefix=${route#*/}
[ "$prefix" -le 24 ] || { IFS=. read -r a b c _ <<<"$net"; net="$a.$b.$c.0"; prefix=24; }
cat >"$tmp/collides.yaml" <<YAML
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: collides}
spec:
  nodes: 1
  nodeCIDR: $net/$prefix
YAML
refuse "$tmp/collides.yaml" "spec.nodeCIDR.*overlaps the host route"

note "a written node CIDR that overlaps another lab's"
lab_up t-first "$TUTORIAL" >/dev/null
first=$(awk -F'"' '/"nodeCIDR"/ {print $4}' /run/lab/t-first/lab.json)
sed "s|^  nodes: 1|  nodes: 2|; s|nodeCIDR: .*|nodeCIDR: $first|" "$tmp/collides.yaml" >"$tmp/collides-lab.yaml"
during=$(machine_state)
set +e; out=$("$LAB" up "$tmp/collides-lab.yaml" --name t-second 2>&1); rc=$?; set -e
echo "$out"
[ $rc != 0 ] || fail "an overlapping node CIDR was accepted"
echo "$out" | grep -Eq "collides-lab.yaml:6:[0-9]+: .*spec.nodeCIDR" || fail "message does not name line 6, spec.nodeCIDR"
[ "$(machine_state)" = "$during" ] || fail "the refused lab changed the machine"
"$LAB" down --lab t-first
expect_state "$before"
echo "PASS"
