import { Option, type Command } from 'commander';
import { BundleError, loadBundle } from '@patchbay/bundle';
import { resolveBundle, type ClusterModel } from '@patchbay/resolve';
import { formatProblem } from '@patchbay/schema';
import { TraceInputError, escapeControls, formatTrace, formatTraceJson, traceFlow } from '@patchbay/trace';

// `patchbay trace --bundle DIR --from SRC --to DST [--proto tcp|udp|icmp] [--json]` (DESIGN.md "Command lines").
// Exit 0 whenever a trace was computed, whatever its verdict; 2 on bad arguments or an unusable bundle, with a
// message and never a stack trace: a bundle is untrusted input, and whatever it makes fail is a named failure
// of that bundle, not a crash. Everything printed is escaped for the terminal (bundle data may hold ESC).

interface TraceOptions {
  bundle: string;
  from: string;
  to: string;
  proto: 'tcp' | 'udp' | 'icmp';
  port?: string;
  json?: boolean;
}

/** Each line escaped on its own: the line breaks of a message are ours, those inside a value are not. */
function safe(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}

function fail(message: string): never {
  process.stderr.write(`patchbay trace: ${safe(message)}\n`);
  process.exit(2);
}

/** An error as one line for people: its message, with the kind when it says more than "Error". */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof RangeError && /call stack/i.test(err.message)) return `nesting too deep to read (${err.message})`;
  return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
}

/** The bundle at `dir` as a model, or exit 2 naming why not: any failure to read or resolve it. */
async function loadModel(dir: string): Promise<ClusterModel> {
  try {
    const loaded = await loadBundle(dir);
    for (const p of loaded.problems) process.stderr.write(`warning: ${safe(formatProblem(p))}\n`);
    return resolveBundle(loaded.bundle);
  } catch (err) {
    if (err instanceof BundleError) fail(`cannot read bundle ${dir}:\n${err.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    fail(`cannot read bundle ${dir}: ${describe(err)}`);
  }
}

export async function runTrace(opts: TraceOptions): Promise<void> {
  let port: number | null = null;
  if (opts.port !== undefined) {
    if (!/^\d+$/.test(opts.port) || Number(opts.port) < 1 || Number(opts.port) > 65535) fail(`--port ${JSON.stringify(opts.port)} is not a port number (1-65535)`);
    port = Number(opts.port);
  }
  const model = await loadModel(opts.bundle);
  if (model.nodes.size === 0) fail(`bundle ${opts.bundle} has no nodes (no Node objects in cluster.json and no nodes/*.json)`);
  let out: string;
  try {
    const trace = traceFlow(model, { from: opts.from, to: opts.to, proto: opts.proto, port });
    out = opts.json ? formatTraceJson(trace) : formatTrace(trace);
  } catch (err) {
    if (err instanceof TraceInputError) fail(err.message);
    // Only the bundle's data can have led here: name the bundle, not a stack.
    fail(`cannot trace over bundle ${opts.bundle}: ${describe(err)}`);
  }
  process.stdout.write(`${out}\n`);
}

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('predict the path of one flow from a bundle (exit 0 with a trace, whatever its verdict; 2 on bad arguments or an unusable bundle)')
    .requiredOption('--bundle <dir>', 'bundle directory')
    .requiredOption('--from <endpoint>', 'source: pod/NS/NAME, node/NAME or A.B.C.D')
    .requiredOption('--to <endpoint>', 'destination: pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or A.B.C.D[:PORT]')
    .addOption(new Option('--proto <proto>', 'protocol').choices(['tcp', 'udp', 'icmp']).default('tcp'))
    .option('--port <port>', 'destination port, for pod/ and node/ destinations (default: the pod\'s first container port)')
    .option('--json', 'print the trace object as JSON (control characters from the bundle escaped as \\u00XX)')
    .action(async (opts: TraceOptions) => {
      await runTrace(opts);
    });
}
