import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { collectSnapshot, type CollectDeps, type CollectOptions } from './collectSnapshot.js';
import { DEFAULT_LISTEN, formatListen, isLoopback, parseListen } from './listen.js';
import { createLogger } from './log.js';
import { execRun } from './run.js';
import { realFs } from './system.js';
import { TokenFile } from './tokenFile.js';
import { agentVersion } from './version.js';

// patchbay-agent snapshot | serve (DESIGN.md "Command lines").

function positiveInt(what: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number, got "${v}"`);
    return n;
  };
}

function nftTable(v: string, prev: [string, string][] = []): [string, string][] {
  const m = /^(ip|ip6|inet|arp|bridge|netdev):(\S+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--nft-table wants FAMILY:NAME (e.g. inet:filter), got "${v}"`);
  return [...prev, [m[1]!, m[2]!]];
}

interface CommonOpts {
  nodeName?: string;
  timeout: number;
  dumpTimeout: number;
  concurrency?: number;
  nftFullLimit: number;
  nftTable?: [string, string][];
  netnsDir: string;
  cniConfDir: string;
  cniResultsDir: string;
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('--node-name <name>', 'node name (default: $NODE_NAME, then the hostname)')
    .addOption(new Option('--timeout <ms>', 'time limit for each namespace read (ip, bridge)').argParser(positiveInt('--timeout')).default(10_000))
    .addOption(
      new Option('--dump-timeout <ms>', 'time limit for each rule dump (iptables-save, nft, ipset, ipvsadm)').argParser(positiveInt('--dump-timeout')).default(60_000),
    )
    .addOption(new Option('--concurrency <n>', 'namespace reads at once (default: 4 per CPU)').argParser(positiveInt('--concurrency')))
    .addOption(
      new Option('--nft-full-limit <rules>', 'list the whole nft ruleset only while iptables-nft holds at most this many rules')
        .argParser(positiveInt('--nft-full-limit'))
        .default(20_000),
    )
    .option('--nft-table <family:name>', 'another native nft table to list when the ruleset is not listed whole (repeatable)', nftTable)
    .option('--netns-dir <dir>', 'where named network namespaces are', '/var/run/netns')
    .option('--cni-conf-dir <dir>', 'CNI configuration directory', '/etc/cni/net.d')
    .option('--cni-results-dir <dir>', 'libcni result cache', '/var/lib/cni/results');
}

function setup(o: CommonOpts, deps: Partial<CollectDeps> = {}): { deps: CollectDeps; opts: CollectOptions } {
  return {
    deps: {
      run: execRun({ timeoutMs: o.timeout }),
      fs: realFs,
      paths: { netnsDir: o.netnsDir, cniConfDir: o.cniConfDir, cniResultsDir: o.cniResultsDir },
      ...deps,
    },
    opts: {
      nodeName: o.nodeName || process.env.NODE_NAME || os.hostname(),
      timeoutMs: o.timeout,
      dumpTimeoutMs: o.dumpTimeout,
      concurrency: o.concurrency,
      nftFullListingLimit: o.nftFullLimit,
      nftExtraTables: o.nftTable,
    },
  };
}

const program = new Command()
  .name('patchbay-agent')
  .description("Reads a Kubernetes node's network state (read-only) and prints or serves it as a NodeSnapshot.")
  .version(agentVersion);

withCommon(
  program
    .command('snapshot')
    .description('print one NodeSnapshot (JSON) of this network namespace and the namespaces joined to it')
    .option('--pretty', 'indent the JSON'),
).action(async (o: CommonOpts & { pretty?: boolean }) => {
  const log = createLogger();
  const { deps, opts } = setup(o, { log });
  try {
    const { snapshot, readSomething } = await collectSnapshot(deps, opts);
    for (const e of snapshot.errors) log.warn(e, 'collector error');
    writeInSlices(JSON.stringify(snapshot, null, o.pretty ? 2 : undefined));
    process.stdout.write('\n'); // not appended to the text: that would copy 18 MB once more
    // Non-zero only when nothing could be read; partial snapshots are still useful.
    if (!readSomething) process.exitCode = 1;
  } catch (err) {
    log.fatal({ err }, 'snapshot failed');
    process.exitCode = 1;
  }
});

/**
 * Writes a large string 1 MiB at a time: stdout on a pipe or file is written synchronously, and one write of an
 * 18 MB string would first copy all of it into a Buffer (measured: +33 MB peak RSS).
 */
function writeInSlices(text: string, slice = 1 << 20) {
  for (let i = 0; i < text.length; ) {
    let end = Math.min(i + slice, text.length);
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff && end < text.length) end += 1; // keep a surrogate pair whole
    process.stdout.write(text.slice(i, end));
    i = end;
  }
}

function listenAddr(v: string): { host: string; port: number } {
  const l = parseListen(v);
  if (!l) throw new InvalidArgumentError(`--listen wants ADDR:PORT, [ADDR]:PORT or PORT, got ${JSON.stringify(v)}`);
  return l;
}

function seconds(what: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a number of seconds, 0 or more, got ${JSON.stringify(v)}`);
    return n;
  };
}

withCommon(
  program
    .command('serve')
    .description('serve snapshots over HTTP: /snapshot (ETag), /blobs/SHA256, /healthz (live), /readyz (has a snapshot), /metrics')
    .addOption(
      new Option('--listen <addr:port>', 'where to listen; an address other than loopback needs --token-file (or --insecure-allow-unauthenticated)')
        .argParser(listenAddr)
        .default(DEFAULT_LISTEN, formatListen(DEFAULT_LISTEN)),
    )
    .addOption(new Option('--interval <seconds>', 'time between collections').argParser(positiveInt('--interval')).default(30))
    .addOption(new Option('--jitter <fraction>', 'spread of the interval, 0..1').default(0.1).argParser((v) => {
      const n = Number(v);
      if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`--jitter must be between 0 and 1, got "${v}"`);
      return n;
    }))
    .addOption(new Option('--max-collections <n>', 'collections at once').argParser(positiveInt('--max-collections')).default(1))
    .addOption(new Option('--blob-threshold <bytes>', 'serve larger sections by reference on /blobs').argParser(positiveInt('--blob-threshold')).default(1024 * 1024))
    .addOption(
      new Option('--min-refresh-interval <seconds>', 'an on-demand collection (?refresh=1) starts at most this often; between them the cached snapshot is served')
        .argParser(seconds('--min-refresh-interval'))
        .default(5),
    )
    .option('--token-file <path>', `require "Authorization: Bearer <token>" with the token in this file (one line of printable ASCII, at least 16 characters; re-read when it changes)`)
    .option('--insecure-allow-unauthenticated', 'serve without a token on an address other than loopback (anyone who reaches it reads the node\'s network state)'),
).action(
  async (
    o: CommonOpts & {
      listen: { host: string; port: number };
      interval: number;
      jitter: number;
      maxCollections: number;
      blobThreshold: number;
      minRefreshInterval: number;
      tokenFile?: string;
      insecureAllowUnauthenticated?: boolean;
    },
  ) => {
    const log = createLogger();
    const where = formatListen(o.listen);
    let token: TokenFile | undefined;
    if (o.tokenFile) {
      try {
        token = await TokenFile.load(o.tokenFile, { log });
      } catch (err) {
        log.fatal({ file: o.tokenFile }, (err as Error).message);
        process.exitCode = 2;
        return;
      }
    } else if (!isLoopback(o.listen.host)) {
      if (!o.insecureAllowUnauthenticated) {
        log.fatal(
          { listen: where },
          `refusing to serve on ${where} without authentication: anyone who reaches that address could read this node's network state. ` +
            'Pass --token-file FILE, listen on loopback (the default, 127.0.0.1:9465), or pass --insecure-allow-unauthenticated to serve anyway.',
        );
        process.exitCode = 2;
        return;
      }
      log.warn({ listen: where }, `serving snapshots WITHOUT AUTHENTICATION on ${where} (--insecure-allow-unauthenticated): anyone who reaches it can read this node's network state`);
    }
    // Loaded here so that `snapshot` does not pay for the HTTP server and prom-client.
    const { createMetrics, observer } = await import('./metrics.js');
    const { SnapshotServer } = await import('./serve.js');
    const metrics = createMetrics();
    const { deps, opts } = setup(o, { log, observe: observer(metrics) });
    const server = new SnapshotServer({
      host: o.listen.host,
      port: o.listen.port,
      collect: async () => (await collectSnapshot(deps, opts)).snapshot,
      metrics,
      log,
      intervalMs: o.interval * 1000,
      jitter: o.jitter,
      maxConcurrent: o.maxCollections,
      blobThreshold: o.blobThreshold,
      minRefreshMs: o.minRefreshInterval * 1000,
      token,
    });
    await server.start();
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      server.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  },
);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
});
