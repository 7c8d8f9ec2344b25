import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenFile, tokenFromText } from './tokenFile.js';

const good = 'abcdefghijklmnop0123';

describe('token file contents', () => {
  it('strips one trailing newline and nothing else', () => {
    expect(tokenFromText(`${good}\n`)).toEqual({ token: good });
    expect(tokenFromText(`${good}\r\n`)).toEqual({ token: good });
    expect(tokenFromText(good)).toEqual({ token: good });
    expect(tokenFromText(`${good}\n\n`)).toEqual({ problem: expect.stringMatching(/whitespace or a control character at character 21/) });
    expect(tokenFromText(` ${good}`)).toEqual({ problem: expect.stringMatching(/whitespace or a control character at character 1;/) });
  });

  it('names what is wrong and never quotes the token', () => {
    const cases = ['abcde', 'abcdefgh\tijklmnopq', `abcdefgh\u00a0ijklmnopq`, `abcdefgh\u00e9ijklmnopq`, '', '\n', 'x'.repeat(5000)];
    const problems = cases.map((c) => ('problem' in tokenFromText(c) ? (tokenFromText(c) as { problem: string }).problem : 'accepted'));
    expect(problems).toEqual([
      'is 5 characters long; at least 16 are needed',
      expect.stringMatching(/^holds whitespace or a control character at character 9;/),
      expect.stringMatching(/^holds whitespace or a control character at character 9;/),
      expect.stringMatching(/^holds a character outside printable ASCII at character 9;/),
      'is empty',
      'is empty',
      'is longer than 4096 characters (not a token)',
    ]);
    for (const p of problems) expect(p).not.toMatch(/abcde|xxxx/);
  });
});

describe('TokenFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup() {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-token-'));
    dirs.push(dir);
    const file = path.join(dir, 'token');
    const lines: { level: string; msg: string }[] = [];
    const log = { info: (_o: object, msg: string) => lines.push({ level: 'info', msg }), warn: (_o: object, msg: string) => lines.push({ level: 'warn', msg }) };
    const clock = { t: 0 };
    return { file, lines, log, clock, opts: { log: log as never, now: () => clock.t } };
  }

  it('refuses to load a bad file, naming the file', async () => {
    const { file, opts } = setup();
    writeFileSync(file, 'short\n');
    await expect(TokenFile.load(file, opts)).rejects.toThrow(`the token file ${file} is 5 characters long; at least 16 are needed`);
    await expect(TokenFile.load(`${file}.missing`, opts)).rejects.toThrow(`cannot read the token file ${file}.missing: ENOENT`);
  });

  it('re-reads at most once a second, takes a valid new token, keeps the old one (and says why) for an invalid one or a missing file', async () => {
    const { file, lines, clock, opts } = setup();
    writeFileSync(file, `${good}\n`);
    const t = await TokenFile.load(file, opts);
    const second = 'ZYXWVUTSRQPONMLK9876';
    writeFileSync(file, second);
    clock.t = 999;
    expect(await t.current()).toBe(good); // not re-read yet
    clock.t = 1000;
    expect(await t.current()).toBe(second);
    expect(lines).toEqual([{ level: 'info', msg: 'the token file changed; using the new token' }]);

    writeFileSync(file, 'with space inside!!\n');
    clock.t = 2000;
    expect(await t.current()).toBe(second);
    clock.t = 3000;
    expect(await t.current()).toBe(second);
    expect(lines.slice(1)).toEqual([{ level: 'warn', msg: expect.stringMatching(new RegExp(`^the token file ${file} changed but holds whitespace .*; keeping the previous token$`)) }]);

    unlinkSync(file);
    clock.t = 4000;
    expect(await t.current()).toBe(second);
    expect(lines[2]).toEqual({ level: 'warn', msg: `cannot read the token file ${file} (ENOENT); keeping the previous token` });
    for (const l of lines) expect(l.msg).not.toContain(second);
  });
});
