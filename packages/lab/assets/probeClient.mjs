#!/usr/bin/env node
// One bounded TCP or UDP attempt from inside a namespace (started with `ip netns exec`). Prints one JSON line:
// {"outcome": "delivered"|"refused"|"unreachable"|"timeout", "server": name|null, "detail": "..."}.
//
//   node probeClient.mjs --ip 10.96.0.10 --port 80 --proto tcp [--timeout 1500] [--size 2000]
import net from 'node:net';
import dgram from 'node:dgram';

const args = process.argv.slice(2);
const opt = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const ip = opt('--ip');
const port = Number(opt('--port'));
const proto = opt('--proto') ?? 'tcp';
const timeoutMs = Math.min(Number(opt('--timeout') ?? 1500), 10_000);
const size = Number(opt('--size') ?? 0);

let done = false;
function finish(outcome, server, detail) {
  if (done) return;
  done = true;
  process.stdout.write(`${JSON.stringify({ outcome, server, detail })}\n`);
  process.exit(0);
}

function fromError(err) {
  const code = err && err.code;
  if (code === 'ECONNREFUSED') return finish('refused', null, `${code}: ${err.message}`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EACCES' || code === 'EPERM')
    return finish('unreachable', null, `${code}: ${err.message}`);
  if (code === 'ECONNRESET') return finish('refused', null, `${code}: reset`);
  return finish('timeout', null, `${code ?? 'error'}: ${err && err.message}`);
}

setTimeout(() => finish('timeout', null, `no answer within ${timeoutMs} ms`), timeoutMs).unref();

if (!ip || !Number.isInteger(port) || port < 1 || port > 65535) {
  finish('unreachable', null, 'bad arguments: need --ip and --port 1..65535');
} else if (proto === 'tcp') {
  const sock = net.connect({ host: ip, port });
  let buf = '';
  let name = null;
  sock.on('connect', () => {
    if (size > 0) sock.write(`SIZE ${size}\n${'x'.repeat(size)}`);
  });
  sock.on('data', (chunk) => {
    buf += chunk.toString('latin1');
    const lines = buf.split('\n');
    if (name === null && lines.length > 1) name = lines[0];
    if (name !== null && size === 0) {
      sock.destroy();
      finish('delivered', name, `connected to ${ip}:${port}`);
    }
    const ok = lines.find((l) => /^OK \d+$/.test(l));
    if (ok && name !== null) {
      sock.destroy();
      finish('delivered', name, `sent ${size} bytes to ${ip}:${port}, server acknowledged ${ok.slice(3)}`);
    }
  });
  sock.on('error', fromError);
  sock.on('close', () => finish('timeout', name, `connection closed before a complete answer (${name === null ? 'no name' : `name ${name}`})`));
} else if (proto === 'udp') {
  const sock = dgram.createSocket('udp4');
  sock.on('error', fromError);
  sock.on('message', (msg) => finish('delivered', msg.toString().split('\n')[0] || null, `reply from ${ip}:${port}`));
  sock.connect(port, ip, (err) => {
    if (err) return fromError(err);
    sock.send(size > 0 ? Buffer.alloc(size, 120) : 'probe\n', (e) => e && fromError(e));
  });
} else finish('unreachable', null, `unknown protocol ${proto}`);
