import type { Command } from 'commander';

// Placeholder until the dashboard lands (issue 6); the dashboard's owner replaces this module.
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the dashboard (UI and tRPC API) on one port')
    .option('--bundle <dir>', 'serve a bundle directory')
    .option('--port <n>', 'port', '3000')
    .action(() => {
      console.error('patchbay serve: not implemented yet');
      process.exit(2);
    });
}
