import type { BaseChain, Hook, NetfilterEvaluator } from '../types.js';

export class IpvsEvaluator implements NetfilterEvaluator {
  readonly backend = 'ipvs' as const;
  readonly warnings: string[] = [];
  readonly hasServices = false;
  constructor(readonly text: string) {}
  baseChains(_hook: Hook): BaseChain[] {
    return [];
  }
}
