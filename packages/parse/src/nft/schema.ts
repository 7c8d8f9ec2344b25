// zod shapes for the objects of `nft -j list ruleset` (libnftables-json(5)). Only the outer objects are
// checked here; expressions are free-form in the format and are read by hand with warnings.

import { z } from 'zod';

const handle = z.number().int().optional();
const stringOrList = z.union([z.string(), z.array(z.string())]);

export const NftTableJson = z.looseObject({
  family: z.string(),
  name: z.string(),
  handle,
  comment: z.string().optional(),
  flags: stringOrList.optional(),
});

export const NftChainJson = z.looseObject({
  family: z.string(),
  table: z.string(),
  name: z.string(),
  handle,
  type: z.string().optional(),
  hook: z.string().optional(),
  prio: z.number().optional(),
  policy: z.enum(['accept', 'drop']).optional(),
  dev: stringOrList.optional(),
  comment: z.string().optional(),
});

export const NftRuleJson = z.looseObject({
  family: z.string(),
  table: z.string(),
  chain: z.string(),
  handle,
  index: z.number().optional(),
  comment: z.string().optional(),
  expr: z.array(z.unknown(), 'a rule needs an "expr" array of statements'),
});

export const NftSetJson = z.looseObject({
  family: z.string(),
  table: z.string(),
  name: z.string(),
  handle,
  // A type name, a list of them (concatenation), or {typeof: expr} in newer nft.
  type: z.union([z.string(), z.array(z.string()), z.record(z.string(), z.unknown())]),
  map: z.union([z.string(), z.array(z.string())]).optional(),
  flags: stringOrList.optional(),
  timeout: z.number().optional(),
  comment: z.string().optional(),
  elem: z.array(z.unknown()).optional(),
});

export const NftMetainfoJson = z.looseObject({
  version: z.string().optional(),
  release_name: z.string().optional(),
  json_schema_version: z.number().optional(),
});
