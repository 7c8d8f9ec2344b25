import { expect, test } from '@playwright/test';
import { watchErrors } from './helpers';

// A bad link shows a clear message on the page: never a blank page or an uncaught error.
const cases: [string, RegExp][] = [
  ['/pods/shop/nope', /no pod shop\/nope in this cluster/],
  ['/pods/Shop_/x', /"Shop_" is not a valid namespace/],
  ['/nodes/n9', /no node named "n9" in this cluster/],
  ['/services/shop/ghost', /no service shop\/ghost in this cluster/],
  ['/trace?from=pod/shop&to=svc/shop/web:80&proto=tcp', /from: invalid endpoint "pod\/shop": expected pod\/NAMESPACE\/NAME/],
  ['/trace?from=pod/shop/client-0&to=10.0.0.1:99999&proto=tcp', /port 99999 is outside 1-65535/],
  ['/trace?from=pod/shop/client-0&to=svc/shop/web:80&proto=sctp', /proto: "sctp" is not tcp, udp or icmp/],
  ['/trace?from=pod/shop/ghost&to=svc/shop/web:80&proto=tcp', /source: unknown pod shop\/ghost \(not in cluster\.json\)/],
  // Half a link (only one end) fills the form, but what is malformed in it is still named.
  ['/trace?from=pod/shop', /from: invalid endpoint "pod\/shop": expected pod\/NAMESPACE\/NAME/],
  ['/trace?port=abc', /port: "abc" is not a port number \(1-65535\)/],
  ['/no/such/view', /No such page/],
];

for (const [url, message] of cases) {
  test(`bad link ${url}`, async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto(url);
    const alert = page.getByTestId('error');
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(message);
    expect(errors).toEqual([]);
  });
}
