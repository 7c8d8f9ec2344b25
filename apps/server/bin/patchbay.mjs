#!/usr/bin/env node
// Committed entry point: imports the build, so the npm bin link survives `npm ci` and rebuilds.
import('../dist/cli.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('patchbay is not built yet: run `npm run build` at the repository root.');
    process.exit(2);
  }
  throw err;
});
