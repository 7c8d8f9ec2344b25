import { describe, expect, it } from 'vitest';
import { groundTruth } from './groundTruth.js';

// The tracer against real packets: scenario "host-gw", without and with the faults that apply to its CNI.
const log = (line: string) => console.log(line);

describe('ground truth: host-gw', () => {
  for (const faults of [[], ['missing-route'], ['drop-rule'], ['down-veth'], ['stale-service-rule']] as string[][]) {
    it(`agrees with real probes${faults.length ? ` (${faults.join(', ')})` : ''}`, async () => {
      const r = await groundTruth('host-gw', faults, log);
      expect(r.agree, `agreement ${r.agree}/${r.total}`).toBe(r.total);
    }, 600_000);
  }
});
