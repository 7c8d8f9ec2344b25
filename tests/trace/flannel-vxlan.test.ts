import { describe, expect, it } from 'vitest';
import { groundTruth } from './groundTruth.js';

// The tracer against real packets: flannel VXLAN + kube-proxy iptables, without and with each fault.
const log = (line: string) => console.log(line);

describe('ground truth: flannel-vxlan', () => {
  for (const faults of [[], ['missing-route'], ['drop-rule'], ['down-veth'], ['stale-service-rule'], ['missing-fdb'], ['asymmetric-return'], ['mtu-mismatch']] as string[][]) {
    it(`agrees with real probes${faults.length ? ` (${faults.join(', ')})` : ''}`, async () => {
      const r = await groundTruth('flannel-vxlan', faults, log);
      expect(r.agree, `agreement ${r.agree}/${r.total}`).toBe(r.total);
    }, 600_000);
  }
});
