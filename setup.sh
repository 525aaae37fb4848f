#!/usr/bin/env bash
# Installs what lab needs (Debian 12 packages), builds it, installs /usr/local/bin/lab and, unless
# told --no-up, brings up the default scenario. Run as root from the repository.
set -euo pipefail
cd "$(dirname "$0")"

up=1
for a in "$@"; do
  case $a in
    --no-up) up=0 ;;
    *) echo "usage: $0 [--no-up]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (lab creates namespaces and links)" >&2; exit 1; }

packages=(
  # build
  g++ cmake make pkg-config libgtest-dev
  libnl-3-dev libnl-route-3-dev libnftables-dev libnftnl-dev libmnl-dev libcap-dev libseccomp-dev
  libboost-program-options-dev libyaml-cpp-dev nlohmann-json3-dev libsqlite3-dev
  libldns-dev libnetfilter-conntrack-dev libssl-dev libboost-dev protobuf-compiler libprotobuf-dev zlib1g-dev
  # what pods run: the images are recipes over these host binaries
  nginx-light busybox-static curl
  # what the lab and its tests use on the host
  iproute2 nftables iputils-ping procps
  bind9-dnsutils tmux conntrack openssl
  # the DNS benchmark: dnsperf, and dnsmasq (the -base package starts no service) to compare with
  dnsperf dnsmasq-base
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
install -m 0755 build/lab build/lab-pod-init build/lab-dns /usr/local/bin/

if [ $up = 1 ]; then
  if lab get pods --lab tutorial >/dev/null 2>&1; then
    echo "setup: the tutorial lab is already up:"
    lab get pods --lab tutorial -o wide
  else
    lab up scenarios/tutorial.yaml
  fi
fi
