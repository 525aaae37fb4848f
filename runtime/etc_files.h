// The generated files of a container's /etc (hosts, resolv.conf, passwd, nginx.conf ...):
// plain text from the pod spec, so they can be checked without root.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/image.h"
#include "runtime/pod_spec.h"

namespace lab::runtime {

std::string hosts_file(const PodRuntimeSpec& pod);
std::string resolv_conf(const PodRuntimeSpec& pod);
std::string nginx_conf();          // nginx.conf: the main context, servers from conf.d/*.conf
std::string nginx_default_conf();  // conf.d/default.conf: port 80, /usr/share/nginx/html

// Every file for /etc as (path relative to /etc, content): hostname, hosts, resolv.conf,
// passwd, group, nsswitch.conf, and for nginx images nginx/nginx.conf, nginx/conf.d/default.conf
// and nginx/mime.types
// (mime_types is the host's copy, read once by the caller).
std::vector<std::pair<std::string, std::string>> etc_files(const PodRuntimeSpec& pod,
                                                           const Image& image,
                                                           const std::string& mime_types);

}  // namespace lab::runtime
