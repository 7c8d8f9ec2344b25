'use client';

import Link from 'next/link';
import { mapHref, nameProblem, nodeHref, serviceKeyHref, traceHref } from '../lib/routes';
import { trpc } from '../lib/trpc';
import { CopyLinkButton } from './CopyButton';
import { DataTable } from './DataTable';
import { ErrorMessage, Loading } from './ErrorMessage';

export function PodPage({ namespace, name }: { namespace: string | null; name: string | null }) {
  const problems = [nameProblem('namespace', namespace), nameProblem('pod name', name)].filter((p): p is string => p !== null);
  if (problems.length || !namespace || !name) return <ErrorMessage title="This pod address is not valid" messages={problems} />;
  return <Pod namespace={namespace} name={name} />;
}

function Pod({ namespace, name }: { namespace: string; name: string }) {
  const q = trpc.pod.useQuery({ namespace, name });
  if (q.error) return <ErrorMessage title={`Pod ${namespace}/${name}`} error={q.error} />;
  if (!q.data) return <Loading what={`pod ${namespace}/${name}`} />;
  const p = q.data;
  return (
    <>
      <h1>Pod {p.key}</h1>
      <div className="toolbar">
        <Link href={traceHref({ from: `pod/${p.key}` })}>Trace from this pod</Link>
        <Link href={traceHref({ to: `pod/${p.key}` })}>Trace to this pod</Link>
        {p.node && <Link href={mapHref({ expand: [p.node], select: `pod/${p.key}` })}>On the map</Link>}
        <CopyLinkButton />
      </div>
      <dl className="facts" data-testid="pod-facts">
        <dt>IP</dt>
        <dd className="mono">{p.ip ?? 'none'}</dd>
        <dt>Node</dt>
        <dd>{p.node ? <Link href={nodeHref(p.node)}>{p.node}</Link> : 'not scheduled'}{p.node && !p.nodeObserved ? ' (not observed)' : ''}</dd>
        <dt>Phase</dt>
        <dd>{p.phase ?? 'unknown'}</dd>
        <dt>Network</dt>
        <dd>{p.hostNetwork ? 'host network' : (p.netns ?? 'its network namespace is not in the bundle')}</dd>
        <dt>Host-side veth</dt>
        <dd className="mono">{p.hostVeth ? `${p.hostVeth.name} (${p.hostVeth.master ? `port of ${p.hostVeth.master.split('/dev/')[1]}` : 'no bridge'}, ${p.hostVeth.up ? 'up' : 'down'}, MTU ${p.hostVeth.mtu})` : 'unknown'}</dd>
        <dt>Labels</dt>
        <dd className="mono">{Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}</dd>
        <dt>Services</dt>
        <dd>
          {p.services.length === 0
            ? 'none'
            : p.services.map((s, i) => (
                <span key={s.key}>
                  {i > 0 ? ', ' : ''}
                  <Link href={serviceKeyHref(s.key)}>{s.key}</Link>
                </span>
              ))}
        </dd>
        <dt>NetworkPolicies</dt>
        <dd>{p.policies.map((x) => `${x.key} (${x.policyTypes.join(', ')})`).join('; ') || 'none select this pod'}</dd>
      </dl>
      <DataTable
        caption="Devices in the pod"
        rows={p.devices}
        rowKey={(r) => r.id}
        columns={[
          { header: 'Device', text: (r) => r.name },
          { header: 'Kind', text: (r) => r.kind },
          { header: 'State', text: (r) => (r.up ? 'up' : 'down') },
          { header: 'MTU', text: (r) => String(r.mtu) },
          { header: 'MAC', text: (r) => r.mac ?? '', className: 'mono' },
          { header: 'Addresses', text: (r) => r.addresses.join(' '), className: 'mono' },
          { header: 'Peer', text: (r) => r.peer ?? '', className: 'mono' },
        ]}
      />
      <DataTable
        caption="Routes in the pod"
        rows={p.routes}
        rowKey={(r) => `${r.table}|${r.text}`}
        columns={[
          { header: 'Table', text: (r) => r.table },
          { header: 'Route', text: (r) => r.text, className: 'mono' },
        ]}
      />
    </>
  );
}
