import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { Trace } from '@patchbay/schema';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const demoBundle = path.join(root, 'apps/server/demo/bundle');
export const artifacts = path.join(root, 'e2e/artifacts');

/** What `patchbay trace --json` prints for the same query: the reference the UI is checked against. */
export function cliTrace(from: string, to: string, proto = 'tcp'): Trace {
  const out = execFileSync(process.execPath, [path.join(root, 'apps/server/bin/patchbay.mjs'), 'trace', '--bundle', demoBundle, '--from', from, '--to', to, '--proto', proto, '--json'], { encoding: 'utf8' });
  return Trace.parse(JSON.parse(out));
}

/** Fails the test on any uncaught error in the page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function graphReady(page: Page, testId: string): Promise<number> {
  const graph = page.getByTestId(testId);
  await expect(graph).toHaveAttribute('data-ready', 'true');
  await expect(graph).toHaveAttribute('data-elements', /^[1-9]\d*$/);
  return Number(await graph.getAttribute('data-elements'));
}

/** A screenshot in e2e/artifacts, attached to the test's report entry too. */
export async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await test.info().attach(name, { path: file, contentType: 'image/png' });
}

/** Ids of the graph's elements that carry a class (cytoscape exposes its instance for tests and the bench). */
export async function graphIdsWithClass(page: Page, cls: string): Promise<string[]> {
  return page.evaluate((c) => {
    const cy = (window as unknown as { __patchbayCy?: { nodes(sel: string): { map<T>(f: (n: { id(): string }) => T): T[] } } }).__patchbayCy;
    return cy ? cy.nodes(`.${c}`).map((n) => n.id()).sort() : [];
  }, cls);
}

/** The map elements a path passes, as the UI should highlight them, derived from the CLI's JSON. */
export function expectedAnchors(trace: Trace): string[][] {
  return trace.paths.map((p) => {
    const out: string[] = [];
    const push = (a: string | null) => {
      if (a && out[out.length - 1] !== a) out.push(a);
    };
    push(trace.query.from.startsWith('pod/') || trace.query.from.startsWith('node/') ? trace.query.from : null);
    for (const h of p.hops) push(h.netns.startsWith('pod/') ? h.netns : h.node ? `node/${h.node}` : null);
    if (p.endpoint?.pod) push(`pod/${p.endpoint.pod}`);
    return out;
  });
}
