import { readFileSync } from 'node:fs';

// The agent's version, from its package.json (dist/ and src/ both sit one level below it).
function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const agentVersion = readVersion();
