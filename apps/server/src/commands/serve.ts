import type { Command } from 'commander';
import { pino } from 'pino';
import { BundleError } from '@patchbay/bundle';
import { bundleSource, traceFlow } from '../sources/compose.js';
import { normalizeAllowedHost } from '../http/hostPolicy.js';
import { defaultListenHost, isLoopbackHost } from '../http/listenAddress.js';
import { defaultWebDir, startServer, webIsBuilt } from '../http/server.js';

interface ServeFlags {
  bundle?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  port: string;
  host?: string;
  allowedHost?: string[];
}

// No default array: commander would print "(default: [])" in --help.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function fail(message: string): never {
  process.stderr.write(`patchbay serve: ${message}\n`);
  process.exit(2);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the dashboard (UI and tRPC API) on one port')
    .option('--bundle <dir>', 'serve a bundle directory (reloaded when it changes)')
    .option('--kubeconfig <file>', 'serve a live cluster (not available yet)')
    .option('--in-cluster', 'serve the cluster this pod runs in (not available yet)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', process.env.PORT ?? '3000')
    .option(
      '--host <addr>',
      'address to listen on (default: $HOST, else 0.0.0.0 in a container, that is when KUBERNETES_SERVICE_HOST is set or /.dockerenv or /run/.containerenv exists, else 127.0.0.1); any address but loopback prints a warning, as the dashboard has no sign-in yet',
    )
    .option(
      '--allowed-host <name>',
      'a host name (or IP address) clients may use to reach the server, besides localhost and the address it listens on; requests naming any other host get 421 (repeatable)',
      collect,
    )
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!/^\d+$/.test(flags.port) || port > 65535) fail(`--port ${JSON.stringify(flags.port)} is not a port number (0-65535)`);
      const allowedHosts = (flags.allowedHost ?? []).map((name) => normalizeAllowedHost(name) ?? fail(`--allowed-host ${JSON.stringify(name)} is not a host name or an IP address`));
      const listen = flags.host ? { host: flags.host, why: 'from --host' } : defaultListenHost();
      const { host } = listen;
      if (flags.kubeconfig || flags.inCluster) fail('the live cluster source is not available in this build yet; use --bundle DIR');
      if (!flags.bundle) fail('say what to serve: --bundle DIR');

      const log = pino({ name: 'patchbay', level: process.env.LOG_LEVEL ?? 'info' });
      const source = bundleSource(flags.bundle, log);
      try {
        await source.start();
      } catch (err) {
        if (err instanceof BundleError) fail(err.message);
        fail(`cannot load ${flags.bundle}: ${(err as Error).message}`);
      }
      const webDir = defaultWebDir();
      const built = webIsBuilt(webDir);
      if (!built) log.warn({ webDir }, 'the web app is not built; serving the API only (run `npm run build`)');
      let running;
      try {
        running = await startServer({ source, traceFlow, port, host, allowedHosts, log, webDir: built ? webDir : null });
      } catch (err) {
        fail(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
      }
      if (!isLoopbackHost(host)) {
        const warning = `listening on ${host}, reachable from other machines, and the dashboard has no sign-in yet: anyone who reaches this port can read the cluster's network layout. Use --host 127.0.0.1 to keep it on this machine.`;
        log.warn({ host }, warning);
        process.stderr.write(`patchbay serve: warning: ${warning}\n`);
      }
      log.info({ url: running.url, source: source.description, host, hostChosen: listen.why, allowedHosts }, 'serving');
      process.stderr.write(`Patchbay dashboard for ${source.description}: ${running.url}\n`);
      const stop = (signal: string) => {
        log.info({ signal }, 'shutting down');
        source.close();
        void running.close().then(() => process.exit(0));
        setTimeout(() => process.exit(0), 3000).unref();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
