import { describe, expect, it } from 'vitest';
import { execRun, RunError } from './run.js';

describe('execRun', () => {
  const run = execRun({ timeoutMs: 2000 });
  it('returns stdout and feeds stdin', async () => {
    expect((await run('cat', [], { input: 'a b\n' })).stdout).toBe('a b\n');
  });
  it('passes arguments without a shell', async () => {
    expect((await run('echo', ['$HOME; rm -rf /'])).stdout).toBe('$HOME; rm -rf /\n');
  });
  it('tells a missing command, a timeout and a failure apart, keeping stdout', async () => {
    await expect(run('patchbay-no-such-tool', [])).rejects.toMatchObject({ failure: 'missing' });
    await expect(run('sleep', ['5'], { timeoutMs: 100 })).rejects.toMatchObject({ failure: 'timeout' });
    const err = await run('sh', ['-c', 'echo partial; echo boom >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect(err).toMatchObject({ failure: 'exit', stdout: 'partial\n', exitCode: 3 });
    expect((err as RunError).message).toMatch(/boom/);
  });
});
