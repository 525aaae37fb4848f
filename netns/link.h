// Links through libnl-route in-process: bridges, veth pairs (peer born in another netns), up, delete.
// NlSocket is bound to the netns it was opened in, whatever netns the thread is in later.
#pragma once

#include <string>

#include "lab/base/result.h"
#include "netns/netns.h"

struct nl_sock;

namespace lab::net {

class NlSocket {
 public:
  NlSocket() = default;
  NlSocket(NlSocket&& o) noexcept;
  NlSocket& operator=(NlSocket&& o) noexcept;
  NlSocket(const NlSocket&) = delete;
  NlSocket& operator=(const NlSocket&) = delete;
  ~NlSocket();

  static Result<NlSocket> open_here();                  // in the calling thread's netns
  static Result<NlSocket> open_in(const Netns& ns);     // enters ns, opens, comes back
  nl_sock* get() const { return sock_; }
  // The name of the netns open_in() entered ("" for open_here or an anonymous netns). Errors of
  // calls on this socket name it: "create veth n1 (peer eth0) in lab-demo: File exists".
  const std::string& netns_name() const { return netns_name_; }

 private:
  explicit NlSocket(nl_sock* s) : sock_(s) {}
  nl_sock* sock_ = nullptr;
  std::string netns_name_;
};

// libnl reports negative NLE_* codes; this turns one into an Error with context.
Error nl_error(int nle_code, const std::string& what);

Result<int> link_index(NlSocket& sk, const std::string& name);
Result<bool> link_exists(NlSocket& sk, const std::string& name);
// The link's kind ("veth", "bridge", ...; "" for e.g. lo). ENODEV if missing.
Result<std::string> link_kind(NlSocket& sk, const std::string& name);
Result<void> create_bridge(NlSocket& sk, const std::string& name, bool up);

struct VethSpec {
  std::string name;           // this end, created in sk's netns
  std::string peer_name;      // the other end
  int peer_netns_fd = -1;     // where the peer is born; -1 = same netns
  int master_ifindex = 0;     // bridge to enslave this end to at creation; 0 = none
  bool up = true;             // bring this end up (the peer is brought up from its own netns)
};
Result<void> create_veth(NlSocket& sk, const VethSpec& spec);

Result<void> set_link_up(NlSocket& sk, const std::string& name);
Result<void> delete_link(NlSocket& sk, const std::string& name);  // ENODEV if missing
// Hairpin mode on a bridge port (a pod reaching itself through its Service).
Result<void> set_bridge_port_hairpin(NlSocket& sk, const std::string& name, bool on);

}  // namespace lab::net
