#!/usr/bin/env node
// Committed entry point for `npm run lab -- ...`: imports the build.
import('../dist/cli.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('the lab is not built yet: run `npm run build` at the repository root.');
    process.exit(2);
  }
  throw err;
});
