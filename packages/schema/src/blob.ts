import { z } from 'zod';

// A large section carried by reference; the content lives in the bundle's blobs/SHA256 (DESIGN.md "NodeSnapshot").
export const BlobRef = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits'),
  bytes: z.number().int().nonnegative(),
});
export type BlobRef = z.infer<typeof BlobRef>;

/** Raw tool output, inline or by reference. */
export const TextSection = z.union([z.string(), BlobRef]);
export type TextSection = z.infer<typeof TextSection>;

export function isBlobRef(v: unknown): v is BlobRef {
  return BlobRef.safeParse(v).success;
}
