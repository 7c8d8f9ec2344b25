import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `patchbay serve` refuses bad arguments with exit 2 and a message naming what is wrong (runs the built CLI).
const bin = fileURLToPath(new URL('../../bin/patchbay.mjs', import.meta.url));

function serve(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'serve', ...args], { timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

describe('patchbay serve arguments', () => {
  it('names a bundle directory that does not exist', async () => {
    const r = await serve(['--bundle', '/nonexistent/pb-bundle', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/pb-bundle');
    expect(r.stderr).toContain('is not a directory');
  });

  it('refuses a port that is not a number', async () => {
    const r = await serve(['--bundle', '.', '--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('patchbay serve: --port "eighty" is not a port number (0-65535)\n');
  });

  it('says what to serve when nothing is given', async () => {
    const r = await serve([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('patchbay serve: say what to serve: --bundle DIR\n');
  });

  it('says the live cluster source is not there yet', async () => {
    const r = await serve(['--in-cluster']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the live cluster source is not available in this build yet');
  });
});
