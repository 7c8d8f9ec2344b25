// Renders model statements back to nft syntax for evidence, close to what `nft list ruleset` prints
// (`ip daddr . meta l4proto . th dport vmap @service-ips`). Readability over byte-equality: numbers that
// are marks print in hex, `==` is left out as nft does.

import type { NftElement, NftExpr, NftStatement } from './types.js';

function isMarkish(e: NftExpr): boolean {
  if (e.kind === 'meta' || e.kind === 'ct') return e.key === 'mark';
  if (e.kind === 'binop') return isMarkish(e.left);
  return false;
}

export function renderExpr(e: NftExpr, hex = false): string {
  switch (e.kind) {
    case 'value':
      if (typeof e.value === 'number') return hex ? `0x${e.value.toString(16).padStart(8, '0')}` : String(e.value);
      if (typeof e.value === 'boolean') return e.value ? 'exists' : 'missing';
      return /^[\w.:/*-]+$/.test(e.value) ? e.value : JSON.stringify(e.value);
    case 'prefix':
      return `${e.addr}/${e.len}`;
    case 'range':
      return `${renderExpr(e.from, hex)}-${renderExpr(e.to, hex)}`;
    case 'concat':
      return e.parts.map((p) => renderExpr(p, hex)).join(' . ');
    case 'set':
      return `{ ${e.elements.map((el) => renderElement(el, hex)).join(', ')} }`;
    case 'setref':
      return `@${e.name}`;
    case 'verdict':
      return e.target !== undefined ? `${e.verdict} ${e.target}` : e.verdict;
    case 'payload':
      return `${e.protocol} ${e.field}`;
    case 'rawpayload':
      return `@${e.base},${e.offset},${e.len}`;
    case 'meta':
      return `meta ${e.key}`;
    case 'ct':
      return `ct${e.dir ? ` ${e.dir}` : ''}${e.family ? ` ${e.family}` : ''} ${e.key}`;
    case 'fib':
      return `fib ${e.flags.join(' . ')} ${e.result}`;
    case 'numgen':
      return `numgen ${e.mode} mod ${e.mod}${e.offset ? ` offset ${e.offset}` : ''}`;
    case 'binop': {
      const h = hex || isMarkish(e.left);
      return `${renderExpr(e.left, h)} ${e.op} ${renderExpr(e.right, h)}`;
    }
    case 'map':
      return `${renderExpr(e.key)} map ${renderExpr(e.data)}`;
    case 'unknown':
      return `<${JSON.stringify(e.raw)}>`;
  }
}

function renderElement(el: NftElement, hex: boolean): string {
  let s = renderExpr(el.key, hex);
  if (el.timeout !== undefined) s += ` timeout ${el.timeout}s`;
  if (el.comment !== undefined) s += ` comment ${JSON.stringify(el.comment)}`;
  if (el.value !== undefined) s += ` : ${renderExpr(el.value)}`;
  return s;
}

function renderNatTarget(addr: NftExpr | null, port: NftExpr | null): string {
  if (!addr && !port) return '';
  if (addr && port) return ` to ${renderExpr(addr)}:${renderExpr(port)}`;
  if (addr) return ` to ${renderExpr(addr)}`;
  return ` to :${renderExpr(port!)}`;
}

export function renderStatement(s: NftStatement): string {
  switch (s.kind) {
    case 'match': {
      const h = isMarkish(s.left);
      // nft leaves out == and in, except after a bitwise expression (`mark and 0x4000 == 0`).
      const op = (s.op === '==' || s.op === 'in') && s.left.kind !== 'binop' ? '' : ` ${s.op}`;
      return `${renderExpr(s.left, h)}${op} ${renderExpr(s.right, h)}`;
    }
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'notrack':
      return s.kind;
    case 'jump':
    case 'goto':
      return `${s.kind} ${s.target}`;
    case 'reject':
      return s.type ? `reject with ${s.type}${s.expr ? ` type ${s.expr}` : ''}` : 'reject';
    case 'vmap':
      return `${renderExpr(s.key)} vmap ${renderExpr(s.data)}`;
    case 'dnat':
    case 'snat':
      return `${s.kind}${s.family ? ` ${s.family}` : ''}${renderNatTarget(s.addr, s.port)}${s.flags.length ? ` ${s.flags.join(',')}` : ''}`;
    case 'masquerade':
    case 'redirect':
      return `${s.kind}${s.port ? ` to :${renderExpr(s.port)}` : ''}${s.flags.length ? ` ${s.flags.join(',')}` : ''}`;
    case 'mangle':
      return `${renderExpr(s.key)} set ${renderExpr(s.value, isMarkish(s.key))}`;
    case 'setop':
      return `${s.op} @${s.set} { ${renderExpr(s.elem)} }`;
    case 'counter':
      return s.name !== undefined ? `counter name ${JSON.stringify(s.name)}` : `counter packets ${s.packets} bytes ${s.bytes}`;
    case 'log':
      return `log${s.prefix !== null ? ` prefix ${JSON.stringify(s.prefix)}` : ''}${s.level !== null ? ` level ${s.level}` : ''}${s.group !== null ? ` group ${s.group}` : ''}`;
    case 'limit':
      return `limit rate${s.inv ? ' over' : ''} ${s.rate}${s.unit !== 'packets' ? ` ${s.unit}` : ''}/${s.per} burst ${s.burst} ${s.unit === 'packets' ? 'packets' : s.unit}`;
    case 'xt':
      return `xt ${s.type} ${s.name}`;
    case 'unknown':
      return `<${s.name} ${JSON.stringify(s.raw)}>`;
  }
}

export function renderRule(statements: readonly NftStatement[], comment?: string): string {
  const body = statements.map(renderStatement).join(' ');
  return comment !== undefined ? `${body} comment ${JSON.stringify(comment)}` : body;
}
