// Per-netns sysctls (/proc/sys/net/...), written from inside the target netns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lab/base/result.h"
#include "netns/netns.h"

namespace lab::net {

// set_sysctl(ns, "net/ipv4/ip_forward", "1")
Result<void> set_sysctl(const Netns& ns, const std::string& key, const std::string& value);
// Several, in order, with one switch into ns.
Result<void> set_sysctls(const Netns& ns, const std::vector<std::pair<std::string, std::string>>& settings);

// What a lab netns sets before any link of its own exists: IPv6 off on every link made in it from
// then on (lo, made with the netns, keeps ::1 for programs that listen on [::]). The lab is IPv4;
// with IPv6 each new link would run duplicate address detection and send MLD reports, which a
// node's bridge floods to all its pods: at a thousand pods that was a tenth of `lab up`'s CPU.
inline const std::pair<std::string, std::string> kNoIpv6OnNewLinks{"net/ipv6/conf/default/disable_ipv6", "1"};

}  // namespace lab::net
