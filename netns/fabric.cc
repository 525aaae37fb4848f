// The cluster's wiring from kernel objects: fabric netns with bridge br0, the one host veth, node
// netns (eth0 on br0, cbr0 for pods, routes, guard rules) and pod netns on a node's cbr0.
#include "netns/fabric.h"

#include <net/if.h>

#include <string>

#include "netns/addr.h"
#include "netns/fabric_guard.h"
#include "netns/fabric_names.h"
#include "netns/link.h"
#include "netns/neigh.h"
#include "netns/nft.h"
#include "netns/route.h"
#include "netns/sysctl.h"

namespace lab::net {
namespace {

using namespace fabric_names;
constexpr Cidr kDefault{Ipv4{0}, 0};
constexpr size_t kMaxNodes = 1000;  // a bridge takes 1023 ports; keep one for the host and slack

// Adds what was being done to an error from a step: "<outer>: <step error>".
template <typename T>
Result<T> ctx(Result<T> r, const std::string& outer) {
  if (!r) return std::unexpected(r.error().context(outer));
  return r;
}

Result<void> check_plan(const FabricPlan& plan) {
  auto bad = [&](const std::string& why) {
    return fail("invalid network plan for lab " + plan.lab + ": " + why, EINVAL);
  };
  if (plan.fabric_netns.empty()) return bad("no fabric netns name");
  if (plan.host_link.empty() || plan.host_link.size() > 15)
    return bad("host link name \"" + plan.host_link + "\" must have 1 to 15 characters");
  if (!plan.node_cidr.contains(plan.host_ip) || plan.host_ip == plan.node_cidr.first() ||
      plan.host_ip == plan.node_cidr.last())
    return bad("host address " + plan.host_ip.str() + " is not a host address of the node network " +
               plan.node_cidr.str());
  if (plan.nodes.size() > kMaxNodes) return bad("more than " + std::to_string(kMaxNodes) + " nodes");
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodePlan& n = plan.nodes[i];
    if (n.netns_name.empty()) return bad("node " + n.name + " has no netns name");
    if (!plan.node_cidr.contains(n.ip) || n.ip == plan.host_ip || n.ip == plan.node_cidr.first() ||
        n.ip == plan.node_cidr.last())
      return bad("node " + n.name + " address " + n.ip.str() +
                 " is not a free address of the node network " + plan.node_cidr.str());
    if (n.pod_cidr.prefix > 30 || n.pod_cidr.prefix < plan.pod_cidr.prefix ||
        !plan.pod_cidr.contains(n.pod_cidr.first()))
      return bad("node " + n.name + " pod CIDR " + n.pod_cidr.str() +
                 " is not a block inside the pod network " + plan.pod_cidr.str());
    for (size_t j = 0; j < i; ++j) {
      if (plan.nodes[j].ip == n.ip || plan.nodes[j].pod_cidr.overlaps(n.pod_cidr) ||
          plan.nodes[j].netns_name == n.netns_name)
        return bad("nodes " + plan.nodes[j].name + " and " + n.name +
                   " share an address, pod CIDR or netns name");
    }
  }
  return {};
}

// What build_fabric has made so far, so a failed build removes exactly that and never something
// that was there before (a name taken by another lab, say).
struct Made {
  bool fabric = false;
  bool host_link = false;
  std::vector<NodePlan> nodes;
};

// guard_rules: netns/fabric_guard.cc.

Result<void> build_node(const FabricPlan& plan, size_t i, NlSocket& fabric_sk, int br0,
                        Made& made) {
  const NodePlan& node = plan.nodes[i];
  auto ns = Netns::create_named(node.netns_name);
  if (!ns) return std::unexpected(ns.error());
  made.nodes.push_back(node);
  LAB_TRY(set_sysctls(*ns, {kNoIpv6OnNewLinks, {"net/ipv4/ip_forward", "1"}}));

  LAB_TRY(create_veth(fabric_sk, VethSpec{.name = node_port(i),
                                           .peer_name = kNodeEth,
                                           .peer_netns_fd = ns->fd(),
                                           .master_ifindex = br0,
                                           .up = true}));
  auto sk = NlSocket::open_in(*ns);
  if (!sk) return std::unexpected(sk.error());
  LAB_TRY(set_link_up(*sk, "lo"));
  LAB_TRY(add_address(*sk, kNodeEth, node.ip, plan.node_cidr.prefix));
  // Up before the routes below: a gateway must be reachable through a link that is up.
  LAB_TRY(set_link_up(*sk, kNodeEth));
  LAB_TRY(create_bridge(*sk, kNodeBridge, true));
  // Pinned, as the pods' permanent neighbour entries for their gateway name it.
  LAB_TRY(set_link_mac(*sk, kNodeBridge, mac_for(node.pod_cidr.at(1))));
  LAB_TRY(add_address(*sk, kNodeBridge, node.pod_cidr.at(1), node.pod_cidr.prefix));
  for (const NodePlan& other : plan.nodes) {
    if (&other != &node) LAB_TRY(add_route_via(*sk, other.pod_cidr, other.ip));
  }
  // Without it the node itself cannot reach a ClusterIP: routing happens before output DNAT.
  LAB_TRY(add_route_dev(*sk, plan.service_cidr, kNodeBridge));
  // Pod /24s not (yet) given to a node, and everything outside the lab, are refused here.
  LAB_TRY(add_unreachable_route(*sk, plan.pod_cidr));
  LAB_TRY(add_unreachable_route(*sk, kDefault));
  auto nft = NftContext::open_in(*ns);
  if (!nft) return std::unexpected(nft.error().context("guard rules in " + node.netns_name));
  LAB_TRY(ctx(nft->run(guard_rules(plan)), "guard rules in " + node.netns_name));
  return {};
}

// Made from the fabric side, so the fabric end is enslaved and up in the same request and the host
// end is born in the host netns; the host end is then configured from the host socket.
Result<void> make_host_link(const FabricPlan& plan, NlSocket& fabric_sk, int br0, const Netns& host,
                            NlSocket& host_sk, bool* created = nullptr) {
  LAB_TRY(create_veth(fabric_sk, VethSpec{.name = kFabricHostPort,
                                          .peer_name = plan.host_link,
                                          .peer_netns_fd = host.fd(),
                                          .master_ifindex = br0,
                                          .up = true}));
  if (created) *created = true;
  LAB_TRY(add_address(host_sk, plan.host_link, plan.host_ip, plan.node_cidr.prefix));
  LAB_TRY(set_link_up(host_sk, plan.host_link));
  return {};
}

Result<void> build(const FabricPlan& plan, Made& made) {
  LAB_TRY(check_plan(plan));
  auto host = Netns::current();
  if (!host) return std::unexpected(host.error());
  auto host_sk = NlSocket::open_here();
  if (!host_sk) return std::unexpected(host_sk.error());
  // Checked up front so the error names the host side rather than the veth's fabric end.
  auto taken = link_exists(*host_sk, plan.host_link);
  if (!taken) return std::unexpected(taken.error());
  if (*taken) return fail("create host link " + plan.host_link + ": a link of that name exists", EEXIST);

  auto fabric = Netns::create_named(plan.fabric_netns);
  if (!fabric) return std::unexpected(fabric.error());
  made.fabric = true;
  LAB_TRY(set_sysctls(*fabric, {kNoIpv6OnNewLinks}));
  auto fabric_sk = NlSocket::open_in(*fabric);
  if (!fabric_sk) return std::unexpected(fabric_sk.error());
  LAB_TRY(set_link_up(*fabric_sk, "lo"));
  LAB_TRY(create_bridge(*fabric_sk, kFabricBridge, true));
  auto br0 = link_index(*fabric_sk, kFabricBridge);
  if (!br0) return std::unexpected(br0.error());

  LAB_TRY(make_host_link(plan, *fabric_sk, *br0, *host, *host_sk, &made.host_link));

  for (size_t i = 0; i < plan.nodes.size(); ++i) LAB_TRY(build_node(plan, i, *fabric_sk, *br0, made));
  return {};
}

}  // namespace

Result<void> build_fabric(const FabricPlan& plan) {
  Made made;
  // Every handle build() opened is closed when it returns, so the netns it made can really go.
  auto built = build(plan, made);
  if (built) return {};
  FabricPlan undo;
  undo.lab = plan.lab;
  if (made.fabric) undo.fabric_netns = plan.fabric_netns;
  if (made.host_link) undo.host_link = plan.host_link;
  undo.nodes = std::move(made.nodes);
  if (auto r = teardown_fabric(undo); !r) {
    Error err = built.error();
    err.message += " (and cleaning up failed: " + r.error().what() + ")";
    return std::unexpected(err);
  }
  return built;
}

Result<void> repair_host_link(const FabricPlan& plan) {
  auto fabric = Netns::open_named(plan.fabric_netns);
  if (!fabric) return std::unexpected(fabric.error().context("repair host link"));
  auto fabric_sk = NlSocket::open_in(*fabric);
  auto host = Netns::current();
  auto host_sk = NlSocket::open_here();
  if (!fabric_sk || !host || !host_sk) return fail("repair host link: cannot open the netlink sockets");
  // Either end gone takes the other with it, but a half-deleted pair is possible in between.
  if (auto r = delete_link(*fabric_sk, kFabricHostPort); !r && r.error().code != ENODEV) return r;
  auto br0 = link_index(*fabric_sk, kFabricBridge);
  if (!br0) return std::unexpected(br0.error().context("repair host link"));
  return ctx(make_host_link(plan, *fabric_sk, *br0, *host, *host_sk), "repair host link " + plan.host_link);
}

Result<void> teardown_fabric(const FabricPlan& plan) {
  Result<void> first;
  auto keep = [&](Result<void> r) {
    if (!r && first) first = std::unexpected(r.error());
  };
  if (!plan.fabric_netns.empty()) {
    // Deleting the fabric end removes the host end too, at once (a dying netns takes its links
    // only later, asynchronously, which would keep the host link's name taken for a while).
    if (auto fabric = Netns::open_named(plan.fabric_netns); fabric) {
      auto sk = NlSocket::open_in(*fabric);
      if (!sk) {
        keep(std::unexpected(sk.error()));
      } else if (auto r = delete_link(*sk, kFabricHostPort); !r && r.error().code != ENODEV) {
        keep(r);
      }
    }
  }
  // Left over only if the fabric netns lost its name while still alive. if_nametoindex asks
  // without the rtnl lock (a netlink request waits behind the kernel's cleanup of dying netns),
  // so the usual case, no such link, costs nothing.
  if (!plan.host_link.empty() && ::if_nametoindex(plan.host_link.c_str()) != 0) {
    // Only a veth is ever ours: a host link of another kind with this name (eth0, say) is
    // never touched.
    auto sk = NlSocket::open_here();
    if (!sk) {
      keep(std::unexpected(sk.error()));
    } else if (auto kind = link_kind(*sk, plan.host_link); kind && *kind == "veth") {
      if (auto r = delete_link(*sk, plan.host_link); !r && r.error().code != ENODEV) keep(r);
    } else if (kind) {
      keep(fail("remove host link " + plan.host_link + ": it is a " +
                    (kind->empty() ? std::string("device") : *kind) +
                    ", not the lab's veth; left alone",
                EEXIST));
    } else if (kind.error().code != ENODEV) {
      keep(std::unexpected(kind.error()));
    }
  }
  for (const NodePlan& node : plan.nodes) keep(remove_named_netns(node.netns_name));
  if (!plan.fabric_netns.empty()) keep(remove_named_netns(plan.fabric_netns));
  return first;
}

Result<PodNetwork> create_pod_network(const FabricPlan& plan, const NodePlan& node, Ipv4 ip,
                                      const std::string& host_veth) {
  std::string what = "create pod network " + host_veth + " on " + node.name;
  Ipv4 gateway = node.pod_cidr.at(1);
  if (!node.pod_cidr.contains(ip) || ip == gateway || ip == node.pod_cidr.first() ||
      ip == node.pod_cidr.last())
    return fail(what + ": " + ip.str() + " is not a pod address of " + node.pod_cidr.str(), EINVAL);
  auto node_ns = Netns::open_named(node.netns_name);
  if (!node_ns) return std::unexpected(node_ns.error().context(what));
  auto node_sk = NlSocket::open_in(*node_ns);
  if (!node_sk) return std::unexpected(node_sk.error().context(what));
  auto cbr0 = link_index(*node_sk, kNodeBridge);
  if (!cbr0) return std::unexpected(cbr0.error().context(what));
  auto pod = Netns::create_anonymous();
  if (!pod) return std::unexpected(pod.error().context(what));
  // Before its eth0 exists. ip_unprivileged_port_start lets pod processes without
  // CAP_NET_BIND_SERVICE listen on :80, as containers expect.
  if (auto r = set_sysctls(*pod, {kNoIpv6OnNewLinks, {"net/ipv4/ip_unprivileged_port_start", "0"}}); !r)
    return std::unexpected(r.error().context(what));

  if (auto r = create_veth(*node_sk, VethSpec{.name = host_veth,
                                              .peer_name = kPodEth,
                                              .peer_netns_fd = pod->fd(),
                                              .master_ifindex = *cbr0,
                                              .up = true});
      !r)
    return std::unexpected(r.error().context(what));

  // Everything after the veth exists: on failure delete it (the pod netns goes with its last fd).
  auto wire = [&]() -> Result<void> {
    // A pod reaching itself through its own Service leaves and re-enters through this port.
    LAB_TRY(set_bridge_port_hairpin(*node_sk, host_veth, true));
    auto sk = NlSocket::open_in(*pod);
    if (!sk) return std::unexpected(sk.error());
    LAB_TRY(set_link_up(*sk, "lo"));
    // Permanent neighbour entries both ways (netns/neigh.h: a thousand pods' dynamic ones
    // overflow the kernel's shared table and packets drop).
    LAB_TRY(set_link_mac(*sk, kPodEth, mac_for(ip)));
    LAB_TRY(add_address(*sk, kPodEth, ip, node.pod_cidr.prefix));
    LAB_TRY(set_link_up(*sk, kPodEth));
    LAB_TRY(set_permanent_neighbor(*sk, kPodEth, gateway, mac_for(gateway)));
    LAB_TRY(set_permanent_neighbor(*node_sk, kNodeBridge, ip, mac_for(ip)));
    LAB_TRY(add_route_via(*sk, plan.pod_cidr, gateway));
    LAB_TRY(add_route_via(*sk, plan.service_cidr, gateway));
    LAB_TRY(add_route_via(*sk, plan.node_cidr, gateway));
    LAB_TRY(add_unreachable_route(*sk, kDefault));
    return {};
  };
  if (auto r = wire(); !r) {
    (void)delete_link(*node_sk, host_veth);
    return std::unexpected(r.error().context(what));
  }
  return PodNetwork{std::move(*pod), ip, host_veth};
}

Result<void> delete_pod_network(const NodePlan& node, const std::string& host_veth) {
  std::string what = "delete pod network " + host_veth + " on " + node.name;
  auto node_ns = Netns::open_named(node.netns_name);
  if (!node_ns) {
    // No node netns, no veth in it.
    if (node_ns.error().code == ENOENT) return {};
    return std::unexpected(node_ns.error().context(what));
  }
  auto sk = NlSocket::open_in(*node_ns);
  if (!sk) return std::unexpected(sk.error().context(what));
  if (auto r = delete_link(*sk, host_veth); !r && r.error().code != ENODEV)
    return std::unexpected(r.error().context(what));
  return {};
}

}  // namespace lab::net
