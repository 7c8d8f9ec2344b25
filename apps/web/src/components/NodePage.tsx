'use client';

import Link from 'next/link';
import type { Core } from 'cytoscape';
import { useMemo, useRef, useState } from 'react';
import { wiringElements } from '../lib/elements';
import { wiringStyle } from '../lib/graphStyle';
import { mapHref, nameProblem, podKeyHref, serviceKeyHref } from '../lib/routes';
import { trpc, type NodeWiringData } from '../lib/trpc';
import { CopyLinkButton } from './CopyButton';
import { DataTable } from './DataTable';
import { DeviceDetails } from './DeviceDetails';
import { ErrorMessage, Loading } from './ErrorMessage';
import { exportPng, Graph } from './Graph';
import { WiringLegend } from './Legend';
import { useTheme } from './useTheme';

type Tab = 'pods' | 'devices' | 'routes' | 'rules' | 'neighbours' | 'services';
const TABS: [Tab, string][] = [
  ['pods', 'Pods'],
  ['devices', 'Devices'],
  ['routes', 'Routes'],
  ['rules', 'Policy rules'],
  ['neighbours', 'Neighbours'],
  ['services', 'Service rules'],
];

export function NodePage({ name }: { name: string | null }) {
  const problem = nameProblem('node name', name);
  if (problem || !name) return <ErrorMessage title="This node address is not valid" messages={[problem ?? 'no node name']} />;
  return <NodeWiring name={name} />;
}

function NodeWiring({ name }: { name: string }) {
  const q = trpc.node.useQuery({ name });
  const { theme, palette } = useTheme();
  const stylesheet = useMemo(() => wiringStyle(palette), [palette]);
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('pods');
  const cy = useRef<Core | null>(null);
  const elements = useMemo(() => (q.data ? wiringElements(q.data, selected) : []), [q.data, selected]);
  if (q.error) return <ErrorMessage title={`Node ${name}`} error={q.error} />;
  if (!q.data) return <Loading what={`the wiring of ${name}`} />;
  const w = q.data;
  const device = selected ? w.devices.find((d) => d.id === selected) : undefined;
  return (
    <>
      <h1>Node {w.node}</h1>
      <p className="muted" data-testid="node-facts">
        {w.observed ? 'observed' : 'not observed (no snapshot in the bundle)'} · InternalIP {w.internalIP ?? '?'} · pod CIDRs {w.podCIDRs.join(', ') || 'none'} · CNI {w.cni} · kube-proxy {w.kubeProxy} ·{' '}
        <Link href={mapHref({ select: `node/${w.node}`, expand: [w.node] })}>on the map</Link>
      </p>
      {w.errors.length > 0 && (
        <div className="banner banner-warn" role="note">
          The agent could not read everything on this node: {w.errors.map((e) => `${e.collector}${e.namespace ? ` (${e.namespace})` : ''}: ${e.message}`).join('; ')}
        </div>
      )}
      <div className="toolbar">
        <button type="button" onClick={() => void exportPng(cy.current, `patchbay-node-${w.node}`, palette.bg)}>
          Export PNG
        </button>
        <CopyLinkButton />
      </div>
      <WiringLegend p={palette} />
      {w.observed ? (
        <div className="layout-split">
          <Graph
            elements={elements}
            stylesheet={stylesheet}
            background={palette.bg}
            fitKey={`${w.node}|${theme}`}
            label={`Wiring of node ${w.node}: ${w.pods.length} pods, ${w.devices.length} devices. The tables below list the same.`}
            testId="wiring-graph"
            onReady={(c) => {
              cy.current = c;
            }}
            onSelect={(id) => setSelected(id && w.devices.some((d) => d.id === id) ? id : null)}
          />
          <aside className="panel" aria-label="Device details">
            {device ? <DeviceDetails d={device} /> : <p className="muted">Click a device for its details, or pick one in the Devices table.</p>}
          </aside>
        </div>
      ) : (
        <p>This node has no snapshot in the bundle, so its wiring is unknown. Traces through it say &quot;unknown&quot;.</p>
      )}
      <div className="tabs" role="tablist" aria-label="Wiring tables">
        {TABS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`panel-${id}`}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => setTab(id)}
            onKeyDown={(e) => {
              // ARIA tabs: arrows move between tabs.
              const i = TABS.findIndex(([t]) => t === tab);
              const next = e.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : undefined;
              if (!next) return;
              e.preventDefault();
              setTab(next[0]);
              document.getElementById(`tab-${next[0]}`)?.focus();
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        <WiringTable tab={tab} w={w} onDevice={setSelected} />
      </div>
    </>
  );
}

function WiringTable({ tab, w, onDevice }: { tab: Tab; w: NodeWiringData; onDevice: (id: string) => void }) {
  switch (tab) {
    case 'pods':
      return (
        <DataTable
          caption="Pods"
          testId="table-pods"
          rows={w.pods}
          rowKey={(r) => r.pod}
          columns={[
            { header: 'Pod', text: (r) => r.pod, cell: (r) => <Link href={podKeyHref(r.pod)}>{r.pod}</Link> },
            { header: 'IP', text: (r) => r.ip ?? '', className: 'mono' },
            { header: 'Namespace', text: (r) => r.netns ?? (r.hostNetwork ? 'host network' : 'not found'), className: 'mono' },
            { header: 'Host-side veth', text: (r) => r.hostVethName ?? '', className: 'mono' },
          ]}
        />
      );
    case 'devices':
      return (
        <DataTable
          caption="Devices"
          testId="table-devices"
          rows={w.devices}
          rowKey={(r) => r.id}
          columns={[
            { header: 'Namespace', text: (r) => r.netns, className: 'mono' },
            {
              header: 'Device',
              text: (r) => r.name,
              cell: (r) => (
                <button type="button" onClick={() => onDevice(r.id)} aria-label={`Show details of ${r.name} in ${r.netns}`}>
                  {r.name}
                </button>
              ),
            },
            { header: 'Kind', text: (r) => r.kind },
            { header: 'State', text: (r) => (r.up ? 'up' : 'down') },
            { header: 'MTU', text: (r) => String(r.mtu) },
            { header: 'MAC', text: (r) => r.mac ?? '', className: 'mono' },
            { header: 'Addresses', text: (r) => r.addresses.join(' '), className: 'mono' },
            { header: 'Master', text: (r) => r.master?.split('/dev/')[1] ?? '', className: 'mono' },
            { header: 'Peer', text: (r) => r.peer ?? '', className: 'mono' },
            { header: 'VXLAN', text: (r) => (r.vxlan ? `VNI ${r.vxlan.vni ?? '?'} dev ${r.vxlan.dev ?? '?'} fdb ${r.vxlan.fdb.map((f) => `${f.mac}>${f.dst ?? '?'}`).join(' ')}` : ''), className: 'mono' },
          ]}
        />
      );
    case 'routes':
      return (
        <DataTable
          caption="Routes"
          testId="table-routes"
          rows={w.routes}
          rowKey={(r) => `${r.netns}|${r.table}|${r.text}`}
          columns={[
            { header: 'Namespace', text: (r) => r.netns, className: 'mono' },
            { header: 'Table', text: (r) => r.table },
            { header: 'Route', text: (r) => r.text, className: 'mono' },
          ]}
        />
      );
    case 'rules':
      return (
        <DataTable
          caption="Policy rules"
          testId="table-rules"
          rows={w.rules}
          rowKey={(r) => `${r.netns}|${r.text}`}
          columns={[
            { header: 'Namespace', text: (r) => r.netns, className: 'mono' },
            { header: 'Rule', text: (r) => r.text, className: 'mono' },
          ]}
        />
      );
    case 'neighbours':
      return (
        <DataTable
          caption="Neighbours"
          testId="table-neighbours"
          rows={w.neighbours}
          rowKey={(r) => `${r.netns}|${r.dev}|${r.dst}`}
          columns={[
            { header: 'Namespace', text: (r) => r.netns, className: 'mono' },
            { header: 'Address', text: (r) => r.dst, className: 'mono' },
            { header: 'Device', text: (r) => r.dev, className: 'mono' },
            { header: 'MAC', text: (r) => r.lladdr ?? '', className: 'mono' },
            { header: 'State', text: (r) => r.state },
          ]}
        />
      );
    case 'services':
      return (
        <DataTable
          caption="Service rules"
          testId="table-service-rules"
          rows={w.serviceRules}
          rowKey={(r) => r.service}
          columns={[
            { header: 'Service', text: (r) => r.service, cell: (r) => <Link href={serviceKeyHref(r.service)}>{r.service}</Link> },
            { header: 'Cluster IP', text: (r) => r.clusterIP ?? '', className: 'mono' },
            { header: 'Endpoints in the rules', text: (r) => r.endpoints.map((e) => `${e.ip}:${e.port} (${Math.round(e.share * 100)}%)`).join(' '), className: 'mono' },
            { header: 'Chains', text: (r) => r.note ?? r.chains.map((c) => `${c.table}/${c.chain}`).join(' '), className: 'mono' },
          ]}
        />
      );
  }
}
