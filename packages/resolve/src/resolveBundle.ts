import { nftRuleset, sectionText, type Bundle } from '@patchbay/bundle';
import type { IpLink, NamespaceState, NodeSnapshot, NftRuleset, Pod } from '@patchbay/schema';
import { ipToInt, parseCidr } from './ipv4.js';
import type {
  AddressOwner,
  ClusterModel,
  DeviceModel,
  NetnsModel,
  NodeModel,
  PodModel,
  RulesetModel,
  ServiceEndpointModel,
  ServiceModel,
} from './model.js';
import { buildRouting, type RoutingModel } from './routing.js';

// Joins a bundle (cluster objects + node snapshots) into one linked model. Pure: data in, data out.

const podKey = (ns: string, name: string) => `${ns}/${name}`;

function addOwner(index: Map<string, AddressOwner[]>, ip: string, owner: AddressOwner): void {
  const list = index.get(ip);
  if (!list) index.set(ip, [owner]);
  else if (!list.some((o) => JSON.stringify(o) === JSON.stringify(owner))) list.push(owner);
}

function isUp(link: IpLink): boolean {
  // A veth whose peer is down reports LOWER_UP absent but is still administratively UP; the kernel forwards only
  // when both are set, so we require both (loopback reports operstate UNKNOWN but LOWER_UP).
  return link.flags.includes('UP') && (link.flags.includes('LOWER_UP') || link.operstate === 'UP');
}

function sysctlOn(sysctls: Record<string, string>, key: string): boolean {
  const v = sysctls[key];
  return v !== undefined && v.trim() !== '0';
}

function detectCni(snapshot: NodeSnapshot | null): NodeModel['cni'] {
  if (!snapshot) return { kind: 'unknown', enforcesNetworkPolicy: null, evidence: 'node not observed' };
  const names = new Set(snapshot.host.links.map((l) => l.ifname));
  const configs = snapshot.cni.configs.map((c) => c.content).join('\n');
  const hasType = (t: string) => new RegExp(`"type"\\s*:\\s*"${t}"`).test(configs);
  if (names.has('cilium_host') || hasType('cilium-cni')) return { kind: 'cilium', enforcesNetworkPolicy: true, evidence: 'cilium_host device / cilium-cni config' };
  if (hasType('calico') || [...names].some((n) => n.startsWith('cali') || n === 'vxlan.calico' || n === 'tunl0')) {
    return { kind: 'calico', enforcesNetworkPolicy: true, evidence: 'cali* devices / calico CNI config (Calico enforces NetworkPolicy)' };
  }
  if (names.has('weave') || hasType('weave-net')) return { kind: 'weave', enforcesNetworkPolicy: true, evidence: 'weave bridge (weave-npc enforces NetworkPolicy)' };
  const flannelDev = [...names].find((n) => /^flannel\.\d+$/.test(n));
  if (flannelDev) return { kind: 'flannel-vxlan', enforcesNetworkPolicy: false, evidence: `${flannelDev} VXLAN device (flannel alone does not enforce NetworkPolicy)` };
  if (hasType('flannel')) return { kind: 'flannel-host-gw', enforcesNetworkPolicy: false, evidence: 'flannel CNI config without a VXLAN device (flannel alone does not enforce NetworkPolicy)' };
  if (hasType('bridge') || names.has('cni0')) return { kind: 'bridge', enforcesNetworkPolicy: false, evidence: 'bridge CNI (cni0); the bridge plugin does not enforce NetworkPolicy' };
  return { kind: 'unknown', enforcesNetworkPolicy: null, evidence: 'no known CNI device or config' };
}

function detectKubeProxy(snapshot: NodeSnapshot | null, rs: RulesetModel | null): NodeModel['kubeProxy'] {
  if (!snapshot || !rs) return { mode: 'unknown', evidence: 'node not observed' };
  let ipvsServices = rs.compiled.get('resolve/ipvs') as boolean | undefined;
  if (ipvsServices === undefined) {
    ipvsServices = rs.ipvs !== null && /^(TCP|UDP|SCTP)\s/m.test(rs.ipvs);
    rs.compiled.set('resolve/ipvs', ipvsServices);
  }
  if (snapshot.host.links.some((l) => l.ifname === 'kube-ipvs0') || ipvsServices) {
    return { mode: 'ipvs', evidence: 'kube-ipvs0 device / IPVS virtual servers' };
  }
  const nftTables = (rs.nft?.nftables ?? []).slice(0, 64).filter((o): o is { table: { family: string; name: string } } => typeof o === 'object' && o !== null && 'table' in o);
  if (nftTables.some((o) => o.table.name === 'kube-proxy' && o.table.family === 'ip')) return { mode: 'nftables', evidence: 'nft table ip kube-proxy' };
  // Scanned once per distinct ruleset (16 MB on a big cluster), not once per node.
  let hasKubeServices = rs.compiled.get('resolve/kube-services') as boolean | undefined;
  if (hasKubeServices === undefined) {
    hasKubeServices = rs.iptables !== null && (rs.iptables.startsWith(':KUBE-SERVICES ') || rs.iptables.includes('\n:KUBE-SERVICES '));
    rs.compiled.set('resolve/kube-services', hasKubeServices);
  }
  if (hasKubeServices) return { mode: 'iptables', evidence: 'iptables chain KUBE-SERVICES' };
  return { mode: 'none', evidence: 'no kube-proxy chains, nft table or IPVS services' };
}

function rulesetKeyPart(section: unknown): string {
  if (section === null || section === undefined) return '-';
  if (typeof section === 'string') return `t:${section}`;
  const ref = section as { sha256?: string };
  if (typeof ref.sha256 === 'string') return `b:${ref.sha256}`;
  return `j:${JSON.stringify(section)}`;
}

export function resolveBundle(bundle: Bundle): ClusterModel {
  const warnings: string[] = [];
  const { cluster, snapshots, blobs } = bundle;
  const nodes = new Map<string, NodeModel>();
  const namespaces = new Map<string, NetnsModel>();
  const devices = new Map<string, DeviceModel>();
  const pods = new Map<string, PodModel>();
  const services = new Map<string, ServiceModel>();
  const addressOwners = new Map<string, AddressOwner[]>();
  const rulesets = new Map<string, RulesetModel>();

  const snapshotByNode = new Map(snapshots.map((s) => [s.nodeName, s]));
  const nodeObjects = new Map(cluster.nodes.map((n) => [n.metadata.name, n]));
  const nodeNames = [...new Set([...nodeObjects.keys(), ...snapshotByNode.keys()])].sort();

  // Pods first (cluster objects), so namespaces can be matched to them by address.
  const podsByNodeIp = new Map<string, Pod>();
  for (const p of cluster.pods) {
    const key = podKey(p.metadata.namespace, p.metadata.name);
    const ip = p.status.podIP ?? p.status.podIPs?.[0]?.ip ?? null;
    pods.set(key, {
      key,
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      node: p.spec.nodeName ?? null,
      ip,
      hostNetwork: p.spec.hostNetwork === true,
      labels: p.metadata.labels ?? {},
      netns: null,
      hostDevice: null,
      object: p,
    });
    if (ip && !p.spec.hostNetwork) {
      podsByNodeIp.set(`${p.spec.nodeName ?? ''}|${ip}`, p);
      addOwner(addressOwners, ip, { kind: 'pod', pod: key });
    }
  }

  const podCIDRs = new Set<string>();
  for (const name of nodeNames) {
    const obj = nodeObjects.get(name);
    const snap = snapshotByNode.get(name) ?? null;
    if (!obj) warnings.push(`node ${name} has a snapshot but no Node object in cluster.json`);
    if (!snap) warnings.push(`node ${name} has no snapshot: it is not observed, and traces through it say "unknown"`);
    const cidrs = obj?.spec.podCIDRs ?? (obj?.spec.podCIDR ? [obj.spec.podCIDR] : []);
    for (const c of cidrs) podCIDRs.add(c);
    const internalIP = obj?.status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? null;

    let rulesetKey: string | null = null;
    let rs: RulesetModel | null = null;
    if (snap) {
      const v4 = snap.iptables.filter((d) => d.family === 'ipv4');
      const dump = v4.find((d) => d.backend === snap.iptablesBackendInUse) ?? v4.find((d) => /^:KUBE-/m.test(typeof d.save === 'string' ? d.save : '')) ?? v4[0] ?? null;
      rulesetKey = [rulesetKeyPart(dump?.save), rulesetKeyPart(snap.nft), rulesetKeyPart(snap.ipvs), rulesetKeyPart(snap.ipsets)].join('|');
      rs = rulesets.get(rulesetKey) ?? null;
      if (!rs) {
        const text = (section: Parameters<typeof sectionText>[0] | null | undefined, what: string): string | null => {
          if (section === null || section === undefined) return null;
          try {
            return sectionText(section, blobs);
          } catch (err) {
            warnings.push(`node ${name}: ${what} unavailable: ${(err as Error).message}`);
            return null;
          }
        };
        let nft: NftRuleset | null = null;
        try {
          nft = nftRuleset(snap, blobs);
        } catch (err) {
          warnings.push(`node ${name}: nft ruleset unavailable: ${(err as Error).message}`);
        }
        rs = {
          key: rulesetKey,
          nodes: [],
          iptables: text(dump?.save, 'iptables-save'),
          iptablesBackend: dump?.backend ?? null,
          nft,
          ipvs: text(snap.ipvs, 'ipvsadm'),
          ipsets: text(snap.ipsets, 'ipset save'),
          compiled: new Map(),
        };
        rulesets.set(rulesetKey, rs);
      }
      rs.nodes.push(name);
    }

    const node: NodeModel = {
      name,
      observed: snap !== null,
      snapshot: snap,
      internalIP,
      podCIDRs: cidrs,
      hostNetns: `${name}/host`,
      netns: [],
      cni: detectCni(snap),
      kubeProxy: detectKubeProxy(snap, rs),
      ruleset: rulesetKey,
      sysctls: snap?.host.sysctls ?? {},
      localAddresses: new Set(),
      errors: (snap?.errors ?? []).map((e) => `${e.collector}${e.namespace ? ` (${e.namespace})` : ''}: ${e.message}`),
    };
    nodes.set(name, node);
    if (internalIP) addOwner(addressOwners, internalIP, { kind: 'node', node: name, device: null });
    if (!snap) continue;

    // libcni's result cache (/var/lib/cni/results): pod by sandbox netns name and by address.
    const cniByName = new Map<string, string>();
    const cniByIp = new Map<string, string>();
    for (const f of snap.cni.results) {
      try {
        const c = JSON.parse(f.content) as { cniArgs?: [string, string][]; netns?: string; result?: { ips?: { address?: string }[]; interfaces?: { sandbox?: string }[] } };
        const arg = (k: string) => c.cniArgs?.find((a) => a[0] === k)?.[1];
        const ns = arg('K8S_POD_NAMESPACE');
        const name = arg('K8S_POD_NAME');
        if (!ns || !name) continue;
        const key = podKey(ns, name);
        for (const sb of [c.netns, ...(c.result?.interfaces ?? []).map((i) => i.sandbox)]) if (sb) cniByName.set(sb.split('/').pop()!, key);
        for (const ip of c.result?.ips ?? []) if (ip.address) cniByIp.set(ip.address.split('/')[0]!, key);
      } catch {
        warnings.push(`node ${name}: CNI cache ${f.path} is not JSON`);
      }
    }

    // Namespaces: host first, then each joined namespace, labelled by the pod it belongs to when known.
    const states: NamespaceState[] = [snap.host, ...snap.namespaces];
    const nsIdByState = new Map<NamespaceState, string>();
    for (const st of states) {
      let pod: PodModel | null = null;
      if (st !== snap.host) {
        if (st.pod) pod = pods.get(podKey(st.pod.namespace, st.pod.name)) ?? null;
        if (!pod) {
          for (const n of st.names) {
            const k = cniByName.get(n);
            if (k && pods.has(k)) pod = pods.get(k)!;
          }
        }
        if (!pod) {
          for (const a of st.addrs) {
            for (const ai of a.addr_info) {
              const k = ai.family === 'inet' ? cniByIp.get(ai.local) : undefined;
              if (k && pods.has(k)) pod = pods.get(k)!;
            }
          }
        }
        if (!pod) {
          for (const a of st.addrs) {
            for (const ai of a.addr_info) {
              if (ai.family !== 'inet') continue;
              const p = podsByNodeIp.get(`${name}|${ai.local}`) ?? podsByNodeIp.get(`|${ai.local}`);
              if (p) pod = pods.get(podKey(p.metadata.namespace, p.metadata.name)) ?? null;
            }
          }
        }
        if (st.pod && !pod) warnings.push(`node ${name}: namespace ${st.id} belongs to pod ${st.pod.namespace}/${st.pod.name} (CNI cache), which cluster.json does not list`);
      }
      const kind: NetnsModel['kind'] = st === snap.host ? 'host' : pod ? 'pod' : 'other';
      const label = kind === 'host' ? 'host' : pod ? `pod/${pod.key}` : st.id;
      const id = `${name}/${label}`;
      if (namespaces.has(id)) {
        warnings.push(`node ${name}: two namespaces resolve to ${label}; keeping the first`);
        continue;
      }
      nsIdByState.set(st, id);
      const ns: NetnsModel = {
        id,
        node: name,
        label,
        kind,
        pod: pod?.key ?? null,
        state: st,
        devices: [],
        routing: null as never,
        deviceByName: new Map(),
      };
      // Route tables are indexed on first use: a trace touches a handful of the thousands of namespaces.
      let routing: RoutingModel | null = null;
      Object.defineProperty(ns, 'routing', {
        enumerable: true,
        get: () => (routing ??= buildRouting(st.routes.inet, st.rules.inet)),
      });
      namespaces.set(id, ns);
      node.netns.push(id);
      if (pod && !pod.hostNetwork) {
        if (pod.node && pod.node !== name) warnings.push(`pod ${pod.key} is scheduled on ${pod.node} but its namespace was found on ${name}`);
        pod.netns = id;
      }

      const addrsByDev = new Map<string, string[]>();
      for (const a of st.addrs) for (const ai of a.addr_info) if (ai.family === 'inet') (addrsByDev.get(a.ifname) ?? addrsByDev.set(a.ifname, []).get(a.ifname)!).push(`${ai.local}/${ai.prefixlen}`);
      const sys = st.sysctls;
      for (const link of st.links) {
        const devId = `${id}/dev/${link.ifname}`;
        const info = link.linkinfo;
        const kindName = info?.info_kind ?? (link.link_type === 'loopback' ? 'loopback' : 'device');
        const vd = kindName === 'vxlan' ? ((info?.info_data ?? {}) as Record<string, unknown>) : null;
        const dev: DeviceModel = {
          id: devId,
          node: name,
          netns: id,
          name: link.ifname,
          ifindex: link.ifindex,
          kind: kindName,
          mtu: link.mtu,
          up: isUp(link),
          mac: link.address ?? null,
          addresses: addrsByDev.get(link.ifname) ?? [],
          master: link.master ? `${id}/dev/${link.master}` : null,
          peer: null,
          vxlan: vd
            ? {
                vni: typeof vd.id === 'number' ? vd.id : null,
                local: typeof vd.local === 'string' ? vd.local : null,
                port: typeof vd.port === 'number' ? vd.port : null,
                dev: typeof vd.link === 'string' ? vd.link : null,
                fdb: [],
              }
            : null,
          link,
          proxyArp: sysctlOn(sys, `net.ipv4.conf.${link.ifname}.proxy_arp`) || sysctlOn(sys, 'net.ipv4.conf.all.proxy_arp'),
        };
        devices.set(devId, dev);
        ns.devices.push(devId);
        ns.deviceByName.set(link.ifname, devId);
        for (const cidr of dev.addresses) {
          const ip = cidr.slice(0, cidr.indexOf('/'));
          if (ip.startsWith('127.')) continue;
          if (kind === 'host') {
            node.localAddresses.add(ip);
            addOwner(addressOwners, ip, { kind: 'node', node: name, device: devId });
          } else if (kind === 'pod' && pod && pod.ip === ip) {
            // already indexed as the pod's address
          } else {
            addOwner(addressOwners, ip, { kind: 'device', device: devId });
          }
        }
      }
    }

    // veth peers: the host side names the peer's namespace by nsid and the peer's ifindex.
    const byNsid = new Map<number, NamespaceState>();
    for (const st of snap.namespaces) if (st.nsid !== null) byNsid.set(st.nsid, st);
    for (const st of states) {
      const nsId = nsIdByState.get(st);
      if (!nsId) continue;
      for (const link of st.links) {
        if (link.linkinfo?.info_kind !== 'veth') continue;
        const dev = devices.get(`${nsId}/dev/${link.ifname}`)!;
        if (dev.peer) continue;
        let peerState: NamespaceState | undefined;
        let peerLink: IpLink | undefined;
        if (typeof link.link === 'string') {
          peerState = st;
          peerLink = st.links.find((l) => l.ifname === link.link);
        } else if (st === snap.host && link.link_netnsid !== undefined) {
          peerState = byNsid.get(link.link_netnsid);
          peerLink = peerState?.links.find((l) => l.ifindex === link.link_index);
        } else if (st !== snap.host && link.link_netnsid !== undefined) {
          // Seen from inside a pod, the nsid names the host (usually): match the host link pointing back at us.
          const back = snap.host.links.find((l) => l.ifindex === link.link_index && l.link_netnsid === st.nsid && l.link_index === link.ifindex);
          if (back) {
            peerState = snap.host;
            peerLink = back;
          }
        }
        const peerNsId = peerState ? nsIdByState.get(peerState) : undefined;
        if (!peerLink || !peerNsId) continue;
        const peer = devices.get(`${peerNsId}/dev/${peerLink.ifname}`);
        if (!peer) continue;
        dev.peer = peer.id;
        peer.peer = dev.id;
      }
    }
    for (const st of snap.namespaces) {
      const nsId = nsIdByState.get(st);
      const ns = nsId ? namespaces.get(nsId) : undefined;
      if (!ns || ns.kind !== 'pod' || !ns.pod) continue;
      const pod = pods.get(ns.pod)!;
      const eth = ns.devices.map((d) => devices.get(d)!).find((d) => d.peer && d.addresses.some((a) => a.startsWith(`${pod.ip}/`)));
      const anyPeer = eth ?? ns.devices.map((d) => devices.get(d)!).find((d) => d.peer);
      pod.hostDevice = anyPeer?.peer ?? null;
    }
  }
  for (const p of pods.values()) {
    const n = p.hostNetwork && p.node ? nodes.get(p.node) : undefined;
    if (n?.observed) p.netns = n.hostNetns;
  }

  // VXLAN remote VTEPs: FDB entries on the VXLAN device name the remote underlay address; that address's node.
  for (const node of nodes.values()) {
    const snap = node.snapshot;
    if (!snap) continue;
    const host = namespaces.get(node.hostNetns)!;
    for (const f of snap.bridge.fdb) {
      const devId = host.deviceByName.get(f.ifname);
      const dev = devId ? devices.get(devId) : undefined;
      if (!dev?.vxlan) continue;
      const owner = f.dst ? (addressOwners.get(f.dst) ?? []).find((o) => o.kind === 'node') : undefined;
      dev.vxlan.fdb.push({ mac: f.mac, dst: f.dst ?? null, node: owner && owner.kind === 'node' ? owner.node : null });
    }
  }

  for (const p of pods.values()) {
    if (p.hostNetwork || !p.node || !p.ip) continue;
    const n = nodes.get(p.node);
    if (n?.observed && !p.netns) warnings.push(`pod ${p.key} (${p.ip}) on ${p.node}: no namespace in the snapshot carries its address`);
  }

  // Services and their endpoints (EndpointSlices by the kubernetes.io/service-name label).
  for (const s of cluster.services) {
    const key = podKey(s.metadata.namespace, s.metadata.name);
    const cip = s.spec.clusterIP && s.spec.clusterIP !== 'None' ? s.spec.clusterIP : null;
    services.set(key, {
      key,
      namespace: s.metadata.namespace,
      name: s.metadata.name,
      type: s.spec.type,
      clusterIP: cip,
      ports: s.spec.ports.map((p) => ({ name: p.name ?? null, protocol: p.protocol, port: p.port, targetPort: p.targetPort ?? null, nodePort: p.nodePort ?? null })),
      endpoints: [],
      object: s,
    });
    if (cip) addOwner(addressOwners, cip, { kind: 'service', service: key });
    for (const ip of s.spec.externalIPs ?? []) addOwner(addressOwners, ip, { kind: 'service', service: key });
  }
  for (const slice of cluster.endpointSlices) {
    if (slice.addressType !== 'IPv4') continue;
    const svcName = slice.metadata.labels?.['kubernetes.io/service-name'];
    const svc = svcName ? services.get(podKey(slice.metadata.namespace, svcName)) : undefined;
    if (!svc) {
      if (svcName) warnings.push(`EndpointSlice ${slice.metadata.namespace}/${slice.metadata.name} names service ${svcName}, which cluster.json does not list`);
      continue;
    }
    const ports: Record<string, number> = {};
    for (const p of slice.ports ?? []) if (p.port !== undefined) ports[p.name ?? ''] = p.port;
    for (const ep of slice.endpoints ?? []) {
      const ref = ep.targetRef?.kind === 'Pod' && ep.targetRef.name ? podKey(ep.targetRef.namespace ?? slice.metadata.namespace, ep.targetRef.name) : null;
      for (const ip of ep.addresses) {
        const owner = (addressOwners.get(ip) ?? []).find((o) => o.kind === 'pod');
        const e: ServiceEndpointModel = {
          ip,
          ports,
          pod: ref ?? (owner?.kind === 'pod' ? owner.pod : null),
          node: ep.nodeName ?? null,
          ready: ep.conditions?.ready !== false,
          serving: ep.conditions?.serving ?? ep.conditions?.ready !== false,
          terminating: ep.conditions?.terminating === true,
        };
        svc.endpoints.push(e);
      }
    }
  }

  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const ns of cluster.namespaces) namespaceLabels.set(ns.metadata.name, { 'kubernetes.io/metadata.name': ns.metadata.name, ...(ns.metadata.labels ?? {}) });
  for (const p of pods.values()) if (!namespaceLabels.has(p.namespace)) namespaceLabels.set(p.namespace, { 'kubernetes.io/metadata.name': p.namespace });

  const capturedAt = bundle.meta?.capturedAt ?? snapshots[0]?.capturedAt ?? null;
  return {
    capturedAt,
    nodes,
    namespaces,
    devices,
    pods,
    services,
    networkPolicies: cluster.networkPolicies,
    namespaceLabels,
    addressOwners,
    warnings,
    rejected: cluster.rejected ?? [],
    rulesets,
    podCIDRs: [...podCIDRs].filter((c) => parseCidr(c) !== null && ipToInt(c.split('/')[0]!) !== null),
  };
}
