// Generated /etc content. These replace the image's own /etc, which lab doesn't have: just
// enough for name lookups (getpwnam("www-data") in nginx, DNS via the cluster resolver).
#include "runtime/etc_files.h"

namespace lab::runtime {

std::string hosts_file(const PodRuntimeSpec& pod) {
  // The kubelet's managed hosts file (managedHostsFileContent); with a subdomain the pod's
  // line names its FQDN first.
  std::string s =
      "# Kubernetes-managed hosts file.\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  const std::string& host = pod.host_name();
  if (!pod.ip.empty()) {
    if (pod.host_domain.empty()) s += pod.ip + "\t" + host + "\n";
    else s += pod.ip + "\t" + host + "." + pod.host_domain + "\t" + host + "\n";
  }
  return s;
}

std::string resolv_conf(const PodRuntimeSpec& pod) {
  // containerd's order (kind, kubeadm): search, nameserver lines, options.
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += " " + s;
    return out;
  };
  std::string s;
  if (!pod.dns_search.empty()) s += "search" + join(pod.dns_search) + "\n";
  for (const auto& server : pod.dns_servers) s += "nameserver " + server + "\n";
  if (!pod.dns_options.empty()) s += "options" + join(pod.dns_options) + "\n";
  return s;
}

std::string nginx_conf() {
  // The official image's layout: the main context here, every server in conf.d, so that a
  // ConfigMap mounted at /etc/nginx/conf.d replaces the stock default.conf. `daemon off;` comes
  // from the image command, as in Docker's nginx image; one process (no master) keeps the pod's
  // process tree small. Temp paths stay at the compiled-in /var/lib/nginx/*, on the container's
  // /var tmpfs.
  return "user www-data;\n"
         "worker_processes 1;\n"
         "master_process off;\n"
         "pid /run/nginx.pid;\n"
         "error_log stderr;\n"
         "\n"
         "events {\n"
         "    worker_connections 768;\n"
         "}\n"
         "\n"
         "http {\n"
         "    include /etc/nginx/mime.types;\n"
         "    default_type application/octet-stream;\n"
         "    access_log /dev/stdout;\n"
         "    sendfile on;\n"
         "    include /etc/nginx/conf.d/*.conf;\n"
         "}\n";
}

std::string nginx_default_conf() {
  // The official image's /etc/nginx/conf.d/default.conf, its comments left out.
  return "server {\n"
         "    listen 80;\n"
         "    server_name localhost;\n"
         "\n"
         "    location / {\n"
         "        root /usr/share/nginx/html;\n"
         "        index index.html index.htm;\n"
         "    }\n"
         "}\n";
}

std::vector<std::pair<std::string, std::string>> etc_files(const PodRuntimeSpec& pod,
                                                           const Image& image,
                                                           const std::string& mime_types) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"hostname", pod.host_name() + "\n"},
      {"hosts", hosts_file(pod)},
      {"resolv.conf", resolv_conf(pod)},
      {"passwd",
       "root:x:0:0:root:/root:/bin/sh\n"
       "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
      {"group", "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n"},
      {"nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n"},
  };
  if (image.nginx) {
    files.emplace_back("nginx/nginx.conf", nginx_conf());
    files.emplace_back("nginx/conf.d/default.conf", nginx_default_conf());
    files.emplace_back("nginx/mime.types", mime_types);
  }
  return files;
}

}  // namespace lab::runtime
