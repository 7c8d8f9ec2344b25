// Preloaded into the agent by the bench (node --import): prints the process's peak RSS on exit, to stderr.
import { writeSync } from 'node:fs';
process.on('exit', () => {
  writeSync(2, `\nPATCHBAY_BENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
});
