// `npm run lab -- up|down|record|probe|list`: bring labs up and down by hand, record bundles, send one probe.
import path from 'node:path';
import { Command, Option } from 'commander';
import { parseEndpoint, type Endpoint } from '@patchbay/schema';
import { assertLabCapable } from './capability.js';
import { k8sBinDir } from './controlPlane/binaries.js';
import { isRunning } from './controlPlane/processes.js';
import { controlPlaneNetns } from './controlPlane/start.js';
import { cniDirs } from './cniFiles.js';
import { FAULTS, FAULT_NAMES } from './faultNames.js';
import { makeLab, startLab, type Lab } from './lab.js';
import { PREFIX_RE } from './names.js';
import { planLab } from './plan.js';
import { scenarios, loadScenario } from './scenarios.js';
import { labDir, listStates, ownerAlive, readState, recordedProcesses, removeState } from './state.js';
import { destroyPrefix, listNetns } from './teardown.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function labFromState(prefix: string): Lab {
  const st = readState(prefix);
  return makeLab(planLab(st.scenario, st.prefix, st.faults));
}

/**
 * The command a person runs to ask the lab's API server something. kubectl must run inside `<prefix>-cp`: the
 * API server listens on the lab's underlay only, which the root namespace cannot reach.
 */
async function kubectlCommand(prefix: string): Promise<string> {
  let binDir: string;
  try {
    binDir = await k8sBinDir();
  } catch {
    binDir = '<k8s dir: bash scripts/k8s/build.sh --print-dir>';
  }
  return `ip netns exec ${controlPlaneNetns(prefix)} ${path.join(binDir, 'kubectl')} --kubeconfig ${path.join(labDir(prefix), 'kubeconfig')}`;
}

function fromNetns(lab: Lab, text: string): string {
  if (text.startsWith(`${lab.prefix}-`)) return text;
  const e = parseEndpoint(text);
  if (e.kind === 'pod') return lab.podNetns(e.namespace, e.name);
  if (e.kind === 'node') return lab.nodeNetns(e.name);
  throw new Error(`--from must be pod/NS/NAME, node/NAME or a namespace of lab ${lab.prefix}, not ${text}`);
}

function target(lab: Lab, e: Endpoint, port: number | undefined): { ip: string; port?: number } {
  switch (e.kind) {
    case 'ip':
      return { ip: e.ip, port: e.port ?? port };
    case 'pod': {
      const p = lab.plan.pods.find((x) => x.key === `${e.namespace}/${e.name}`);
      if (!p) throw new Error(`lab ${lab.prefix} has no pod ${e.namespace}/${e.name}`);
      return { ip: p.ip, port };
    }
    case 'node':
      return { ip: lab.plan.nodes.find((n) => n.name === e.name)?.internalIP ?? lab.nodeNetns(e.name), port };
    case 'service': {
      const svc = lab.scenario.services.find((s) => s.namespace === e.namespace && s.name === e.name);
      if (!svc) throw new Error(`lab ${lab.prefix} has no service ${e.namespace}/${e.name}`);
      const sp = svc.ports.find((p) => p.port === e.port || p.name === e.port);
      if (!sp) throw new Error(`service ${e.namespace}/${e.name} has no port ${e.port}`);
      if (svc.clusterIP === 'None') throw new Error(`service ${e.namespace}/${e.name} is headless (no cluster IP); probe one of its pods`);
      return { ip: svc.clusterIP, port: sp.port };
    }
  }
}

const program = new Command('lab')
  .description(
    'Real Kubernetes labs in network namespaces (root only): nodes and pods wired by the scenario\'s CNI, a real control plane (etcd, kube-apiserver, kube-controller-manager) holding the cluster\'s objects, and real kube-proxy in every node writing the service rules.',
  )
  .showHelpAfterError();

program
  .command('list')
  .description('list scenarios, faults and running labs (with the processes each lab recorded, and the kubectl command for its API server)')
  .action(async () => {
    console.log('scenarios:');
    for (const s of Object.values(scenarios)) console.log(`  ${s.name.padEnd(14)} ${s.description}`);
    console.log('faults:');
    for (const f of Object.values(FAULTS)) console.log(`  ${f.name.padEnd(19)} (${f.cni.join(', ')}) ${f.plants}`);
    const states = listStates();
    console.log(states.length ? 'running labs:' : 'running labs: none');
    const netns = await listNetns();
    for (const st of states) {
      const count = netns.filter((n) => n.startsWith(`${st.prefix}-`)).length;
      console.log(`  ${st.prefix}  ${st.scenario.name}${st.faults.length ? ` +${st.faults.join(',')}` : ''}  ${count} namespaces  ${st.detached ? 'detached' : `owner pid ${st.pid}`}  since ${st.createdAt}`);
      // The lab's own processes (the control plane), as recorded: running means same pid and same start time.
      for (const p of st.processes) console.log(`    ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${isRunning(p) ? 'running' : 'gone'}  in ${p.netns}`);
      console.log(`    kubectl: ${await kubectlCommand(st.prefix)} get endpointslices -A`);
    }
  });

program
  .command('up')
  .description(
    'bring a scenario up and leave it running: namespaces and CNI wiring, the control plane, the objects created through its API, kube-proxy in every node (waits for its first sync), then the faults; prints namespaces and commands',
  )
  .argument('<scenario>', `one of ${Object.keys(scenarios).join(', ')}`)
  .addOption(new Option('--fault <fault>', 'plant a fault (repeatable)').choices([...FAULT_NAMES]).argParser(collect).default([]))
  .option('--prefix <prefix>', 'namespace prefix (pb + 4-6 hex digits); random by default')
  .action(async (name: string, opts: { fault: string[]; prefix?: string }) => {
    assertLabCapable();
    const t0 = performance.now();
    const lab = await startLab(loadScenario(name), { faults: opts.fault, prefix: opts.prefix, detached: true });
    console.log(`lab ${lab.prefix} (${name}${lab.plan.faults.length ? `, faults: ${lab.plan.faults.join(', ')}` : ''}) up in ${Math.round(performance.now() - t0)} ms`);
    for (const n of lab.plan.nodes) console.log(`  node ${n.name.padEnd(22)} ${n.netns.padEnd(28)} ${n.internalIP}  pods ${n.podCIDR}`);
    for (const p of lab.plan.pods.filter((x) => x.present)) console.log(`  pod  ${p.key.padEnd(22)} ${p.netns.padEnd(28)} ${p.ip}  on ${p.node.name}`);
    console.log(`  switch ${lab.plan.switchNetns}`);
    const n1 = lab.plan.nodes[0]!;
    const dirs = cniDirs(lab.prefix, n1.name);
    console.log(`agent: ip netns exec ${n1.netns} node apps/agent/bin/patchbay-agent.mjs snapshot --node-name ${n1.name} --cni-conf-dir ${dirs.confDir} --cni-results-dir ${dirs.resultsDir}`);
    console.log(`kubectl: ${await kubectlCommand(lab.prefix)} get endpointslices -A`);
    console.log(`try: npm run lab -- probe ${lab.prefix} --from pod/shop/client-0 --to svc/shop/web:80 --proto tcp`);
    console.log(`record: npm run lab -- record ${lab.prefix} DIR`);
    console.log(`stop: npm run lab -- down ${lab.prefix}`);
  });

program
  .command('down')
  .description('tear a lab down: stops the processes its state file records (kube-proxy, the control plane), kills what is left in its namespaces, deletes them and the lab\'s files')
  .argument('[prefix]', 'the lab prefix printed by up')
  .option('--all', 'remove every pb* lab (namespaces, and the processes its state file records) not owned by a live process (left by crashed runs, or up)')
  .action(async (prefix: string | undefined, opts: { all?: boolean }) => {
    assertLabCapable();
    if (!prefix && !opts.all) throw new Error('give a lab prefix or --all');
    const targets = new Set<string>();
    if (prefix) {
      if (!PREFIX_RE.test(prefix)) throw new Error(`"${prefix}" is not a lab prefix (pb + 4-6 hex digits)`);
      targets.add(prefix);
    }
    if (opts.all) {
      const live = new Set(listStates().filter(ownerAlive).map((s) => s.prefix));
      const kept = new Set<string>();
      for (const ns of await listNetns()) {
        const p = /^(pb[0-9a-f]{4,6})-/.exec(ns)?.[1];
        if (!p) continue;
        if (live.has(p)) kept.add(p);
        else targets.add(p);
      }
      for (const p of kept) console.log(`keeping ${p}: owned by a running process`);
      for (const st of listStates()) if (!ownerAlive(st)) targets.add(st.prefix);
    }
    let failed = 0;
    for (const p of targets) {
      // Processes are found only through what the lab recorded (pid + start time), never by their names.
      const procs = recordedProcesses(p).filter(isRunning);
      const left = await destroyPrefix(p);
      removeState(p);
      if (left.length) {
        failed++;
        console.error(`${p}: ${left.join('; ')}`);
      } else console.log(`removed ${p}${procs.length ? ` (stopped ${procs.map((x) => `${x.name} pid ${x.pid}`).join(', ')})` : ''}`);
    }
    if (targets.size === 0) console.log('no lab namespaces to remove');
    if (failed) process.exitCode = 1;
  });

program
  .command('record')
  .description(
    'record a bundle: cluster.json is what `kubectl get ... -o json` prints from the lab\'s API server, nodes/*.json what patchbay-agent prints in each node. Given a scenario, brings it up, records and tears it down; given the prefix of a running lab, records that one and leaves it running',
  )
  .argument('<lab>', `a scenario (${Object.keys(scenarios).join(', ')}) or the prefix of a running lab`)
  .argument('<dir>', 'bundle directory to write')
  .addOption(new Option('--fault <fault>', 'plant a fault (repeatable; a scenario only)').choices([...FAULT_NAMES]).argParser(collect).default([]))
  .option('--agent <path>', 'patchbay-agent entry point (default: apps/agent/bin/patchbay-agent.mjs)')
  .action(async (which: string, dir: string, opts: { fault: string[]; agent?: string }) => {
    assertLabCapable();
    const done = (lab: Lab) =>
      console.log(`recorded ${lab.scenario.name}${lab.plan.faults.length ? ` (faults: ${lab.plan.faults.join(', ')})` : ''} to ${dir}: cluster.json, nodes/${lab.plan.nodes.map((n) => n.name).join('.json, nodes/')}.json`);
    if (PREFIX_RE.test(which)) {
      // Faults are planted when a lab comes up; one cannot be added to a running lab here.
      if (opts.fault.length > 0) throw new Error(`--fault applies to a scenario; lab ${which} runs with the faults it came up with`);
      const lab = labFromState(which);
      await lab.record(dir, { agentBin: opts.agent });
      done(lab);
      return;
    }
    const lab = await startLab(loadScenario(which), { faults: opts.fault });
    try {
      await lab.record(dir, { agentBin: opts.agent });
      done(lab);
    } finally {
      await lab.teardown();
    }
  });

program
  .command('probe')
  .description('send one bounded probe inside a running lab; prints {outcome, server, detail}')
  .argument('<prefix>')
  .requiredOption('--from <from>', 'pod/NS/NAME, node/NAME or a namespace name of the lab')
  .requiredOption('--to <to>', 'A.B.C.D[:PORT], pod/NS/NAME, node/NAME or svc/NS/NAME:PORT')
  .addOption(new Option('--proto <proto>', 'protocol').choices(['tcp', 'udp', 'icmp']).default('tcp'))
  .option('--port <port>', 'destination port (for pod/ and node/ targets)', (v) => Number(v))
  .option('--size <bytes>', 'payload size (large-packet probe)', (v) => Number(v))
  .option('--timeout <ms>', 'time limit, default 1500, at most 10000', (v) => Number(v))
  .action(async (prefix: string, opts: { from: string; to: string; proto: 'tcp' | 'udp' | 'icmp'; port?: number; size?: number; timeout?: number }) => {
    assertLabCapable();
    const lab = labFromState(prefix);
    const t = target(lab, parseEndpoint(opts.to), opts.port);
    const r = await lab.probe(fromNetns(lab, opts.from), { ...t, proto: opts.proto }, { timeoutMs: opts.timeout, size: opts.size });
    console.log(JSON.stringify(r));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`lab: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
