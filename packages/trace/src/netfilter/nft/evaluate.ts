import type { NftRuleset } from '@patchbay/schema';
import type { BaseChain, Hook, NetfilterEvaluator } from '../types.js';

export class NftEvaluator implements NetfilterEvaluator {
  readonly backend = 'nft' as const;
  readonly warnings: string[] = [];
  readonly hasChains = false;
  constructor(readonly ruleset: NftRuleset) {}
  baseChains(_hook: Hook): BaseChain[] {
    return [];
  }
}
