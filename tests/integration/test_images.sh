# Minimal images (issue 11): a container's /usr is its image's root (its programs, the libraries
# they load, busybox, its data), never the host's /usr with its compilers and interpreters. The
# nginx image has the official layout (nginx.conf includes conf.d/*.conf, a stock default.conf a
# ConfigMap replaces); the tutorial's bprashanth/nginxhttps:1.0 serves HTTPS with the tutorial's
# default.conf and a TLS Secret; radial/busyboxplus:curl has curl; the tmpfs /tmp is bounded;
# the image roots are built once per lab and go with `lab down`.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-images
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
running() { [ "$(lab get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }
pod_ip() { lab get pod "$1" -o jsonpath='{.status.podIP}'; }

cat >"$tmp/lab.yaml" <<'YAML'
apiVersion: lab.dev/v1alpha1
kind: Lab
metadata: {name: images}
spec:
  nodes: 2
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: nginx
    image: nginx
---
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exec sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: curler}
spec:
  containers:
  - name: main
    image: radial/busyboxplus:curl
    command: ["sh", "-c", "exec sleep 3600"]
YAML
start=$(date +%s%N)
lab_up $L "$tmp/lab.yaml" >/dev/null
echo "lab up: $(( ($(date +%s%N) - start) / 1000000 )) ms"
for p in web box curler; do wait_for 20 running $p || fail "$p is not Running"; done

note "the image roots, built once per lab under /run/lab/$L/images"
ls /run/lab/$L/images
for d in nginx busybox radial_busyboxplus_curl coredns_coredns; do
  [ -d /run/lab/$L/images/$d ] || fail "no image root $d"
done
[ -z "$(ls -d /run/lab/$L/images/*.new-* 2>/dev/null)" ] || fail "a half-built image root is left"
mtime=$(stat -c %Y.%i /run/lab/$L/images/nginx)

note "ls /usr/bin and /usr/sbin in an nginx pod: nginx's files and busybox, no host tools"
usr_bin=$(lab exec web -- ls /usr/bin)
usr_sbin=$(lab exec web -- ls /usr/sbin)
echo "/usr/bin: $(echo $usr_bin)   /usr/sbin: $(echo $usr_sbin)"
grep -qx busybox <<<"$usr_bin" || fail "no busybox in the nginx pod's /usr/bin"
grep -qx nginx <<<"$usr_sbin" || fail "no nginx in the nginx pod's /usr/sbin"
for tool in gcc g++ cc python3 perl apt apt-get dpkg curl make; do
  grep -qx "$tool" <<<"$usr_bin" && fail "$tool is visible in the nginx pod"
  lab exec web -- sh -c "test -e /usr/bin/$tool || test -e /usr/local/bin/$tool" && fail "/usr/bin/$tool exists in the nginx pod"
done
lab exec web -- ls /usr/share/nginx/html/index.html >/dev/null || fail "nginx's document root is missing"
grep -q '^libc.so.6$' <<<"$(lab exec web -- sh -c 'ls /usr/lib/x86_64-linux-gnu/')" || fail "nginx's libc is missing"
grep -Eq 'python|perl|gcc' <<<"$(lab exec web -- sh -c 'ls /usr/lib/x86_64-linux-gnu/ /usr/lib/' 2>&1 || true)" && fail "host libraries beyond nginx's are visible"
lab exec web -- sh -c 'touch /usr/bin/x' 2>/dev/null && fail "the image root is writable"
ip=$(pod_ip web)
grep -q "Welcome to nginx!" <<<"$(retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$ip/")" || fail "nginx does not serve"
grep -q 'include /etc/nginx/conf.d/\*.conf;' <<<"$(lab exec web -- cat /etc/nginx/nginx.conf)" || fail "nginx.conf does not include conf.d"
grep -q 'listen 80;' <<<"$(lab exec web -- cat /etc/nginx/conf.d/default.conf)" || fail "no stock default.conf"

[ "$(lab exec web -- printenv HOSTNAME)" = web ] || fail "printenv (the tutorial's exec) does not work in nginx"
[ "$(lab exec box -- printenv HOSTNAME)" = box ] || fail "printenv does not work in busybox"

note "curl: absent from busybox, present and working in radial/busyboxplus:curl"
lab exec box -- sh -c 'test -e /usr/bin/curl' && fail "/usr/bin/curl exists in the busybox pod"
lab exec box -- sh -c 'command -v curl' && fail "curl is on the busybox pod's PATH"
out=$(lab exec curler -- curl -s --max-time 2 "http://$ip/")
grep -q "Welcome to nginx!" <<<"$out" || fail "curl in busyboxplus:curl did not get the page: $out"
grep -Eq '^(python3|perl|gcc)$' <<<"$(lab exec curler -- ls /usr/bin 2>&1 || true)" && fail "host tools in the curl pod"

note "exec probes (busybox applets) still work; the DNS pod runs from its image root"
dns=$(lab get pods -n kube-system -o name | head -1 | sed 's|^pod/||')
[ -n "$dns" ] || fail "no DNS pod"
wait_for 20 bash -c "[ \"\$('$LAB' get pod -n kube-system --lab $L $dns -o jsonpath='{.status.phase}')\" = Running ]" || fail "the DNS pod is not Running"
out=$(lab exec box -- nslookup kubernetes.default.svc.cluster.local 2>&1 || true)
grep -q "10.96.0.1" <<<"$out" || fail "cluster DNS does not answer from the image root: $out"

note "a ConfigMap at /etc/nginx/conf.d replaces default.conf"
cat >"$tmp/conf.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: alt-conf}
data:
  default.conf: |
    server {
        listen 8080;
        location / { return 200 "from the configmap\n"; }
    }
---
apiVersion: v1
kind: Pod
metadata: {name: alt}
spec:
  containers:
  - name: nginx
    image: nginx:1.25
    volumeMounts:
    - {name: conf, mountPath: /etc/nginx/conf.d}
  volumes:
  - name: conf
    configMap: {name: alt-conf}
YAML
lab apply -f "$tmp/conf.yaml" >/dev/null
wait_for 20 running alt || fail "alt is not Running"
alt_ip=$(pod_ip alt)
[ "$(retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$alt_ip:8080/")" = "from the configmap" ] \
  || fail "the ConfigMap's server does not answer on 8080"
"$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$alt_ip:80/" >/dev/null && fail "the stock default.conf still serves port 80"
grep -qx default.conf <<<"$(lab exec alt -- ls /etc/nginx/conf.d)" || fail "the ConfigMap's default.conf is not in conf.d"

note "bprashanth/nginxhttps:1.0 with the tutorial's default.conf and TLS Secret serves HTTPS"
openssl req -x509 -nodes -days 365 -newkey rsa:2048 -keyout "$tmp/nginx.key" -out "$tmp/nginx.crt" \
  -subj "/CN=my-nginx/O=my-nginx" 2>/dev/null
lab create secret tls nginxsecret --key "$tmp/nginx.key" --cert "$tmp/nginx.crt" >/dev/null
cp "$FIXTURES/tutorial/default.conf" "$tmp/default.conf"
(cd "$tmp" && "$LAB" create configmap nginxconfigmap --lab $L --from-file=default.conf >/dev/null)
cat >"$tmp/secure.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: my-nginx}
spec:
  selector: {matchLabels: {run: my-nginx}}
  replicas: 1
  template:
    metadata: {labels: {run: my-nginx}}
    spec:
      volumes:
      - name: secret-volume
        secret: {secretName: nginxsecret}
      - name: configmap-volume
        configMap: {name: nginxconfigmap}
      containers:
      - name: nginxhttps
        image: bprashanth/nginxhttps:1.0
        ports: [{containerPort: 443}, {containerPort: 80}]
        volumeMounts:
        - {mountPath: /etc/nginx/ssl, name: secret-volume}
        - {mountPath: /etc/nginx/conf.d, name: configmap-volume}
YAML
lab apply -f "$tmp/secure.yaml" >/dev/null
wait_for 30 bash -c "'$LAB' get pods --lab $L -l run=my-nginx --no-headers | grep -q '1/1 *Running'" \
  || { lab get pods -l run=my-nginx; lab logs deployment/my-nginx 2>&1 | tail -5; fail "my-nginx is not Running"; }
https_pod=$(lab get pods -l run=my-nginx -o name | head -1 | sed 's|^pod/||')
https_ip=$(pod_ip "$https_pod")
out=$(retry "$LAB" ssh --lab $L node-1 -- curl -sk --max-time 2 "https://$https_ip/")
grep -q "Welcome to nginx!" <<<"$out" || fail "curl -k https://$https_ip/ did not return the nginx page: $out"
subject=$("$LAB" ssh --lab $L node-1 -- curl -skv --max-time 2 "https://$https_ip/" 2>&1 | grep -i "subject:" || true)
grep -q "CN=my-nginx" <<<"$subject" || fail "the certificate is not the Secret's: $subject"
grep -q "Welcome to nginx!" <<<"$(retry "$LAB" ssh --lab $L node-1 -- curl -s --max-time 2 "http://$https_ip/")" \
  || fail "port 80 does not serve"
grep -q . <<<"$(lab exec "$https_pod" -- sh -c 'cat /proc/net/if_inet6')" || fail "no IPv6 address in the pod (listen [::]:80)"

note "tmpfs sizes are bounded: 200 MiB into /tmp fails with ENOSPC"
out=$(lab exec box -- dd if=/dev/zero of=/tmp/f bs=1M count=200 2>&1) && fail "200 MiB fit into /tmp: $out"
grep -q "No space left on device" <<<"$out" || fail "dd failed for another reason: $out"
echo "  $(tail -1 <<<"$out")"
lab exec box -- df -k /tmp /run /var | tail -3
lab exec box -- rm /tmp/f

note "image roots are not rebuilt per pod"
[ "$(stat -c %Y.%i /run/lab/$L/images/nginx)" = "$mtime" ] || fail "the nginx image root was rebuilt"

"$LAB" down --lab $L >/dev/null
[ ! -e /run/lab/$L ] || fail "/run/lab/$L is left after lab down"
expect_state "$before"
echo "PASS"
