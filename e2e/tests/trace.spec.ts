import { expect, test, type Page } from '@playwright/test';
import { cliTrace, expectedAnchors, graphIdsWithClass, graphReady, shot, watchErrors } from './helpers';
import type { Trace } from '@patchbay/schema';

async function checkAgainstCli(page: Page, trace: Trace): Promise<void> {
  await expect(page.getByTestId('trace-verdict')).toHaveText(trace.verdict);
  await expect(page.getByTestId('trace-summary')).toHaveText(trace.summary);
  const items = page.getByTestId('trace-paths').locator('li');
  await expect(items).toHaveCount(trace.paths.length);
  const anchors = expectedAnchors(trace);
  for (const [i, p] of trace.paths.entries()) {
    await expect(items.nth(i)).toHaveAttribute('data-verdict', p.verdict);
    await expect(items.nth(i)).toHaveAttribute('data-weight', String(p.weight));
    await expect(items.nth(i)).toHaveAttribute('data-anchors', (anchors[i] ?? []).join(' '));
  }
  // The highlighted elements on the graph are exactly those the paths pass.
  await graphReady(page, 'trace-graph');
  const want = [...new Set(anchors.flat())].sort();
  await expect.poll(() => graphIdsWithClass(page, 'on-path')).toEqual(want);
  // The hop table of each path, row by row, against the CLI's hops.
  for (const [i, p] of trace.paths.entries()) {
    if (trace.paths.length > 1) await page.getByRole('tab', { name: new RegExp(`^Path ${i + 1}:`) }).click();
    const rows = page.getByTestId('hop-table').locator('tbody tr');
    await expect(rows).toHaveCount(p.hops.length);
    for (const [j, h] of p.hops.entries()) {
      const cells = rows.nth(j).locator('td');
      await expect(cells.nth(1)).toHaveText(h.node ?? '');
      await expect(cells.nth(2)).toHaveText(h.netns);
      await expect(cells.nth(4)).toHaveText(h.stage);
      await expect(cells.nth(5)).toHaveText(h.action);
      await expect(cells.nth(7)).toHaveText(h.evidence);
    }
  }
}

test('a trace run from the form matches the CLI, and its link restores it', async ({ page, context }) => {
  const errors = watchErrors(page);
  const from = 'pod/shop/client-0';
  const to = 'svc/shop/web:80';
  const reference = cliTrace(from, to);
  expect(reference.paths.length).toBeGreaterThan(1);

  await page.goto('/trace');
  await page.getByTestId('trace-from').fill(from);
  await page.getByTestId('trace-to').fill(to);
  await page.getByTestId('trace-proto').selectOption('tcp');
  // Submit by keyboard.
  await page.getByTestId('trace-to').press('Enter');
  await expect(page).toHaveURL(/\/trace\?from=pod%2Fshop%2Fclient-0&to=svc%2Fshop%2Fweb%3A80&proto=tcp$/);
  await checkAgainstCli(page, reference);
  await shot(page, 'trace-web');

  // The deep link, opened fresh, shows the same state, down to the path tab last chosen.
  const last = reference.paths.length;
  await expect(page).toHaveURL(new RegExp(`&path=${last}$`));
  const link = page.url();
  const again = await context.newPage();
  await again.goto(link);
  await expect(again.getByRole('tab', { name: new RegExp(`^Path ${last}:`) })).toHaveAttribute('aria-selected', 'true');
  await expect(again.getByTestId('hop-table').locator('tbody tr')).toHaveCount(reference.paths[last - 1]!.hops.length);
  await checkAgainstCli(again, reference);
  // The tabs move by arrow keys; the first path is the link without &path.
  await again.getByRole('tab', { name: /^Path 1:/ }).focus();
  await again.keyboard.press('ArrowRight');
  await expect(again.getByRole('tab', { name: /^Path 2:/ })).toBeFocused();
  await expect(again).toHaveURL(/&path=2$/);
  await again.keyboard.press('Home');
  await expect(again.getByRole('tab', { name: /^Path 1:/ })).toHaveAttribute('aria-selected', 'true');
  await expect(again).toHaveURL(/proto=tcp$/);
  // Choosing a path tab keeps an edit of the form not yet submitted.
  await again.getByTestId('trace-from').fill('pod/shop/client-1');
  await again.getByRole('tab', { name: /^Path 2:/ }).click();
  await expect(again).toHaveURL(/&path=2$/);
  await expect(again.getByTestId('trace-from')).toHaveValue('pod/shop/client-1');
  await again.close();
  expect(errors).toEqual([]);
});

test('the planted fault: a trace to the stale service', async ({ page }) => {
  const errors = watchErrors(page);
  const reference = cliTrace('pod/shop/client-0', 'svc/shop/cart:80');
  expect(reference.verdict).not.toBe('delivered');
  await page.goto('/trace?from=pod%2Fshop%2Fclient-0&to=svc%2Fshop%2Fcart%3A80&proto=tcp');
  await checkAgainstCli(page, reference);
  await shot(page, 'trace-cart-fault');
  expect(errors).toEqual([]);
});

test('trace JSON download is the trace object', async ({ page }) => {
  const reference = cliTrace('pod/shop/client-0', 'pod/shop/api-0', 'icmp');
  await page.goto('/trace?from=pod%2Fshop%2Fclient-0&to=pod%2Fshop%2Fapi-0&proto=icmp');
  await expect(page.getByTestId('trace-verdict')).toHaveText(reference.verdict);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
  const file = await download.path();
  const { readFileSync } = await import('node:fs');
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(reference)));
});
