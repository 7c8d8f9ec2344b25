'use client';

import Link from 'next/link';
import { nameProblem, nodeHref, podKeyHref, traceHref } from '../lib/routes';
import { trpc } from '../lib/trpc';
import { CopyLinkButton } from './CopyButton';
import { DataTable } from './DataTable';
import { ErrorMessage, Loading } from './ErrorMessage';

export function ServicePage({ namespace, name }: { namespace: string | null; name: string | null }) {
  const problems = [nameProblem('namespace', namespace), nameProblem('service name', name)].filter((p): p is string => p !== null);
  if (problems.length || !namespace || !name) return <ErrorMessage title="This service address is not valid" messages={problems} />;
  return <Service namespace={namespace} name={name} />;
}

function Service({ namespace, name }: { namespace: string; name: string }) {
  const q = trpc.service.useQuery({ namespace, name });
  if (q.error) return <ErrorMessage title={`Service ${namespace}/${name}`} error={q.error} />;
  if (!q.data) return <Loading what={`service ${namespace}/${name}`} />;
  const s = q.data;
  const differing = s.nodes.filter((n) => n.missing.length > 0 || n.extra.length > 0);
  return (
    <>
      <h1>Service {s.key}</h1>
      <div className="toolbar">
        {s.ports.map((p) => (
          <Link key={`${p.protocol}/${p.port}`} href={traceHref({ to: `svc/${s.key}:${p.name ?? p.port}`, proto: p.protocol === 'UDP' ? 'udp' : 'tcp' })}>
            Trace to port {p.name ?? p.port}
          </Link>
        ))}
        <CopyLinkButton />
      </div>
      <dl className="facts">
        <dt>Type</dt>
        <dd>{s.type}</dd>
        <dt>Cluster IP</dt>
        <dd className="mono">{s.clusterIP ?? 'none (headless)'}</dd>
        <dt>Selector</dt>
        <dd className="mono">{s.selector ? Object.entries(s.selector).map(([k, v]) => `${k}=${v}`).join(', ') : 'none'}</dd>
        <dt>Ports</dt>
        <dd className="mono">{s.ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}/${p.protocol} → ${p.targetPort ?? p.port}${p.nodePort ? ` (nodePort ${p.nodePort})` : ''}`).join(', ')}</dd>
      </dl>
      <p role="status" data-testid="service-verdict" className={differing.length ? 'status-bad' : 'status-ok'}>
        {differing.length
          ? `${differing.length} node(s) send this service's traffic somewhere other than the ready endpoints in the API: ${differing.map((n) => n.node).join(', ')}.`
          : 'Every observed node sends this service to exactly the ready endpoints in the API.'}
      </p>
      <div className="layout-split" style={{ gridTemplateColumns: 'minmax(0,1fr) minmax(0,1fr)' }}>
        <DataTable
          caption="Endpoints in the API (EndpointSlices)"
          testId="table-endpoints"
          rows={s.endpoints}
          rowKey={(r) => r.ip}
          columns={[
            { header: 'Address', text: (r) => `${r.ip} ${Object.entries(r.ports).map(([k, v]) => `${k || 'port'}:${v}`).join(' ')}`, className: 'mono' },
            { header: 'Pod', text: (r) => r.pod ?? '', cell: (r) => (r.pod ? <Link href={podKeyHref(r.pod)}>{r.pod}</Link> : '') },
            { header: 'Node', text: (r) => r.node ?? '' },
            { header: 'Conditions', text: (r) => [r.ready ? 'ready' : 'not ready', r.serving ? 'serving' : '', r.terminating ? 'terminating' : ''].filter(Boolean).join(', ') },
          ]}
        />
        <DataTable
          caption="What each node's rules do"
          testId="table-node-rules"
          rows={s.nodes}
          rowKey={(r) => r.node}
          columns={[
            { header: 'Node', text: (r) => r.node, cell: (r) => <Link href={nodeHref(r.node)}>{r.node}</Link> },
            { header: 'Mode', text: (r) => r.mode },
            { header: 'Endpoints in the rules', text: (r) => r.endpoints.map((e) => `${e.ip}:${e.port} (${Math.round(e.share * 100)}%)`).join(' ') || '-', className: 'mono' },
            {
              header: 'Compared with the API',
              text: (r) => r.note ?? (r.missing.length || r.extra.length ? [r.missing.length ? `missing ${r.missing.join(' ')}` : '', r.extra.length ? `extra ${r.extra.join(' ')}` : ''].filter(Boolean).join('; ') : 'agrees'),
              cell: (r) =>
                r.note ? (
                  <span className="muted">{r.note}</span>
                ) : r.missing.length || r.extra.length ? (
                  <span className="status-bad">
                    {r.missing.length ? `missing ${r.missing.join(' ')}` : ''}
                    {r.missing.length && r.extra.length ? '; ' : ''}
                    {r.extra.length ? `extra ${r.extra.join(' ')}` : ''}
                  </span>
                ) : (
                  <span className="status-ok">agrees</span>
                ),
            },
          ]}
        />
      </div>
      <h2>Rule chains per node</h2>
      {s.nodes.map((n) => (
        <details key={n.node}>
          <summary>
            {n.node}: {n.chains.length} chain(s){n.note ? ` (${n.note})` : ''}
          </summary>
          {n.chains.map((c) => (
            <div key={`${c.table}/${c.chain}`}>
              <h3 className="mono" style={{ fontSize: 13 }}>
                {c.table} {c.chain}
              </h3>
              <pre>{c.rules.join('\n')}</pre>
            </div>
          ))}
        </details>
      ))}
    </>
  );
}
