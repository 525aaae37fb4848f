# Pod volumes and environment from objects, as a user of the Kubernetes docs' "Configure a Pod to
# Use a ConfigMap", "Distribute Credentials Securely Using Secrets" and "Expose Pod Information
# to Containers Through Files" would see them: a configMap volume updated in place within
# seconds while a subPath mount of the same key keeps the old content, secret files and their
# modes, a downwardAPI labels file that follows a label change, an emptyDir (disk and memory)
# shared by two containers, env from configMapKeyRef, secretKeyRef, fieldRef and envFrom with a
# prefix; a missing ConfigMap (FailedMount, ContainerCreating) and a missing key
# (CreateContainerConfigError) that recover once applied; bad input refused with file:line and
# the field, nothing changed; nothing left on the machine.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-volumes
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
phase() { lab get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
waiting() { lab get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null; }
status_col() { lab get pod "$1" --no-headers 2>/dev/null | awk '{print $3}'; }
running() { [ "$(phase "$1")" = Running ] && [ "$(lab get pod "$1" -o jsonpath='{.status.containerStatuses[*].started}')" != "" ]; }
in_pod() { local pod=$1 c=$2; shift 2; lab exec "$pod" -c "$c" -- "$@"; }

cat >"$tmp/one-node.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: volumes}
spec:
  nodes: 1
YAML
lab_up $L "$tmp/one-node.yaml" >/dev/null

note "a ConfigMap and a Secret from a file (lab apply -f)"
cat >"$tmp/objects.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  app.conf: "version=1\n"
  mode: prod
  LEVEL: "3"
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
data:
  username: YWRtaW4=
  password: czNjcjN0
YAML
lab apply -f "$tmp/objects.yaml" || fail "lab apply of a ConfigMap and a Secret"

cat >"$tmp/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: vol-demo
  labels: {app: demo, tier: web}
spec:
  volumes:
  - name: config
    configMap: {name: app-config}
  - name: creds
    secret:
      secretName: creds
      defaultMode: 256
      items:
      - {key: username, path: username, mode: 420}
      - {key: password, path: password}
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef: {fieldPath: metadata.labels}
  - name: shared
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory, sizeLimit: 1Mi}
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'echo hello > /shared/greeting; exec sleep 3600']
    env:
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: app-config, key: LEVEL}}
    - name: USER_NAME
      valueFrom: {secretKeyRef: {name: creds, key: username}}
    - name: MY_POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: MY_POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    envFrom:
    - prefix: CFG_
      configMapRef: {name: app-config}
    volumeMounts:
    - {name: config, mountPath: /etc/app}
    - {name: config, mountPath: /etc/app-pinned.conf, subPath: app.conf}
    - {name: creds, mountPath: /etc/creds}
    - {name: info, mountPath: /etc/podinfo}
    - {name: shared, mountPath: /shared}
    - {name: mem, mountPath: /mem}
  - name: side
    image: busybox
    command: [sleep, "3600"]
    volumeMounts:
    - {name: shared, mountPath: /data}
    - {name: mem, mountPath: /mem}
YAML
lab apply -f "$tmp/pod.yaml" >/dev/null
wait_for 30 running vol-demo || { lab describe pod vol-demo; fail "vol-demo is not Running"; }

note "configMap volume: one file per key, read-only"
[ "$(in_pod vol-demo main cat /etc/app/app.conf)" = "version=1" ] || fail "/etc/app/app.conf"
[ "$(in_pod vol-demo main cat /etc/app/mode)" = "prod" ] || fail "/etc/app/mode"
[ "$(in_pod vol-demo main cat /etc/app-pinned.conf)" = "version=1" ] || fail "the subPath mount"
in_pod vol-demo main ls -la /etc/app
in_pod vol-demo main sh -c 'echo x > /etc/app/new' 2>/dev/null && fail "a configMap volume is writable"

note "secret volume: files and modes (defaultMode 0400, an item's mode 0644)"
[ "$(in_pod vol-demo main cat /etc/creds/username)" = admin ] || fail "secret username"
[ "$(in_pod vol-demo main cat /etc/creds/password)" = s3cr3t ] || fail "secret password"
[ "$(in_pod vol-demo main stat -L -c %a /etc/creds/password)" = 400 ] || fail "password mode"
[ "$(in_pod vol-demo main stat -L -c %a /etc/creds/username)" = 644 ] || fail "username mode"
[ "$(in_pod vol-demo main stat -L -c %u /etc/creds/password)" = 0 ] || fail "secret files are root's"

note "downwardAPI: the labels file"
[ "$(in_pod vol-demo main cat /etc/podinfo/labels)" = "$(printf 'app="demo"\ntier="web"')" ] || fail "labels file"

note "emptyDir shared by the pod's two containers (disk, and memory as a tmpfs)"
wait_for 5 bash -c "[ \"\$('$LAB' exec --lab $L vol-demo -c side -- cat /data/greeting 2>/dev/null)\" = hello ]" \
  || fail "side does not see what main wrote in the emptyDir"
in_pod vol-demo side sh -c 'echo from-side > /mem/note' || fail "write in the memory emptyDir"
[ "$(in_pod vol-demo main cat /mem/note)" = from-side ] || fail "main does not see the memory emptyDir of side"
in_pod vol-demo main grep -q ' /mem tmpfs ' /proc/mounts || fail "/mem is not a tmpfs"
in_pod vol-demo main grep ' /mem ' /proc/mounts | grep -q 'size=1024k' || fail "/mem size is not the sizeLimit"
# The tmpfs lives in the pod's mount namespace only: the host sees an empty directory.
[ -z "$(ls -A /run/lab/$L/pods/default_vol-demo/volumes/mem)" ] || fail "the memory emptyDir is on the host"

note "env from configMapKeyRef, secretKeyRef, fieldRef (status.podIP) and envFrom with a prefix"
ip=$(lab get pod vol-demo -o jsonpath='{.status.podIP}')
env=$(in_pod vol-demo main printenv)
for want in LEVEL=3 USER_NAME=admin "MY_POD_IP=$ip" MY_POD_NAME=vol-demo CFG_mode=prod CFG_LEVEL=3; do
  grep -qx -- "$want" <<<"$env" || fail "no $want in the environment"
done

note "lab apply of a changed ConfigMap: the volume shows it within 5 s, the subPath file does not"
sed -i 's/version=1/version=2/' "$tmp/objects.yaml"
lab apply -f "$tmp/objects.yaml" >/dev/null
start=$(date +%s%N)
wait_for 5 bash -c "[ \"\$('$LAB' exec --lab $L vol-demo -c main -- cat /etc/app/app.conf)\" = version=2 ]" \
  || fail "the configMap volume did not show the change within 5 s"
echo "the change reached the volume in $(( ($(date +%s%N) - start) / 1000000 )) ms"
[ "$(in_pod vol-demo main cat /etc/app-pinned.conf)" = "version=1" ] || fail "a subPath mount saw the update"
[ "$(in_pod vol-demo main printenv CFG_app.conf)" = "version=1" ] || fail "the environment changed after start"

note "a label change reaches the downwardAPI file"
lab patch pod vol-demo -p '{"metadata":{"labels":{"tier":"db"}}}' >/dev/null
wait_for 5 bash -c "'$LAB' exec --lab $L vol-demo -c main -- cat /etc/podinfo/labels | grep -qx 'tier=\"db\"'" \
  || fail "the labels file did not follow the label change"

note "a missing ConfigMap: ContainerCreating with FailedMount, Running once it is applied"
cat >"$tmp/late.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: late}
spec:
  volumes:
  - name: conf
    configMap: {name: late-config}
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    volumeMounts: [{name: conf, mountPath: /conf}]
YAML
lab apply -f "$tmp/late.yaml" >/dev/null
wait_for 10 bash -c "'$LAB' get events --lab $L 2>/dev/null | grep -q 'MountVolume.SetUp failed for volume \"conf\" : configmap \"late-config\" not found'" \
  || { lab get events; fail "no FailedMount event"; }
lab get events | grep FailedMount
[ "$(status_col late)" = ContainerCreating ] || fail "late is $(status_col late), not ContainerCreating"
[ "$(phase late)" = Pending ] || fail "late is not Pending"
lab describe pod late | grep -q 'FailedMount' || fail "describe does not show FailedMount"
cat >"$tmp/late-config.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: late-config}
data: {greeting: hi}
YAML
lab apply -f "$tmp/late-config.yaml" >/dev/null
wait_for 15 running late || fail "late did not start once its ConfigMap was there"
[ "$(lab exec late -- cat /conf/greeting)" = hi ] || fail "late's volume"

note "a missing key: CreateContainerConfigError, then Running once the key is there"
cat >"$tmp/keyless.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: keyless}
spec:
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    env:
    - name: LATER
      valueFrom: {configMapKeyRef: {name: app-config, key: later}}
YAML
lab apply -f "$tmp/keyless.yaml" >/dev/null
wait_for 10 bash -c "[ \"\$('$LAB' get pod --lab $L keyless -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')\" = CreateContainerConfigError ]" \
  || fail "keyless is not CreateContainerConfigError"
[ "$(status_col keyless)" = CreateContainerConfigError ] || fail "get pods STATUS of keyless"
[ "$(lab get pod keyless -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')" = \
  "couldn't find key later in ConfigMap default/app-config" ] || fail "the CreateContainerConfigError message"
sed -i 's/^  LEVEL: "3"$/  LEVEL: "3"\n  later: now/' "$tmp/objects.yaml"
lab apply -f "$tmp/objects.yaml" >/dev/null
wait_for 15 running keyless || fail "keyless did not start once the key was there"
[ "$(lab exec keyless -- printenv LATER)" = now ] || fail "LATER"

note "bad input: refused with file:line and the field, nothing made"
pods_before=$(lab get pods -o name)
bad() {
  local name=$1 body=$2 want=$3 out
  printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata: {name: $name}" "spec:" "$body" >"$tmp/$name.yaml"
  out=$(lab apply -f "$tmp/$name.yaml" 2>&1) && fail "$name was accepted"
  echo "$out"
  grep -Eq "$name.yaml:[0-9]+(:[0-9]+)?: " <<<"$out" || fail "$name: no file:line in: $out"
  grep -qF -- "$want" <<<"$out" || fail "$name: expected '$want' in: $out"
}
bad bad-mount "$(printf '  containers:\n  - name: c\n    image: busybox\n    volumeMounts: [{name: nope, mountPath: /x}]')" \
  'spec.containers[0].volumeMounts[0].name: Not found: "nope"'
bad bad-subpath "$(printf '  volumes: [{name: v, emptyDir: {}}]\n  containers:\n  - name: c\n    image: busybox\n    volumeMounts: [{name: v, mountPath: /x, subPath: ../../etc}]')" \
  "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../../etc\": must not contain '..'"
bad bad-kind "$(printf '  volumes: [{name: v, nfs: {server: nas, path: /}}]\n  containers:\n  - name: c\n    image: busybox')" \
  'spec.volumes[0].nfs: Forbidden: not supported yet'
[ "$(lab get pods -o name)" = "$pods_before" ] || fail "a refused file changed the pods"

note "nginx: a Secret at /etc/nginx/ssl and a ConfigMap at /etc/nginx/conf.d (over the lab's /etc), a key over index.html"
cat >"$tmp/web.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: web-content}
data:
  index.html: "<h1>from a ConfigMap</h1>\n"
  # The nginx image includes conf.d/*.conf (as the official image does): this volume replaces its
  # stock default.conf, so it brings the site's server.
  site.conf: "# a site\nserver { listen 80; root /usr/share/nginx/html; }\n"
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  volumes:
  - {name: content, configMap: {name: web-content}}
  - {name: tls, secret: {secretName: creds}}
  containers:
  - name: nginx
    image: nginx
    volumeMounts:
    - {name: content, mountPath: /usr/share/nginx/html/index.html, subPath: index.html}
    - {name: content, mountPath: /etc/nginx/conf.d}
    - {name: tls, mountPath: /etc/nginx/ssl}
YAML
lab apply -f "$tmp/web.yaml" >/dev/null
wait_for 30 running web || { lab describe pod web; fail "web is not Running"; }
web_ip=$(lab get pod web -o jsonpath='{.status.podIP}')
[ "$(retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$web_ip/")" = "<h1>from a ConfigMap</h1>" ] \
  || fail "nginx does not serve the ConfigMap's index.html"
[ "$(lab exec web -- cat /etc/nginx/ssl/username)" = admin ] || fail "/etc/nginx/ssl"
[ "$(lab exec web -- cat /etc/nginx/conf.d/site.conf | head -1)" = "# a site" ] || fail "/etc/nginx/conf.d"
lab exec web -- test -e /etc/nginx/conf.d/default.conf && fail "the stock default.conf shows through the ConfigMap"
lab exec web -- grep -q 'user www-data' /etc/nginx/nginx.conf || fail "the lab's nginx.conf is gone"

note "hostPath: DirectoryOrCreate made and writable; a failed type check is a FailedMount"
cat >"$tmp/host.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: host}
spec:
  volumes:
  - {name: out, hostPath: {path: $tmp/hostdir, type: DirectoryOrCreate}}
  containers:
  - {name: c, image: busybox, command: [sh, -c, 'echo written > /out/file; exec sleep 3600'], volumeMounts: [{name: out, mountPath: /out}]}
---
apiVersion: v1
kind: Pod
metadata: {name: host-bad}
spec:
  volumes:
  - {name: out, hostPath: {path: $tmp/not-there, type: Directory}}
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: out, mountPath: /out}]}
YAML
lab apply -f "$tmp/host.yaml" >/dev/null
wait_for 15 bash -c "[ \"\$(cat $tmp/hostdir/file 2>/dev/null)\" = written ]" || fail "the hostPath is not the host's directory"
wait_for 10 bash -c "'$LAB' get events --lab $L 2>/dev/null | grep -q 'hostPath type check failed: $tmp/not-there is not a directory'" \
  || fail "no FailedMount for a hostPath of the wrong type"
[ "$(status_col host-bad)" = ContainerCreating ] || fail "host-bad is $(status_col host-bad)"

note "deleting the pods removes their volumes from the host"
lab delete pod vol-demo late keyless web host host-bad >/dev/null
[ -d "$tmp/hostdir" ] || fail "a hostPath directory went with the pod"
for p in vol-demo late keyless web host host-bad; do
  [ ! -e "/run/lab/$L/pods/default_$p/volumes" ] || fail "$p's volumes are still on the host"
done

"$LAB" down --lab $L >/dev/null
expect_state "$before"
echo "PASS"
