// Per-netns sysctls (/proc/sys/net/...), written from inside the target netns.
#pragma once

#include <string>

#include "lab/base/result.h"
#include "netns/netns.h"

namespace lab::net {

// set_sysctl(ns, "net/ipv4/ip_forward", "1")
Result<void> set_sysctl(const Netns& ns, const std::string& key, const std::string& value);

}  // namespace lab::net
