# The tutorial "Connecting Applications with Services", sections "Securing the Service" and
# "Exposing the Service", typed as the tutorial types them (with `lab` for `kubectl`), from the
# tutorial's own files (tests/fixtures/tutorial): a self-signed pair, `create secret tls`,
# `create configmap --from-file=default.conf`, the base64 nginxsecrets.yaml, `delete
# deployments,svc my-nginx; create -f ./nginx-secure-app.yaml`, HTTPS to the pod from a node, from
# the curl pod through the Service's DNS name with the certificate as CA, to every node's
# ExternalIP at the nodePort from the host, and to the LoadBalancer's EXTERNAL-IP after `edit svc`.
source "$(dirname "$0")/lib.sh"
before=$(machine_state)
L=t-https
tmp=$(mktemp -d)
trap 'cleanup_labs; rm -rf "$tmp"' EXIT
welcome() { grep -q "<h1>Welcome to nginx!</h1>"; }

note "the tutorial so far: lab up, expose deployment/my-nginx"
lab_up $L "$TUTORIAL" >/dev/null
lab expose deployment/my-nginx | grep -qx "service/my-nginx exposed" || fail "expose"

note "openssl req -x509 ... -subj \"/CN=my-nginx/O=my-nginx\"; create secret tls; get secrets"
openssl req -x509 -nodes -days 365 -newkey rsa:2048 -keyout "$tmp/nginx.key" -out "$tmp/nginx.crt" \
  -subj "/CN=my-nginx/O=my-nginx" 2>/dev/null
out=$(lab create secret tls nginxsecret --key "$tmp/nginx.key" --cert "$tmp/nginx.crt")
[ "$out" = "secret/nginxsecret created" ] || fail "create secret tls printed: $out"
lab get secrets
[ "$(lab get secrets --no-headers | awk '$1 == "nginxsecret" {print $1, $2, $3}')" = "nginxsecret kubernetes.io/tls 2" ] \
  || fail "get secrets row"

note "create configmap nginxconfigmap --from-file=default.conf; describe configmap"
cp "$FIXTURES/tutorial/default.conf" "$FIXTURES/tutorial/nginx-secure-app.yaml" "$FIXTURES/tutorial/curlpod.yaml" "$tmp/"
out=$(cd "$tmp" && lab create configmap nginxconfigmap --from-file=default.conf)
[ "$out" = "configmap/nginxconfigmap created" ] || fail "create configmap printed: $out"
lab get configmaps --no-headers | awk '$1 == "nginxconfigmap"' | grep -q "nginxconfigmap *1 " || fail "get configmaps row"
desc=$(lab describe configmap nginxconfigmap)
echo "$desc" | head -8
[ "$(echo "$desc" | sed -n '6,9p')" = "$(printf 'Data\n====\ndefault.conf:\n----')" ] || fail "describe layout"
echo "$desc" | grep -qF "ssl_certificate /etc/nginx/ssl/tls.crt;" || fail "describe shows no default.conf"

note "nginxsecrets.yaml with the pair in base64 applies"
tutorial_secrets_yaml "$tmp/nginx.crt" "$tmp/nginx.key" >"$tmp/nginxsecrets.yaml"
lab apply -f "$tmp/nginxsecrets.yaml"

note "delete deployments,svc my-nginx; create -f ./nginx-secure-app.yaml"
lab delete deployments,svc my-nginx
out=$(cd "$tmp" && lab create -f ./nginx-secure-app.yaml)
echo "$out"
[ "$out" = "$(printf 'service/my-nginx created\ndeployment.apps/my-nginx created')" ] || fail "create -f printed: $out"
# One pod: the old Deployment's pods (same label) are gone and the new one runs.
only_running() { local rows; rows=$(lab get pods -l "$1" --no-headers 2>/dev/null); [ "$(wc -l <<<"$rows")" = 1 ] && grep -q '1/1 *Running' <<<"$rows"; }
wait_for 30 only_running run=my-nginx \
  || { lab get pods -l run=my-nginx; lab describe pods -l run=my-nginx | tail -20; fail "the HTTPS nginx did not start"; }
lab get pods -l run=my-nginx -o custom-columns=POD_IP:.status.podIPs
pod_ip=$(lab get pods -l run=my-nginx -o jsonpath='{.items[0].status.podIP}')
node=$(lab get pods -l run=my-nginx -o jsonpath='{.items[0].spec.nodeName}')

note "from a node: curl -k https://$pod_ip"
wait_for 5 bash -c "'$LAB' ssh --lab $L node-1 -- curl -sk --max-time 2 https://$pod_ip | grep -q 'Welcome to nginx!'" \
  || fail "https://$pod_ip does not answer node-1"
lab ssh node-1 -- curl -sk --max-time 2 "http://$pod_ip" | welcome || fail "port 80 of the same server"
# The certificate served is the Secret's.
served=$(lab ssh "$node" -- sh -c "openssl s_client -connect $pod_ip:443 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint")
[ "$served" = "$(openssl x509 -in "$tmp/nginx.crt" -noout -fingerprint)" ] || fail "nginx serves another certificate: $served"

note "the curl pod: curl https://my-nginx --cacert /etc/nginx/ssl/tls.crt"
lab apply -f "$tmp/curlpod.yaml" | grep -qx "deployment.apps/curl-deployment created" || fail "apply curlpod.yaml"
wait_for 30 only_running app=curlpod || fail "curl pod not Running"
lab get pods -l app=curlpod
curlpod=$(lab get pods -l app=curlpod -o jsonpath='{.items[0].metadata.name}')
wait_for 10 bash -c "'$LAB' exec --lab $L $curlpod -- curl -s --max-time 2 https://my-nginx --cacert /etc/nginx/ssl/tls.crt | grep -q 'Welcome to nginx!'" \
  || { lab exec "$curlpod" -- curl -sv --max-time 2 https://my-nginx --cacert /etc/nginx/ssl/tls.crt || true; fail "https://my-nginx from the curl pod"; }
# Verification is real: without the CA the same request is refused.
if lab exec "$curlpod" -- curl -s --max-time 2 https://my-nginx >/dev/null 2>&1; then fail "curl trusted the self-signed certificate without --cacert"; fi

note "Exposing the Service: get svc -o yaml | grep nodePort -C 5; get nodes -o yaml | grep ExternalIP -C 1"
lab get svc my-nginx -o yaml | grep nodePort -C 5
https_np=$(lab get svc my-nginx -o jsonpath='{.spec.ports[?(@.name=="https")].nodePort}')
[ -n "$https_np" ] || fail "no nodePort for https"
lab get nodes -o yaml | grep ExternalIP -C 1
ext_ips=$(lab get nodes -o yaml | grep ExternalIP -B 1 | awk '/address:/ {print $NF}')
[ "$(echo "$ext_ips" | wc -l)" = 2 ] || fail "expected an ExternalIP for each of 2 nodes: $ext_ips"
for ip in $ext_ips; do
  note "curl https://$ip:$https_np -k (from the host)"
  wait_for 5 bash -c "curl -sk --max-time 2 https://$ip:$https_np | grep -q 'Welcome to nginx!'" || fail "https://$ip:$https_np"
done

note "edit svc my-nginx (type: LoadBalancer); curl https://<EXTERNAL-IP> -k"
EDITOR="sed -i 's/type: NodePort/type: LoadBalancer/'" lab edit svc my-nginx | grep -qx "service/my-nginx edited" || fail "edit"
wait_for 5 bash -c "'$LAB' get svc --lab $L my-nginx -o jsonpath='{.status.loadBalancer.ingress[0].ip}' | grep -q ." || fail "no EXTERNAL-IP"
lab get svc my-nginx
lab get svc my-nginx --no-headers | awk '{print $2}' | grep -qx LoadBalancer || fail "TYPE is not LoadBalancer"
ext=$(lab get svc my-nginx -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
lab describe svc my-nginx | grep -q "^LoadBalancer Ingress: *$ext" || fail "describe shows no LoadBalancer Ingress"
wait_for 5 bash -c "curl -sk --max-time 2 https://$ext | grep -q 'Welcome to nginx!'" || fail "https://$ext from the host"

note "lab down leaves nothing"
lab down >/dev/null
TEST_LABS=()
expect_state "$before"
echo PASS
