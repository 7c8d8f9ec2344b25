import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { demoBundle, root, watchErrors } from './helpers';

// A second server on a copy of the demo bundle: editing the files reaches the open page over SSE. A broken
// edit is refused (the page keeps the last good state and says so); a good one refreshes the data.
let child: ChildProcess | null = null;
let dir = '';
let url = '';

test.beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pb-e2e-live-'));
  await cp(demoBundle, dir, { recursive: true });
  child = spawn(process.execPath, [path.join(root, 'apps/server/bin/patchbay.mjs'), 'serve', '--bundle', dir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child?.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /(http:\/\/\S+)/.exec(err);
      if (m?.[1]) resolve(m[1]);
    });
    child?.once('exit', (code) => reject(new Error(`patchbay serve exited ${code}: ${err}`)));
  });
});

test.afterAll(async () => {
  child?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

test('reloads reach the page; a bad reload keeps the last good state', async ({ page }) => {
  const errors = watchErrors(page);
  const clusterFile = path.join(dir, 'cluster.json');
  const good = await readFile(clusterFile, 'utf8');
  // Counted from the bundle: a re-recording may hold other pods.
  const list = JSON.parse(good) as { items: { kind: string; metadata: { name: string } }[] };
  const pods = list.items.filter((i) => i.kind === 'Pod').length;
  expect(list.items.some((i) => i.kind === 'Pod' && i.metadata.name === 'cache-0')).toBe(true);
  await page.goto(url);
  await expect(page.getByTestId('summary')).toContainText(`· ${pods} pods ·`);

  await writeFile(clusterFile, '{"kind": "List", "items": [');
  await expect(page.getByRole('status').filter({ hasText: 'A reload was refused' })).toContainText('cluster.json');
  await expect(page.getByTestId('summary')).toContainText(`· ${pods} pods ·`);

  // The same cluster without one pod: accepted, and the page refreshes.
  list.items = list.items.filter((i) => !(i.kind === 'Pod' && i.metadata.name === 'cache-0'));
  await writeFile(clusterFile, JSON.stringify(list));
  await expect(page.getByRole('status').filter({ hasText: 'reloaded' })).toBeVisible();
  await expect(page.getByTestId('summary')).toContainText(`· ${pods - 1} pods ·`);
  expect(errors).toEqual([]);
});
