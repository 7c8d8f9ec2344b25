import { describe, expect, it } from 'vitest';
import { groundTruth } from './groundTruth.js';

// The tracer against real packets: scenario "calico-routed", without and with the faults that apply to its CNI.
const log = (line: string) => console.log(line);

describe('ground truth: calico-routed', () => {
  for (const faults of [[], ['missing-route'], ['drop-rule'], ['down-veth'], ['stale-service-rule']] as string[][]) {
    it(`agrees with real probes${faults.length ? ` (${faults.join(', ')})` : ''}`, async () => {
      const r = await groundTruth('calico-routed', faults, log);
      expect(r.agree, `agreement ${r.agree}/${r.total}`).toBe(r.total);
    }, 600_000);
  }
});
