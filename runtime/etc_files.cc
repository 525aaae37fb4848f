// Generated /etc content. These replace the image's own /etc, which lab doesn't have: just
// enough for name lookups (getpwnam("www-data") in nginx, DNS via the cluster resolver).
#include "runtime/etc_files.h"

namespace lab::runtime {

std::string hosts_file(const PodRuntimeSpec& pod) {
  // The kubelet's managed hosts file, minus the ip6 multicast lines nobody reads.
  std::string s =
      "# Kubernetes-managed hosts file (lab).\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n";
  if (!pod.ip.empty()) s += pod.ip + "\t" + pod.name + "\n";
  return s;
}

std::string resolv_conf(const PodRuntimeSpec& pod) {
  std::string s;
  if (!pod.dns_server.empty()) s += "nameserver " + pod.dns_server + "\n";
  if (!pod.dns_search.empty()) {
    s += "search";
    for (const auto& d : pod.dns_search) s += " " + d;
    s += "\n";
  }
  s += "options ndots:5\n";
  return s;
}

std::string nginx_conf() {
  // `daemon off;` comes from the image command, as in Docker's nginx image. Temp paths stay at
  // the compiled-in /var/lib/nginx/*, which sits on the container's /var tmpfs.
  return "user www-data;\n"
         "worker_processes 1;\n"
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
         "    server {\n"
         "        listen 80 default_server;\n"
         "        root /usr/share/nginx/html;\n"
         "        index index.html index.htm;\n"
         "        server_name _;\n"
         "    }\n"
         "}\n";
}

std::vector<std::pair<std::string, std::string>> etc_files(const PodRuntimeSpec& pod,
                                                           const Image& image,
                                                           const std::string& mime_types) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"hostname", pod.name + "\n"},
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
    files.emplace_back("nginx/mime.types", mime_types);
  }
  return files;
}

}  // namespace lab::runtime
