// `patchbay`: the dashboard server and the trace CLI (DESIGN.md "Command lines").
import { Command } from 'commander';
import { registerServe } from './commands/serve.js';
import { registerTrace } from './commands/trace.js';
import { VERSION } from './version.js';

const program = new Command('patchbay')
  .description('See how a Kubernetes cluster network is wired and predict where a packet goes.')
  .version(VERSION)
  .showHelpAfterError()
  // Exit 2 on bad arguments, as DESIGN.md asks of `patchbay trace`.
  .exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.exit(2);
  });

registerTrace(program);
registerServe(program);

await program.parseAsync(process.argv);
