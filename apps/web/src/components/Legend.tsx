import type { Palette } from '../lib/theme';

export function MapLegend({ p }: { p: Palette }) {
  const items: [string, string, string?][] = [
    ['node (counts)', p.box, p.boxBorder],
    ['not observed', p.unobserved],
    ['pod', p.pod, p.podBorder],
    ['underlay subnet', p.segment],
    ['tunnel', p.tunnel],
    ['direct route', p.route],
  ];
  return (
    <div className="legend" aria-label="Legend">
      {items.map(([label, bg, border]) => (
        <span key={label}>
          <span className="swatch" style={{ background: bg, border: border ? `1px solid ${border}` : undefined }} />
          {label}
        </span>
      ))}
      {Object.entries(p.verdict).map(([v, c]) => (
        <span key={v}>
          <span className="swatch" style={{ background: c }} />
          {v}
        </span>
      ))}
    </div>
  );
}

export function WiringLegend({ p }: { p: Palette }) {
  const items: [string, string][] = [
    ['device', p.pod],
    ['veth cable', p.podBorder],
    ['bridge port', p.segment],
    ['tunnel / underlay', p.tunnel],
    ['routing', p.route],
    ['link down', p.down],
  ];
  return (
    <div className="legend" aria-label="Legend">
      {items.map(([label, bg]) => (
        <span key={label}>
          <span className="swatch" style={{ background: bg }} />
          {label}
        </span>
      ))}
    </div>
  );
}
