#!/usr/bin/env bash
# Installs the system packages Patchbay's tests need on a fresh Debian machine (run as root).
# iproute2/iptables/nftables/conntrack/ipset/ipvsadm: the lab builds real dataplanes and the agent reads them.
# iputils-ping: the lab's ICMP probes.
# openssl: the lab's control plane makes its certificates with it; iproute2's ss shows where it listens.
# chromium: the e2e and cytoscape benches drive Debian's Chromium through Playwright (no browser download works here).
set -euo pipefail
pkgs=(openssl iproute2 iptables nftables conntrack ipset ipvsadm kmod procps iputils-ping chromium fonts-dejavu-core)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "system packages ready: ${pkgs[*]}"
