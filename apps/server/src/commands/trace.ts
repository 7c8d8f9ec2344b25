import type { Command } from 'commander';

// Placeholder until the tracer lands (issue 5); the tracer's owner replaces this module.
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('predict the path of one flow from a bundle')
    .requiredOption('--bundle <dir>', 'bundle directory')
    .requiredOption('--from <endpoint>', 'source: pod/NS/NAME, node/NAME or A.B.C.D')
    .requiredOption('--to <endpoint>', 'destination: pod/NS/NAME, svc/NS/NAME:PORT or A.B.C.D[:PORT]')
    .option('--proto <proto>', 'tcp, udp or icmp', 'tcp')
    .option('--json', 'print the trace object as JSON')
    .action(() => {
      console.error('patchbay trace: not implemented yet');
      process.exit(2);
    });
}
