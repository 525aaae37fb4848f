#include "netns/node_health.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "netns/fabric_names.h"
#include "netns/link.h"

namespace lab::net {
namespace {

using namespace fabric_names;

// A missing link, or a lookup that failed, as a problem; nullopt when the link is there.
std::optional<std::string> missing(NlSocket& sk, const std::string& link, const std::string& where) {
  auto there = link_exists(sk, link);
  if (!there) return "cannot look up " + link + " in " + where + ": " + there.error().what();
  if (!*there) return link + " is missing in " + where;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> node_network_problem(const FabricPlan& plan, size_t node_index, const Netns& held) {
  const NodePlan& node = plan.nodes.at(node_index);
  const std::string path = std::string(kNetnsDir) + "/" + node.netns_name;
  struct stat named {}, ours {};
  if (::stat(path.c_str(), &named) != 0) return "netns " + node.netns_name + " is gone";
  if (::fstat(held.fd(), &ours) != 0) return "cannot read the node's netns: " + std::string(std::strerror(errno));
  if (named.st_ino != ours.st_ino || named.st_dev != ours.st_dev)
    return "netns " + node.netns_name + " is no longer the node's";
  auto sk = NlSocket::open_in(held);
  if (!sk) return "cannot open netlink in " + node.netns_name + ": " + sk.error().what();
  if (auto p = missing(*sk, kNodeEth, node.netns_name)) return p;
  if (auto p = missing(*sk, kNodeBridge, node.netns_name)) return p;
  auto fabric = Netns::open_named(plan.fabric_netns);
  if (!fabric) return "netns " + plan.fabric_netns + " is gone";
  auto fsk = NlSocket::open_in(*fabric);
  if (!fsk) return "cannot open netlink in " + plan.fabric_netns + ": " + fsk.error().what();
  return missing(*fsk, node_port(node_index), plan.fabric_netns);
}

std::optional<std::string> host_link_problem(const FabricPlan& plan) {
  auto sk = NlSocket::open_here();
  if (!sk) return "cannot open netlink: " + sk.error().what();
  return missing(*sk, plan.host_link, "the host");
}

}  // namespace lab::net
