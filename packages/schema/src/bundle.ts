import { z } from 'zod';

// bundle.json (optional) at the root of a bundle directory (DESIGN.md "Bundle").
export const BundleMeta = z.looseObject({
  schemaVersion: z.literal(1, 'schemaVersion must be 1'),
  capturedAt: z.iso.datetime({ offset: true }).optional(),
  source: z.string().optional(),
});
export type BundleMeta = z.infer<typeof BundleMeta>;
