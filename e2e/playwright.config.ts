import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

// The e2e suite runs the real built server (`patchbay serve`, UI and API on one port) on the demo bundle, in
// Debian's Chromium. Run `npm run build` first; the root test runner does.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

// Workers re-evaluate this file; they must agree with the main process on the port, so it travels in the env.
const port = Number(process.env.PATCHBAY_E2E_PORT ?? (process.env.PATCHBAY_E2E_PORT = String(await freePort())));
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './artifacts/test-output',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    viewport: { width: 1400, height: 1000 },
    video: 'off',
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  webServer: {
    command: `node apps/server/bin/patchbay.mjs serve --bundle apps/server/demo/bundle --port ${port} --host 127.0.0.1`,
    cwd: root,
    url: `${baseURL}/readyz`,
    timeout: 90_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { LOG_LEVEL: 'warn', NEXT_TELEMETRY_DISABLED: '1' },
  },
});
