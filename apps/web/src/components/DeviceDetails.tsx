import type { DeviceData } from '../lib/trpc';

export function DeviceDetails({ d }: { d: DeviceData }) {
  return (
    <div data-testid="device-details">
      <h2>
        {d.name} <span className="muted">({d.kind})</span>
      </h2>
      <dl>
        <dt>Namespace</dt>
        <dd className="mono">{d.netns}</dd>
        <dt>State</dt>
        <dd>{d.up ? 'up' : 'down'}</dd>
        <dt>MTU</dt>
        <dd>{d.mtu}</dd>
        <dt>MAC</dt>
        <dd className="mono">{d.mac ?? 'none'}</dd>
        <dt>Addresses</dt>
        <dd className="mono">{d.addresses.join(', ') || 'none'}</dd>
        <dt>Peer</dt>
        <dd className="mono">{d.peer ?? 'none'}</dd>
        <dt>Master</dt>
        <dd className="mono">{d.master ?? 'none'}</dd>
        {d.vxlan && (
          <>
            <dt>VXLAN VNI</dt>
            <dd>{d.vxlan.vni ?? '?'}</dd>
            <dt>VXLAN local</dt>
            <dd className="mono">
              {d.vxlan.local ?? '?'} port {d.vxlan.port ?? '?'} via {d.vxlan.dev ?? '?'}
            </dd>
            <dt>FDB</dt>
            <dd className="mono">{d.vxlan.fdb.length === 0 ? 'empty' : d.vxlan.fdb.map((f) => `${f.mac} → ${f.dst ?? '?'}${f.node ? ` (${f.node})` : ''}`).join('\n')}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
