'use client';

import { useEffect, useRef, useState } from 'react';
import type { Core, ElementDefinition, StylesheetJson } from 'cytoscape';
import type { GraphElement } from '../lib/elements';

// A cytoscape canvas drawing precomputed positions (layout "preset"; never a force layout here). Updates are
// applied as a diff by element id, so expanding a node or a reload does not rebuild or move the rest.

export interface GraphProps {
  elements: GraphElement[];
  stylesheet: unknown[];
  /** Background for PNG export. */
  background: string;
  /** When this changes the view is fitted again (a new node, a new trace); other updates keep the viewport. */
  fitKey: string;
  label: string;
  onSelect?: (id: string | null) => void;
  onReady?: (cy: Core | null) => void;
  height?: string;
  testId?: string;
  /** Thousands of elements: hide edges while the view moves, which keeps panning smooth on a CPU renderer. */
  large?: boolean;
  /** Centre the view on this element once it is drawn (a new `n` asks again). */
  centerOn?: { id: string; n: number } | null;
}

// Start fetching the cytoscape chunk as soon as a page with a graph loads, in parallel with its data.
const cytoscapeModule = typeof window === 'undefined' ? null : import('cytoscape');

function applyDiff(cy: Core, elements: GraphElement[]): void {
  cy.batch(() => {
    const want = new Map(elements.map((e) => [e.data.id, e]));
    cy.elements().forEach((el) => {
      const next = want.get(el.id());
      // Re-parenting is a remove and add; so is an element that changed between node and edge.
      const sameParent = !next || !el.isNode() || (el.data('parent') ?? null) === ((next.data.parent as string | undefined) ?? null);
      if (!next || !sameParent) el.remove();
    });
    const parents = new Set(elements.map((e) => e.data.parent).filter(Boolean) as string[]);
    const added: ElementDefinition[] = [];
    for (const e of elements) {
      const existing = cy.getElementById(e.data.id);
      if (existing.nonempty()) {
        existing.data(e.data);
        existing.classes(e.classes ?? '');
        if (e.position && existing.isNode() && !parents.has(e.data.id)) existing.position(e.position);
      } else {
        added.push(e as ElementDefinition);
      }
    }
    if (added.length) cy.add(added);
  });
}

export function Graph({ elements, stylesheet, background, fitKey, label, onSelect, onReady, height = '70vh', testId, large = false, centerOn = null }: GraphProps) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const [ready, setReady] = useState(false);
  const fitted = useRef<string | null>(null);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;

  useEffect(() => {
    let cancelled = false;
    let cy: Core | null = null;
    void (cytoscapeModule ?? import('cytoscape')).then(({ default: cytoscape }) => {
      if (cancelled || !container.current) return;
      cy = cytoscape({
        container: container.current,
        elements: [],
        style: stylesheet as StylesheetJson,
        layout: { name: 'preset' },
        minZoom: 0.02,
        maxZoom: 4,
        boxSelectionEnabled: false,
        // Draw a cached bitmap while panning and zooming: keeps frames smooth with thousands of elements.
        textureOnViewport: true,
        motionBlur: false,
        pixelRatio: 1,
        hideEdgesOnViewport: large,
      });
      cy.on('tap', (evt) => {
        const target = evt.target as { id?: () => string; isNode?: () => boolean } | Core;
        if (target === cy) onSelectRef.current?.(null);
        else if ('isNode' in target && target.isNode?.()) onSelectRef.current?.(target.id?.() ?? null);
      });
      cyRef.current = cy;
      (window as unknown as { __patchbayCy?: Core }).__patchbayCy = cy;
      setReady(true);
      onReady?.(cy);
    });
    return () => {
      cancelled = true;
      onReady?.(null);
      cy?.destroy();
      cyRef.current = null;
    };
    // The instance lives as long as the component; data and style changes are applied below.
  }, []);

  useEffect(() => {
    cyRef.current?.style(stylesheet as StylesheetJson);
  }, [stylesheet, ready]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const started = performance.now();
    applyDiff(cy, elements);
    if (fitted.current !== fitKey && elements.length > 0) {
      cy.fit(undefined, 30);
      fitted.current = fitKey;
    }
    // First render time, for the benchmark and for people curious about it.
    requestAnimationFrame(() => {
      container.current?.setAttribute('data-rendered-ms', String(Math.round(performance.now() - started)));
      container.current?.setAttribute('data-rendered-at', String(Math.round(performance.now())));
      container.current?.setAttribute('data-elements', String(cy.elements().length));
    });
  }, [elements, fitKey, ready]);

  const centred = useRef<number | null>(null);
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || !centerOn || centred.current === centerOn.n) return;
    const el = cy.getElementById(centerOn.id);
    if (el.empty()) return;
    centred.current = centerOn.n;
    cy.animate({ center: { eles: el }, zoom: Math.max(cy.zoom(), 0.9) }, { duration: 250 });
  }, [centerOn, elements, ready]);

  return (
    <div className="graph-wrap">
      <div
        ref={container}
        className="graph"
        style={{ height, background }}
        role="img"
        aria-label={label}
        data-testid={testId}
        data-ready={ready ? 'true' : 'false'}
      />
    </div>
  );
}

/** Saves the whole graph as a PNG file. */
export async function exportPng(cy: Core | null, name: string, background: string): Promise<void> {
  if (!cy) return;
  const blob = (await cy.png({ output: 'blob-promise', full: true, scale: 1, bg: background, maxWidth: 8000, maxHeight: 8000 })) as Blob;
  download(blob, `${name}.png`);
}

export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
