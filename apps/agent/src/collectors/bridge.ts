import { BridgeFdb, BridgeLink } from '@patchbay/schema';
import { errorMessage, RunError, type Run } from '../run.js';
import { splitBatchOutput } from './netnsRead.js';

// The host's bridge FDB and bridge ports, from one `bridge -d -j -b -` process.

export interface BridgeRead {
  fdb: BridgeFdb[];
  ports: BridgeLink[];
  errors: string[];
}

export async function readBridge(run: Run, timeoutMs?: number): Promise<BridgeRead> {
  const errors: string[] = [];
  let stdout: string;
  try {
    stdout = (await run('bridge', ['-d', '-j', '-force', '-b', '-'], { input: 'fdb show\nlink show\n', timeoutMs })).stdout;
  } catch (err) {
    errors.push(errorMessage(err));
    stdout = err instanceof RunError ? err.stdout : '';
  }
  const docs = splitBatchOutput(stdout);
  if (docs.length !== 2) {
    if (stdout) errors.push(`bridge batch printed ${docs.length} JSON documents for 2 commands`);
    return { fdb: [], ports: [], errors };
  }
  const pick = <T>(schema: { safeParse(v: unknown): { success: boolean } }, doc: unknown, what: string): T[] => {
    if (!Array.isArray(doc)) {
      errors.push(`${what}: no JSON array`);
      return [];
    }
    return doc.filter((d, i) => {
      const ok = schema.safeParse(d).success;
      if (!ok) errors.push(`${what}[${i}] does not match the schema`);
      return ok;
    }) as T[];
  };
  return { fdb: pick<BridgeFdb>(BridgeFdb, docs[0], 'fdb'), ports: pick<BridgeLink>(BridgeLink, docs[1], 'bridge link'), errors };
}
