#!/usr/bin/env bash
# Re-records packages/parse/testdata/kube-proxy from the golden files here (run as root from the repo root):
#   bash packages/lab/src/kubeProxy/testdata/capture-parse-fixtures.sh
# Works only in throw-away namespaces named pbkp<pid>*, deleted on exit; never touches the root namespace.
set -euo pipefail
here=packages/lab/src/kubeProxy/testdata
out=packages/parse/testdata/kube-proxy
ns=pbkp$$
trap 'for n in $(ip netns list | awk "{print \$1}" | grep "^$ns" || true); do ip netns del "$n"; done' EXIT

node_ns() { # name: a namespace with a veth "eth0" as 192.0.2.11/24 and a default route, like node n1
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip -n "$1" link add eth0 type veth peer name eth0p
  ip -n "$1" addr add 192.0.2.11/24 dev eth0
  ip -n "$1" link set eth0 up
  ip -n "$1" link set eth0p up
  ip -n "$1" route add default via 192.0.2.1 dev eth0 onlink
}
traffic() { # bounded: one connect attempt of at most 1 s each
  for t in "$@"; do ip netns exec "$ns$suffix" timeout 1 bash -c "echo > /dev/tcp/$t" 2>/dev/null || true; done
}

cp "$here/small-cluster.json" "$out/cluster.json"

suffix=ipt1; node_ns "$ns$suffix"
ip netns exec "$ns$suffix" iptables-restore < "$here/small-cluster.n1.iptables"
traffic 10.96.120.15/80 10.96.120.15/80 10.96.120.15/80 10.96.44.201/443 10.96.0.1/443 10.96.150.40/8080
ip netns exec "$ns$suffix" iptables-save -c > "$out/n1.iptables-save-c.txt"

suffix=ipt2; ip netns add "$ns$suffix"
ip netns exec "$ns$suffix" iptables-restore < "$here/small-cluster.n2.iptables"
ip netns exec "$ns$suffix" iptables-save -c > "$out/n2.iptables-save-c.txt"

nft_traffic=(10.96.120.15/80 10.96.120.15/80 10.96.120.15/80 10.96.44.201/443 10.96.0.1/443 10.96.150.40/8080 10.96.140.30/7070 10.96.140.30/7070 10.96.99.99/80)
suffix=nft1; node_ns "$ns$suffix"
ip netns exec "$ns$suffix" nft -f "$here/small-cluster.n1.nft"
traffic "${nft_traffic[@]}"
ip netns exec "$ns$suffix" nft -j list ruleset > "$out/n1.nft-ruleset.json"

suffix=nft1c; node_ns "$ns$suffix"
# The counters variant is not a golden file: render it with a throw-away ESM script inside the package.
cat > "$here/_counters.tmp.mts" <<'TS'
import { readFileSync } from 'node:fs';
import { parseClusterList } from '@patchbay/schema';
import { renderNftRules } from '../index.js';
const { cluster } = parseClusterList('c', JSON.parse(readFileSync(new URL('./small-cluster.json', import.meta.url), 'utf8')));
process.stdout.write(renderNftRules(cluster, { nodeName: 'n1', nodeIPs: ['192.0.2.11'], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16', counters: true }));
TS
npx tsx "$here/_counters.tmp.mts" > "/tmp/$ns-counters.nft"
rm -f "$here/_counters.tmp.mts"
ip netns exec "$ns$suffix" nft -f "/tmp/$ns-counters.nft"
rm -f "/tmp/$ns-counters.nft"
traffic "${nft_traffic[@]}"
ip netns exec "$ns$suffix" nft -j list ruleset > "$out/n1.nft-ruleset-counters.json"

suffix=nft2; ip netns add "$ns$suffix"
ip netns exec "$ns$suffix" nft -f "$here/small-cluster.n2.nft"
ip netns exec "$ns$suffix" nft -j list ruleset > "$out/n2.nft-ruleset.json"
echo "recorded into $out"
