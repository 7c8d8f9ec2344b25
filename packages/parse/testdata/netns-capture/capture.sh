#!/bin/bash
# Loads the rule files beside this script into a throwaway network namespace, makes a little traffic so
# counters move, and saves what the real tools print. Run as root from anywhere; the root namespace is not
# touched and the namespace is always deleted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ns="pbparse$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ipset restore < "$here/ipset.txt"
in_ns iptables-nft-restore < "$here/iptables-restore.txt"
in_ns ip6tables-nft-restore < "$here/ip6tables-restore.txt"
in_ns nft -f "$here/kube-proxy.nft"
# IPVS is per namespace too: a ClusterIP-like service, a persistent one, a UDP one and a fwmark one.
if in_ns ipvsadm -A -t 10.96.120.15:80 -s rr 2>/dev/null; then
  in_ns ipvsadm -a -t 10.96.120.15:80 -r 10.244.1.5:8080 -m -w 1
  in_ns ipvsadm -a -t 10.96.120.15:80 -r 10.244.2.7:8080 -m -w 1
  in_ns ipvsadm -A -t 10.96.0.50:80 -s rr -p 10800
  in_ns ipvsadm -a -t 10.96.0.50:80 -r 10.244.1.6:8080 -m -w 2
  in_ns ipvsadm -A -u 10.96.0.10:53 -s wlc
  in_ns ipvsadm -a -u 10.96.0.10:53 -r 10.244.1.9:53 -m -w 1
  in_ns ipvsadm -a -u 10.96.0.10:53 -r 10.244.2.9:53 -g -w 0
  in_ns ipvsadm -A -f 7 -s sh -b sh-port
  in_ns ipvsadm -a -f 7 -r 10.244.1.5:0 -i -w 3
  mkdir -p "$here/../netns-ipvsadm" "$here/../netns-proc-ip-vs"
  in_ns ipvsadm -Ln --exact > "$here/../netns-ipvsadm/input.txt"
  in_ns cat /proc/net/ip_vs > "$here/../netns-proc-ip-vs/input.txt"
else
  echo "ipvs not available in this kernel; skipping ipvsadm capture" >&2
fi
# Traffic on lo moves some counters (OUTPUT/INPUT policies and the ACCEPT rules).
in_ns ping -c 3 -i 0.2 -W 1 127.0.0.1 > /dev/null || true
# Each output becomes the input of a golden case beside this directory (expected.json: UPDATE_GOLDEN=1).
in_ns iptables-nft-save -c > "$here/../netns-iptables-v4/input.txt"
in_ns ip6tables-nft-save -c > "$here/../netns-iptables-v6/input.txt"
in_ns nft -j list ruleset > "$here/../netns-nft/input.json"
in_ns ipset save > "$here/../netns-ipset/input.txt"
echo "captured from namespace $ns"
