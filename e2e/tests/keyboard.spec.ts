import { expect, test } from '@playwright/test';
import { watchErrors } from './helpers';

test('"/" focuses search; arrows and Enter open a pod', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('summary')).toBeVisible();
  await page.keyboard.press('/');
  await expect(page.getByTestId('global-search')).toBeFocused();
  await page.keyboard.type('client-0');
  await expect(page.getByRole('option', { name: /shop\/client-0/ })).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/pods\/shop\/client-0$/);
  await expect(page.getByRole('heading', { name: 'Pod shop/client-0' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('search by IP finds the owner', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('global-search').fill('10.96.0.10');
  await expect(page.getByRole('option', { name: /10\.96\.0\.10/ }).first()).toBeVisible();
});

test('the map is usable by keyboard: expand a node from the node table', async ({ page }) => {
  await page.goto('/');
  const expand = page.getByRole('table', { name: /Nodes/ }).getByRole('button', { name: 'Expand' }).first();
  await expand.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/expand=n1/);
  await expect(page.getByRole('table', { name: /Nodes/ }).getByRole('button', { name: 'Collapse' })).toHaveCount(1);
});

test('theme toggle switches light and dark and keeps the choice', async ({ page }) => {
  await page.goto('/');
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.getByTestId('theme-toggle').click();
  const after = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(after).not.toBe(before);
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(after);
});

test('find on the map selects a pod, opens its node and centres on it', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('map-find').fill('web-1');
  await expect(page.getByRole('option', { name: /shop\/web-1/ })).toBeVisible();
  await page.getByTestId('map-find').press('Enter');
  await expect(page).toHaveURL(/expand=n2/);
  await expect(page).toHaveURL(/select=pod%2Fshop%2Fweb-1/);
  await expect(page.getByTestId('selection')).toContainText('Pod shop/web-1');
});
