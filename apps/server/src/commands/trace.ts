import { Option, type Command } from 'commander';
import { BundleError, loadBundle } from '@patchbay/bundle';
import { resolveBundle } from '@patchbay/resolve';
import { formatProblem } from '@patchbay/schema';
import { TraceInputError, formatTrace, traceFlow } from '@patchbay/trace';

// `patchbay trace --bundle DIR --from SRC --to DST [--proto tcp|udp|icmp] [--json]` (DESIGN.md "Command lines").
// Exit 0 whenever a trace was computed, whatever its verdict; 2 on bad arguments or an unusable bundle.

interface TraceOptions {
  bundle: string;
  from: string;
  to: string;
  proto: 'tcp' | 'udp' | 'icmp';
  port?: string;
  json?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`patchbay trace: ${message}\n`);
  process.exit(2);
}

export async function runTrace(opts: TraceOptions): Promise<void> {
  let port: number | null = null;
  if (opts.port !== undefined) {
    if (!/^\d+$/.test(opts.port) || Number(opts.port) < 1 || Number(opts.port) > 65535) fail(`--port ${JSON.stringify(opts.port)} is not a port number (1-65535)`);
    port = Number(opts.port);
  }
  let loaded;
  try {
    loaded = await loadBundle(opts.bundle);
  } catch (err) {
    if (err instanceof BundleError) fail(`cannot read bundle ${opts.bundle}:\n${err.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    fail(`cannot read bundle ${opts.bundle}: ${(err as Error).message}`);
  }
  for (const p of loaded.problems) process.stderr.write(`warning: ${formatProblem(p)}\n`);
  const model = resolveBundle(loaded.bundle);
  if (model.nodes.size === 0) fail(`bundle ${opts.bundle} has no nodes (no Node objects in cluster.json and no nodes/*.json)`);
  try {
    const trace = traceFlow(model, { from: opts.from, to: opts.to, proto: opts.proto, port });
    process.stdout.write(opts.json ? `${JSON.stringify(trace, null, 2)}\n` : `${formatTrace(trace)}\n`);
  } catch (err) {
    if (err instanceof TraceInputError) fail(err.message);
    throw err;
  }
}

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('predict the path of one flow from a bundle')
    .requiredOption('--bundle <dir>', 'bundle directory')
    .requiredOption('--from <endpoint>', 'source: pod/NS/NAME, node/NAME or A.B.C.D')
    .requiredOption('--to <endpoint>', 'destination: pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or A.B.C.D[:PORT]')
    .addOption(new Option('--proto <proto>', 'protocol').choices(['tcp', 'udp', 'icmp']).default('tcp'))
    .option('--port <port>', 'destination port, for pod/ and node/ destinations (default: the pod\'s first container port)')
    .option('--json', 'print the trace object as JSON')
    .action(async (opts: TraceOptions) => {
      await runTrace(opts);
    });
}
