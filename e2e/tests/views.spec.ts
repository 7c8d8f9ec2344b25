import { expect, test } from '@playwright/test';
import { graphReady, shot, watchErrors } from './helpers';

// Every view opens from its URL (DESIGN.md "URLs") and shows the demo's data.

test('cluster map', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Cluster map' })).toBeVisible();
  await expect(page.getByTestId('summary')).toContainText('3 nodes (3 observed)');
  await expect(page.getByTestId('summary')).toContainText('flannel-vxlan');
  const collapsed = await graphReady(page, 'cluster-map');
  await expect(page.getByRole('table', { name: /Nodes \(3\)/ })).toBeVisible();
  await shot(page, 'map-collapsed');
  // Expanding a node from its URL draws its pods inside; selecting it draws its tunnels.
  await page.goto('/?expand=n1&select=node/n1');
  await expect(page.getByTestId('selection')).toContainText('Node n1');
  await expect(page.getByTestId('selection')).toContainText(/tunnel to n2 \(flannel\.1\)/);
  await expect.poll(async () => Number(await page.getByTestId('cluster-map').getAttribute('data-elements'))).toBeGreaterThan(collapsed);
  await shot(page, 'map-expanded');
  expect(errors).toEqual([]);
});

test('node wiring with its tables', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/nodes/n1');
  await expect(page.getByRole('heading', { name: 'Node n1' })).toBeVisible();
  await graphReady(page, 'wiring-graph');
  const pods = page.getByRole('table', { name: 'Pods' });
  await expect(pods).toContainText('shop/client-0');
  await page.getByRole('tab', { name: 'Devices' }).click();
  const devices = page.getByRole('table', { name: 'Devices' });
  await expect(devices).toContainText('flannel.1');
  await expect(devices).toContainText('cni0');
  // Details of a device from the table, by keyboard.
  await page.getByRole('button', { name: /Show details of flannel\.1 in/ }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('device-details')).toContainText('VXLAN VNI');
  // Arrow keys move between the tabs (ARIA tabs pattern).
  await page.getByRole('tab', { name: 'Devices' }).press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Routes' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Routes' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('table', { name: 'Routes' })).toContainText('dev flannel.1');
  await page.getByRole('tab', { name: 'Service rules' }).click();
  await expect(page.getByRole('table', { name: 'Service rules' })).toContainText('shop/cart');
  await shot(page, 'node-n1');
  expect(errors).toEqual([]);
});

test('pod page', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/pods/shop/client-0');
  await expect(page.getByRole('heading', { name: 'Pod shop/client-0' })).toBeVisible();
  await expect(page.getByTestId('pod-facts')).toContainText('n1');
  await expect(page.getByRole('table', { name: 'Devices in the pod' })).toContainText('eth0');
  await shot(page, 'pod-client-0');
  // Its trace link opens the form with the pod as the source, and nothing is called wrong yet.
  await page.getByRole('link', { name: 'Trace from this pod' }).click();
  await expect(page.getByTestId('trace-from')).toHaveValue('pod/shop/client-0');
  await expect(page.getByTestId('trace-to')).toHaveValue('');
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('service page shows the planted fault: rules that send to an endpoint the API does not list', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/services/shop/cart');
  await expect(page.getByRole('heading', { name: 'Service shop/cart' })).toBeVisible();
  await expect(page.getByTestId('service-verdict')).toContainText('3 node(s)');
  await expect(page.getByRole('table', { name: "What each node's rules do" })).toContainText('extra 10.244.');
  await shot(page, 'service-cart');
  await page.goto('/services/shop/web');
  await expect(page.getByTestId('service-verdict')).toContainText('Every observed node sends this service to exactly the ready endpoints');
  expect(errors).toEqual([]);
});

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });
  test('follows the system preference', async ({ page }) => {
    await page.goto('/?expand=n1,n2&select=node/n2');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await graphReady(page, 'cluster-map');
    await shot(page, 'map-dark');
    await page.goto('/nodes/n2');
    await graphReady(page, 'wiring-graph');
    await shot(page, 'node-n2-dark');
  });
});
