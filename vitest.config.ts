import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages by name; this points them at src so no build is needed to test.
const alias = [{ find: /^@patchbay\/([a-z-]+)$/, replacement: fileURLToPath(new URL('./packages/$1/src/index.ts', import.meta.url)) }];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Real network namespaces: run as root, one file at a time (2 cores), generous timeouts. Some files
          // check machine-wide state (`ip netns list`), so files never overlap. Tests a file marks concurrent
          // (the ground-truth labs, tests/trace/groundTruth.ts) run three at a time: a lab mostly waits (for
          // probes, pauses, its processes), so on 2 cores three labs took 12-16% less time than two, and every
          // flow still agreed (issue 19).
          name: 'lab',
          include: ['tests/**/*.test.ts'],
          fileParallelism: false,
          maxConcurrency: 3,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
