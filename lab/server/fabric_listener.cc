#include "lab/server/fabric_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace lab::server {

Result<UniqueFd> listen_fabric(net::Ipv4 ip, uint16_t port, const std::string& device) {
  const std::string where = ip.str() + ":" + std::to_string(port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), static_cast<socklen_t>(device.size())) != 0)
    return fail_errno("bind " + where + " to device " + device);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(ip.value);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail_errno("bind " + where);
  if (::listen(fd.get(), SOMAXCONN) != 0) return fail_errno("listen " + where);
  return fd;
}

}  // namespace lab::server
