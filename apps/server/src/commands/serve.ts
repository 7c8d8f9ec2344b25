import type { Command } from 'commander';
import { pino } from 'pino';
import { BundleError } from '@patchbay/bundle';
import { bundleSource, traceFlow } from '../sources/compose.js';
import { defaultWebDir, startServer, webIsBuilt } from '../http/server.js';

interface ServeFlags {
  bundle?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  port: string;
  host: string;
}

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
    .option('--host <addr>', 'address to listen on', process.env.HOST ?? '0.0.0.0')
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!/^\d+$/.test(flags.port) || port > 65535) fail(`--port ${JSON.stringify(flags.port)} is not a port number (0-65535)`);
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
        running = await startServer({ source, traceFlow, port, host: flags.host, log, webDir: built ? webDir : null });
      } catch (err) {
        fail(`cannot listen on ${flags.host}:${port}: ${(err as Error).message}`);
      }
      log.info({ url: running.url, source: source.description }, 'serving');
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
