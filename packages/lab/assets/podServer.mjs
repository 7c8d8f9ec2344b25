#!/usr/bin/env node
// The lab's pod workload, started inside a pod namespace with `ip netns exec`. Every TCP connection is answered
// with the pod's name and a newline; a client that then sends "SIZE n\n" and n bytes gets "OK n\n" (a probe for
// large packets). Every UDP datagram is answered with the name. Plain JavaScript so it runs without a build.
//
//   node podServer.mjs --name web-0 --tcp 80,8080 --udp 53 [--detached]
//
// Without --detached it exits when stdin closes (its parent died) or the parent changes; always on SIGTERM.
import net from 'node:net';
import dgram from 'node:dgram';

const args = process.argv.slice(2);
const opt = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const name = opt('--name');
if (!name) {
  process.stderr.write('podServer: --name is required\n');
  process.exit(2);
}
const ports = (s) => (s ? s.split(',').filter(Boolean).map((p) => Number(p)) : []);
const tcp = ports(opt('--tcp'));
const udp = ports(opt('--udp'));

function onConnection(sock) {
  sock.setTimeout(10_000, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.write(`${name}\n`);
  let buf = '';
  let want = -1;
  let got = 0;
  sock.on('data', (chunk) => {
    if (want < 0) {
      buf += chunk.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const m = /^SIZE (\d+)$/.exec(buf.slice(0, nl));
      if (!m) return sock.end();
      want = Number(m[1]);
      got = buf.length - nl - 1;
    } else got += chunk.length;
    if (want >= 0 && got >= want) sock.end(`OK ${got}\n`);
  });
  sock.on('end', () => sock.end());
}

const listening = [];
for (const port of tcp) {
  const srv = net.createServer(onConnection);
  listening.push(new Promise((resolve, reject) => srv.once('error', reject).listen({ port, host: '0.0.0.0' }, resolve)));
}
for (const port of udp) {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (_msg, rinfo) => sock.send(`${name}\n`, rinfo.port, rinfo.address));
  sock.on('error', () => {});
  listening.push(new Promise((resolve, reject) => { sock.once('error', reject); sock.bind(port, '0.0.0.0', resolve); }));
}

Promise.all(listening).then(
  () => process.stdout.write('ready\n'),
  (err) => {
    process.stderr.write(`podServer ${name}: ${err.message}\n`);
    process.exit(1);
  },
);

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
if (!args.includes('--detached')) {
  const parent = process.ppid;
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 500).unref();
}
