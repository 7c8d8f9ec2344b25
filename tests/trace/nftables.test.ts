import { describe, expect, it } from 'vitest';
import { groundTruth } from './groundTruth.js';

// The tracer against real packets: scenario "nftables", without and with the faults that apply to its CNI.
const log = (line: string) => console.log(line);

describe('ground truth: nftables', () => {
  for (const faults of [[], ['stale-service-rule'], ['drop-rule']] as string[][]) {
    it(`agrees with real probes${faults.length ? ` (${faults.join(', ')})` : ''}`, async () => {
      const r = await groundTruth('nftables', faults, log);
      expect(r.agree, `agreement ${r.agree}/${r.total}`).toBe(r.total);
    }, 600_000);
  }
});
