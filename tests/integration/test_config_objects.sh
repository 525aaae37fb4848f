# Secrets and ConfigMaps as the tutorial "Connecting Applications with Services" makes them in
# "Securing the Service": a self-signed certificate from openssl, `create secret tls`, `get secrets`,
# `create configmap --from-file=default.conf`, `describe configmap`, the base64 nginxsecrets.yaml
# applied; then what must be refused (bad base64 in a file, a key that is not the certificate's, a
# name taken), kept (objects across a daemon killed with SIGKILL) and cleaned (the machine after down).
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=h1-config
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
# Runs a command that must fail; prints and returns its stderr.
refused() { local out rc; set +e; out=$("$@" 2>&1 >/dev/null); rc=$?; set -e; [ $rc != 0 ] || fail "accepted: $*"; echo "$out"; }

printf 'apiVersion: lab.dev/v1alpha1\nkind: Lab\nspec:\n  nodes: 1\n' >"$tmp/lab.yaml"
lab_up $L "$tmp/lab.yaml" >/dev/null

note "openssl req -x509 ... then lab create secret tls nginxsecret"
openssl req -x509 -nodes -days 365 -newkey rsa:2048 -keyout "$tmp/nginx.key" -out "$tmp/nginx.crt" \
  -subj "/CN=my-nginx/O=my-nginx" 2>/dev/null
out=$(lab create secret tls nginxsecret --key "$tmp/nginx.key" --cert "$tmp/nginx.crt")
echo "$out"
[ "$out" = "secret/nginxsecret created" ] || fail "create secret tls printed: $out"

note "lab get secrets"
lab get secrets
row=$(lab get secrets --no-headers | awk '$1 == "nginxsecret"')
[ "$(awk '{print $1, $2, $3}' <<<"$row")" = "nginxsecret kubernetes.io/tls 2" ] || fail "secrets row: $row"
[ "$(lab get secrets | head -1 | tr -s ' ')" = "NAME TYPE DATA AGE" ] || fail "secrets header"
[ "$(lab get secret nginxsecret -o jsonpath='{.data.tls\.crt}' | base64 -d)" = "$(cat "$tmp/nginx.crt")" ] \
  || fail "tls.crt is not the certificate"
[ "$(lab get secret nginxsecret -o name)" = "secret/nginxsecret" ] || fail "-o name"
lab get secret nginxsecret -o yaml | grep -qx "type: kubernetes.io/tls" || fail "-o yaml has no type"

note "describe secret: sizes, never values"
desc=$(lab describe secret nginxsecret)
echo "$desc"
key_bytes=$(wc -c <"$tmp/nginx.key" | tr -d ' ')
crt_bytes=$(wc -c <"$tmp/nginx.crt" | tr -d ' ')
expected="Name:         nginxsecret
Namespace:    default
Labels:       <none>
Annotations:  <none>

Type:  kubernetes.io/tls

Data
====
tls.crt:  $crt_bytes bytes
tls.key:  $key_bytes bytes"
[ "$desc" = "$expected" ] || fail "describe secret differs: $(diff <(echo "$expected") <(echo "$desc"))"
grep -q "PRIVATE" <<<"$desc" && fail "describe printed the key"

note "the same name again is refused as kubectl refuses it"
err=$(refused lab create secret tls nginxsecret --key "$tmp/nginx.key" --cert "$tmp/nginx.crt")
echo "$err"
[ "$err" = 'error: failed to create secret secrets "nginxsecret" already exists' ] || fail "AlreadyExists: $err"

note "a key that is not the certificate's is refused before anything is sent"
openssl genrsa -out "$tmp/other.key" 2048 2>/dev/null
err=$(refused lab create secret tls other --key "$tmp/other.key" --cert "$tmp/nginx.crt")
echo "$err"
[ "$err" = "error: tls: private key does not match public key" ] || fail "mismatched key: $err"
err=$(refused lab create secret tls other --key "$tmp/nginx.crt" --cert "$tmp/nginx.key")
echo "$err"
grep -q "^error: tls: failed to find certificate PEM data in certificate input, but did find a private key" <<<"$err" \
  || fail "switched inputs: $err"
refused lab get secret other | grep -q 'secrets "other" not found' || fail "a refused secret exists"

note "lab create configmap nginxconfigmap --from-file=default.conf, then describe it"
cp "$FIXTURES/tutorial/default.conf" "$tmp/default.conf"  # the tutorial's, verbatim
out=$(cd "$tmp" && lab create configmap nginxconfigmap --from-file=default.conf)
[ "$out" = "configmap/nginxconfigmap created" ] || fail "create configmap printed: $out"
row=$(lab get cm --no-headers | awk '$1 == "nginxconfigmap"')
[ "$(awk '{print $1, $2}' <<<"$row")" = "nginxconfigmap 1" ] || fail "configmaps row: $row"
[ "$(lab get configmaps | head -1 | tr -s ' ')" = "NAME DATA AGE" ] || fail "configmaps header"
desc=$(lab describe configmap nginxconfigmap)
echo "$desc"
# kubectl's ConfigMapDescriber: each value, then "%s\n" and "\n", then "\nBinaryData\n====\n", "\n".
expected="Name:         nginxconfigmap
Namespace:    default
Labels:       <none>
Annotations:  <none>

Data
====
default.conf:
----
$(cat "$tmp/default.conf")



BinaryData
====

Events:  <none>"
[ "$desc" = "$expected" ] || fail "describe configmap differs: $(diff <(echo "$expected") <(echo "$desc"))"

note "binary files go to binaryData, literals and env files to data"
head -c 64 /dev/urandom >"$tmp/blob.bin"
printf '\xff' >>"$tmp/blob.bin"
lab create cm mixed --from-file="$tmp/blob.bin" --from-literal=mode=fast >/dev/null
[ "$(lab get cm mixed -o jsonpath='{.binaryData.blob\.bin}' | base64 -d | cmp - "$tmp/blob.bin" && echo same)" = same ] \
  || fail "binaryData differs from the file"
[ "$(lab get cm mixed -o jsonpath='{.data.mode}')" = fast ] || fail "literal"
lab describe cm mixed | grep -qx "blob.bin: 65 bytes" || fail "describe binaryData size"
printf '# db\nDB_USER=admin\nDB_PASS=s3cret\n' >"$tmp/db.env"
lab create secret generic db --from-env-file="$tmp/db.env" | grep -qx "secret/db created" || fail "env secret"
[ "$(lab get secret db -o jsonpath='{.data.DB_PASS}' | base64 -d)" = "s3cret" ] || fail "env value"
[ "$(lab get secret db -o jsonpath='{.type}')" = "Opaque" ] || fail "default type"
err=$(refused lab create secret generic dup --from-literal=a=1 --from-literal=a=2)
[ "$err" = "error: cannot add key a, another key by that name already exists" ] || fail "duplicate key: $err"

note "nginxsecrets.yaml, base64 by hand, applies"
tutorial_secrets_yaml "$tmp/nginx.crt" "$tmp/nginx.key" >"$tmp/nginxsecrets.yaml"
out=$(lab apply -f "$tmp/nginxsecrets.yaml")
[ "$out" = "secret/nginxsecret unchanged" ] || fail "apply of the same secret printed: $out"
lab delete secret nginxsecret | grep -qx 'secret "nginxsecret" deleted' || fail "delete secret"
out=$(lab apply -f "$tmp/nginxsecrets.yaml")
[ "$out" = "secret/nginxsecret created" ] || fail "apply printed: $out"
sed 's/^  namespace: .*/  labels: {app: nginx}/' "$tmp/nginxsecrets.yaml" >"$tmp/labelled.yaml"
[ "$(lab apply -f "$tmp/labelled.yaml")" = "secret/nginxsecret configured" ] || fail "apply of a change"

note "a Secret with bad base64 in a file: file:line and field, nothing changes"
state=$(lab get secrets -o name; lab get cm -o name; lab get secret nginxsecret -o jsonpath='{.metadata.resourceVersion}')
cat >"$tmp/bad.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: first-of-two
data:
  a: b
---
apiVersion: v1
kind: Secret
metadata:
  name: nginxsecret
type: kubernetes.io/tls
data:
  tls.crt: dGxzLmNydA==
  tls.key: not*base64
EOF
for verb in apply create; do
  err=$(refused lab $verb -f "$tmp/bad.yaml")
  echo "$err"
  grep -q "bad.yaml:15:12: Secret \"nginxsecret\": data\[tls.key\]: Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 3" <<<"$err" \
    || fail "$verb -f bad.yaml: $err"
done
[ "$(lab get secrets -o name; lab get cm -o name; lab get secret nginxsecret -o jsonpath='{.metadata.resourceVersion}')" = "$state" ] \
  || fail "a refused file changed objects"
# The API says the same (422, the field named) to a client that skips the file check.
err=$(refused lab patch secret nginxsecret -p '{"data":{"tls.key":"bad!"}}')
grep -qF 'Secret "nginxsecret" is invalid: data[tls.key]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3' <<<"$err" \
  || fail "patch: $err"

note "immutable: data may no longer change"
lab patch cm nginxconfigmap -p '{"immutable":true}' >/dev/null
err=$(refused lab patch cm nginxconfigmap -p '{"data":{"default.conf":"x"}}')
grep -qF 'ConfigMap "nginxconfigmap" is invalid: data: Forbidden: field is immutable when `immutable` is set' <<<"$err" \
  || fail "immutable: $err"

note "the objects outlive a daemon killed with SIGKILL (SQLite)"
pid=$(cat /run/lab/$L/daemon.pid)
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
[ "$(lab get secrets --no-headers | awk '{print $1}' | sort | tr '\n' ' ')" = "db nginxsecret " ] || fail "secrets after restart"
[ "$(lab get cm nginxconfigmap -o jsonpath='{.immutable}')" = true ] || fail "configmap after restart"

note "delete, down, and the machine is as before"
lab delete configmap nginxconfigmap mixed >/dev/null
lab delete -f "$tmp/nginxsecrets.yaml" | grep -qx 'secret "nginxsecret" deleted' || fail "delete -f"
"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo PASS
