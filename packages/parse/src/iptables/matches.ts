// Match modules (`-m NAME …`) turned into the model. One entry per module: the value count of each option
// and a builder. Options a builder does not know go to `extra` with a warning; modules not listed here are
// kept as {kind: 'unknown', module, args} with a warning.

import { parseMarkMask, parsePortRange } from '../net.js';
import { arity, type Arity, type RawOption } from './options.js';
import type { AddrMatch, IfaceMatch, IptablesMatch, L4Match, ListMatch, MarkMatch, PortListMatch, PortMatch, UnknownOption } from './types.js';

/** What a builder may report; the caller attaches the line and decides strict vs lenient. */
export interface BuildContext {
  warn(message: string): void;
}

interface ModuleSpec {
  arity: Readonly<Record<string, number>>;
  table?: Arity;
  build(opts: RawOption[], ctx: BuildContext, module: string): IptablesMatch;
}

export function parseAddr(text: string, negate: boolean): AddrMatch | null {
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (text === '') return null;
    const v6 = text.indexOf(':') >= 0;
    return { negate, cidr: `${text}/${v6 ? 128 : 32}`, addr: text, prefixLen: v6 ? 128 : 32 };
  }
  const addr = text.slice(0, slash);
  const len = text.slice(slash + 1);
  if (addr === '' || len === '') return null;
  const c0 = len.charCodeAt(0);
  if (len.length <= 3 && c0 >= 48 && c0 <= 57 && len.indexOf('.') < 0 && len.indexOf(':') < 0) {
    const prefixLen = Number(len);
    if (!Number.isInteger(prefixLen)) return null;
    return { negate, cidr: text, addr, prefixLen };
  }
  // iptables-save writes non-contiguous masks in dotted form.
  return { negate, cidr: text, addr, prefixLen: -1, mask: len };
}

export function parseIface(name: string, negate: boolean): IfaceMatch {
  const wildcard = name.endsWith('+');
  return { negate, name, wildcard, prefix: wildcard ? name.slice(0, -1) : name };
}

function port(opt: RawOption, ctx: BuildContext): PortMatch | undefined {
  const r = parsePortRange(opt.args[0] ?? '');
  if (!r) {
    ctx.warn(`${opt.name} has an invalid port or range "${opt.args[0] ?? ''}"`);
    return undefined;
  }
  return { negate: opt.negate, lo: r.lo, hi: r.hi };
}

function portList(opt: RawOption, ctx: BuildContext): PortListMatch | undefined {
  const ports = [];
  for (const part of (opt.args[0] ?? '').split(',')) {
    const r = parsePortRange(part);
    if (!r) {
      ctx.warn(`${opt.name} has an invalid port or range "${part}"`);
      return undefined;
    }
    ports.push(r);
  }
  return { negate: opt.negate, ports };
}

function list(opt: RawOption): ListMatch {
  return { negate: opt.negate, values: (opt.args[0] ?? '').split(',') };
}

function mark(opt: RawOption, ctx: BuildContext): MarkMatch | undefined {
  const m = parseMarkMask(opt.args[0] ?? '');
  if (!m) {
    ctx.warn(`${opt.name} has an invalid value/mask "${opt.args[0] ?? ''}"`);
    return undefined;
  }
  return { negate: opt.negate, value: m.value, mask: m.mask };
}

function unknownOpt(module: string, opt: RawOption, ctx: BuildContext, extra: UnknownOption[]): void {
  ctx.warn(`unknown option ${opt.name} for -m ${module}`);
  extra.push(opt);
}

function withExtra<T extends object>(m: T, extra: UnknownOption[]): T & { extra?: UnknownOption[] } {
  if (extra.length > 0) (m as T & { extra?: UnknownOption[] }).extra = extra;
  return m;
}

function num(opt: RawOption, ctx: BuildContext): number | undefined {
  const text = opt.args[0] ?? '';
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) {
    ctx.warn(`${opt.name} needs a number, got "${text}"`);
    return undefined;
  }
  return n;
}

const portArity = { '--sport': 1, '--source-port': 1, '--dport': 1, '--destination-port': 1, '--tcp-flags': 2, '--syn': 0, '--tcp-option': 1, '--chunk-types': 2 };

const l4: ModuleSpec = {
  arity: portArity,
  build(opts, ctx, module) {
    const m: L4Match = { kind: module as L4Match['kind'] };
    const extra: UnknownOption[] = [];
    for (const o of opts) {
      switch (o.name) {
        case '--sport':
        case '--source-port': {
          const p = port(o, ctx);
          if (p) m.sport = p;
          else extra.push(o);
          break;
        }
        case '--dport':
        case '--destination-port': {
          const p = port(o, ctx);
          if (p) m.dport = p;
          else extra.push(o);
          break;
        }
        case '--tcp-flags':
          m.tcpFlags = { negate: o.negate, mask: o.args[0]!.split(','), comp: o.args[1]!.split(','), syn: false };
          break;
        case '--syn':
          m.tcpFlags = { negate: o.negate, mask: ['SYN', 'RST', 'ACK', 'FIN'], comp: ['SYN'], syn: true };
          break;
        case '--tcp-option': {
          const n = num(o, ctx);
          if (n !== undefined) m.tcpOption = { negate: o.negate, option: n };
          else extra.push(o);
          break;
        }
        default:
          unknownOpt(module, o, ctx, extra);
      }
    }
    return withExtra(m, extra);
  },
};

function icmpSpec(kind: 'icmp' | 'icmp6', option: string): ModuleSpec {
  return {
    arity: { [option]: 1 },
    build(opts, ctx, module) {
      const extra: UnknownOption[] = [];
      let icmpType: Extract<IptablesMatch, { kind: 'icmp' }>['icmpType'] | undefined;
      for (const o of opts) {
        if (o.name === option) {
          const text = o.args[0]!;
          const slash = text.indexOf('/');
          icmpType = slash < 0 ? { negate: o.negate, type: text } : { negate: o.negate, type: text.slice(0, slash), code: Number(text.slice(slash + 1)) };
        } else unknownOpt(module, o, ctx, extra);
      }
      // `-m icmp` without a type matches any ICMP packet.
      return withExtra({ kind, icmpType: icmpType ?? { negate: false, type: 'any' } }, extra);
    },
  };
}

const modules: Record<string, ModuleSpec> = {
  tcp: l4,
  udp: l4,
  sctp: l4,
  udplite: l4,
  dccp: l4,
  icmp: icmpSpec('icmp', '--icmp-type'),
  icmp6: icmpSpec('icmp6', '--icmpv6-type'),
  multiport: {
    arity: { '--sports': 1, '--source-ports': 1, '--dports': 1, '--destination-ports': 1, '--ports': 1 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'multiport' }> = { kind: 'multiport' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        const key = o.name === '--sports' || o.name === '--source-ports' ? 'sports' : o.name === '--dports' || o.name === '--destination-ports' ? 'dports' : o.name === '--ports' ? 'ports' : null;
        if (!key) {
          unknownOpt(module, o, ctx, extra);
          continue;
        }
        const l = portList(o, ctx);
        if (l) m[key] = l;
        else extra.push(o);
      }
      return withExtra(m, extra);
    },
  },
  comment: {
    arity: { '--comment': 1 },
    build(opts, ctx, module) {
      let comment = '';
      for (const o of opts) {
        if (o.name === '--comment') comment = o.args[0]!;
        else ctx.warn(`unknown option ${o.name} for -m ${module}`);
      }
      return { kind: 'comment', comment };
    },
  },
  mark: markSpec('mark'),
  connmark: markSpec('connmark'),
  conntrack: {
    arity: {
      '--ctstate': 1, '--ctproto': 1, '--ctorigsrc': 1, '--ctorigdst': 1, '--ctreplsrc': 1, '--ctrepldst': 1,
      '--ctorigsrcport': 1, '--ctorigdstport': 1, '--ctreplsrcport': 1, '--ctrepldstport': 1, '--ctstatus': 1,
      '--ctexpire': 1, '--ctdir': 1,
    },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'conntrack' }> = { kind: 'conntrack' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        switch (o.name) {
          case '--ctstate':
            m.ctstate = list(o);
            break;
          case '--ctstatus':
            m.ctstatus = list(o);
            break;
          case '--ctproto':
            m.ctproto = { negate: o.negate, value: o.args[0]! };
            break;
          case '--ctorigsrc':
          case '--ctorigdst':
          case '--ctreplsrc':
          case '--ctrepldst': {
            const a = parseAddr(o.args[0]!, o.negate);
            if (a) m[o.name.slice(2) as 'ctorigsrc'] = a;
            else unknownOpt(module, o, ctx, extra);
            break;
          }
          case '--ctorigsrcport':
          case '--ctorigdstport':
          case '--ctreplsrcport':
          case '--ctrepldstport':
          case '--ctexpire': {
            const p = port(o, ctx);
            if (p) m[o.name.slice(2) as 'ctorigsrcport'] = p;
            else extra.push(o);
            break;
          }
          case '--ctdir':
            if (o.args[0] === 'ORIGINAL' || o.args[0] === 'REPLY') m.ctdir = o.args[0];
            else unknownOpt(module, o, ctx, extra);
            break;
          default:
            unknownOpt(module, o, ctx, extra);
        }
      }
      return withExtra(m, extra);
    },
  },
  state: {
    arity: { '--state': 1 },
    build(opts, ctx, module) {
      const extra: UnknownOption[] = [];
      let state: ListMatch = { negate: false, values: [] };
      for (const o of opts) {
        if (o.name === '--state') state = list(o);
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra({ kind: 'state', state }, extra);
    },
  },
  statistic: {
    arity: { '--mode': 1, '--probability': 1, '--every': 1, '--packet': 1 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'statistic' }> = { kind: 'statistic', negate: false, mode: 'random' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        switch (o.name) {
          case '--mode':
            if (o.args[0] === 'random' || o.args[0] === 'nth') m.mode = o.args[0];
            else unknownOpt(module, o, ctx, extra);
            break;
          case '--probability':
          case '--every':
          case '--packet': {
            // The kernel negates the whole match; iptables-save writes the `!` before whichever option comes first.
            if (o.negate) m.negate = true;
            const n = num(o, ctx);
            if (n !== undefined) m[o.name.slice(2) as 'every'] = n;
            else extra.push(o);
            break;
          }
          default:
            unknownOpt(module, o, ctx, extra);
        }
      }
      if (m.mode === 'random' && m.probability === undefined) ctx.warn('-m statistic --mode random without --probability');
      if (m.mode === 'nth' && m.every === undefined) ctx.warn('-m statistic --mode nth without --every');
      if (m.mode === 'nth' && m.packet === undefined) m.packet = 0;
      return withExtra(m, extra);
    },
  },
  addrtype: {
    arity: { '--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0, '--limit-iface-out': 0 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'addrtype' }> = { kind: 'addrtype', limitIfaceIn: false, limitIfaceOut: false };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--src-type') m.srcType = list(o);
        else if (o.name === '--dst-type') m.dstType = list(o);
        else if (o.name === '--limit-iface-in') m.limitIfaceIn = true;
        else if (o.name === '--limit-iface-out') m.limitIfaceOut = true;
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra(m, extra);
    },
  },
  set: {
    arity: {
      '--match-set': 2, '--set': 2, '--return-nomatch': 0, '--update-counters': 0, '--update-subcounters': 0,
      '--packets-eq': 1, '--packets-lt': 1, '--packets-gt': 1, '--bytes-eq': 1, '--bytes-lt': 1, '--bytes-gt': 1,
    },
    build(opts, ctx) {
      let name = '';
      let negate = false;
      let dirs: Array<'src' | 'dst'> = [];
      let returnNomatch = false;
      const options: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--match-set' || o.name === '--set') {
          name = o.args[0]!;
          negate = o.negate;
          dirs = [];
          for (const d of o.args[1]!.split(',')) {
            if (d === 'src' || d === 'dst') dirs.push(d);
            else ctx.warn(`-m set --match-set ${name}: direction "${d}" is not src or dst`);
          }
        } else if (o.name === '--return-nomatch') returnNomatch = true;
        else options.push(o);
      }
      if (name === '') ctx.warn('-m set without --match-set');
      return { kind: 'set', negate, name, dirs, returnNomatch, options };
    },
  },
  physdev: {
    arity: { '--physdev-in': 1, '--physdev-out': 1, '--physdev-is-in': 0, '--physdev-is-out': 0, '--physdev-is-bridged': 0 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'physdev' }> = { kind: 'physdev' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        switch (o.name) {
          case '--physdev-in':
            m.physdevIn = parseIface(o.args[0]!, o.negate);
            break;
          case '--physdev-out':
            m.physdevOut = parseIface(o.args[0]!, o.negate);
            break;
          case '--physdev-is-in':
            m.isIn = { negate: o.negate };
            break;
          case '--physdev-is-out':
            m.isOut = { negate: o.negate };
            break;
          case '--physdev-is-bridged':
            m.isBridged = { negate: o.negate };
            break;
          default:
            unknownOpt(module, o, ctx, extra);
        }
      }
      return withExtra(m, extra);
    },
  },
  recent: {
    arity: {
      '--name': 1, '--set': 0, '--rcheck': 0, '--update': 0, '--remove': 0, '--seconds': 1, '--reap': 0,
      '--hitcount': 1, '--rttl': 0, '--rsource': 0, '--rdest': 0, '--mask': 1,
    },
    build(opts, ctx, module) {
      // The kernel's default list name is DEFAULT.
      const m: Extract<IptablesMatch, { kind: 'recent' }> = { kind: 'recent', name: 'DEFAULT', mode: 'rcheck', negate: false, reap: false, rttl: false, side: 'source' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        switch (o.name) {
          case '--name':
            m.name = o.args[0]!;
            break;
          case '--set':
          case '--rcheck':
          case '--update':
          case '--remove':
            m.mode = o.name.slice(2) as 'set';
            m.negate = o.negate;
            break;
          case '--seconds':
          case '--hitcount': {
            const n = num(o, ctx);
            if (n !== undefined) m[o.name.slice(2) as 'seconds'] = n;
            else extra.push(o);
            break;
          }
          case '--reap':
            m.reap = true;
            break;
          case '--rttl':
            m.rttl = true;
            break;
          case '--rsource':
            m.side = 'source';
            break;
          case '--rdest':
            m.side = 'dest';
            break;
          case '--mask':
            m.mask = o.args[0]!;
            break;
          default:
            unknownOpt(module, o, ctx, extra);
        }
      }
      return withExtra(m, extra);
    },
  },
  owner: {
    arity: { '--uid-owner': 1, '--gid-owner': 1, '--socket-exists': 0, '--suppl-groups': 0 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'owner' }> = { kind: 'owner', supplGroups: false };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--uid-owner' || o.name === '--gid-owner') {
          const text = o.args[0]!;
          const r = /^(\d+)(?:-(\d+))?$/.exec(text);
          // Names are kept as written; the dump has numbers unless the user database resolved them.
          const v = r ? { negate: o.negate, lo: Number(r[1]), hi: Number(r[2] ?? r[1]) } : { negate: o.negate, lo: -1, hi: -1, name: text };
          if (o.name === '--uid-owner') m.uid = v;
          else m.gid = v;
        } else if (o.name === '--socket-exists') m.socketExists = { negate: o.negate };
        else if (o.name === '--suppl-groups') m.supplGroups = true;
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra(m, extra);
    },
  },
  limit: {
    arity: { '--limit': 1, '--limit-burst': 1 },
    build(opts, ctx, module) {
      // Kernel defaults: 3/hour, burst 5.
      const m: Extract<IptablesMatch, { kind: 'limit' }> = { kind: 'limit', perSecond: 3 / 3600, rate: '3/hour', burst: 5 };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--limit') {
          const per = limitRate(o.args[0]!);
          if (per === null) {
            ctx.warn(`--limit has an invalid rate "${o.args[0]!}"`);
            extra.push(o);
          } else {
            m.rate = o.args[0]!;
            m.perSecond = per;
          }
        } else if (o.name === '--limit-burst') {
          const n = num(o, ctx);
          if (n !== undefined) m.burst = n;
          else extra.push(o);
        } else unknownOpt(module, o, ctx, extra);
      }
      return withExtra(m, extra);
    },
  },
  rpfilter: {
    arity: { '--loose': 0, '--validmark': 0, '--accept-local': 0, '--invert': 0 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'rpfilter' }> = { kind: 'rpfilter', loose: false, validmark: false, acceptLocal: false, invert: false };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--loose') m.loose = true;
        else if (o.name === '--validmark') m.validmark = true;
        else if (o.name === '--accept-local') m.acceptLocal = true;
        else if (o.name === '--invert') m.invert = true;
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra(m, extra);
    },
  },
  mac: {
    arity: { '--mac-source': 1 },
    build(opts, ctx, module) {
      const extra: UnknownOption[] = [];
      let macSource = { negate: false, value: '' };
      for (const o of opts) {
        if (o.name === '--mac-source') macSource = { negate: o.negate, value: o.args[0]!.toLowerCase() };
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra({ kind: 'mac', macSource }, extra);
    },
  },
  iprange: {
    arity: { '--src-range': 1, '--dst-range': 1 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'iprange' }> = { kind: 'iprange' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        const key = o.name === '--src-range' ? 'srcRange' : o.name === '--dst-range' ? 'dstRange' : null;
        const text = o.args[0] ?? '';
        // IPv6 addresses contain no '-', so the first dash separates the two ends.
        const dash = text.indexOf('-');
        if (!key || dash < 0) unknownOpt(module, o, ctx, extra);
        else m[key] = { negate: o.negate, from: text.slice(0, dash), to: text.slice(dash + 1) };
      }
      return withExtra(m, extra);
    },
  },
  socket: {
    arity: { '--transparent': 0, '--nowildcard': 0, '--restore-skmark': 0 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'socket' }> = { kind: 'socket', transparent: false, nowildcard: false, restoreSkmark: false };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--transparent') m.transparent = true;
        else if (o.name === '--nowildcard') m.nowildcard = true;
        else if (o.name === '--restore-skmark') m.restoreSkmark = true;
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra(m, extra);
    },
  },
  devgroup: {
    arity: { '--src-group': 1, '--dst-group': 1 },
    build(opts, ctx, module) {
      const m: Extract<IptablesMatch, { kind: 'devgroup' }> = { kind: 'devgroup' };
      const extra: UnknownOption[] = [];
      for (const o of opts) {
        const key = o.name === '--src-group' ? 'srcGroup' : o.name === '--dst-group' ? 'dstGroup' : null;
        if (!key) {
          unknownOpt(module, o, ctx, extra);
          continue;
        }
        const g = mark(o, ctx);
        if (g) m[key] = g;
        else extra.push(o);
      }
      return withExtra(m, extra);
    },
  },
  nfacct: {
    arity: { '--nfacct-name': 1 },
    build(opts, ctx, module) {
      const extra: UnknownOption[] = [];
      let name = '';
      for (const o of opts) {
        if (o.name === '--nfacct-name') name = o.args[0]!;
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra({ kind: 'nfacct', name }, extra);
    },
  },
  pkttype: {
    arity: { '--pkt-type': 1 },
    build(opts, ctx, module) {
      const extra: UnknownOption[] = [];
      let pktType = { negate: false, value: '' };
      for (const o of opts) {
        if (o.name === '--pkt-type') pktType = { negate: o.negate, value: o.args[0]! };
        else unknownOpt(module, o, ctx, extra);
      }
      return withExtra({ kind: 'pkttype', pktType }, extra);
    },
  },
};
// iptables accepts these aliases for the same modules.
modules['icmpv6'] = modules['icmp6']!;
modules['ipv6-icmp'] = modules['icmp6']!;

function markSpec(kind: 'mark' | 'connmark'): ModuleSpec {
  return {
    arity: { '--mark': 1 },
    build(opts, ctx, module) {
      const extra: UnknownOption[] = [];
      let m: MarkMatch | undefined;
      for (const o of opts) {
        if (o.name === '--mark') {
          m = mark(o, ctx);
          if (!m) extra.push(o);
        } else unknownOpt(module, o, ctx, extra);
      }
      return withExtra({ kind, mark: m ?? { negate: false, value: 0, mask: 0 } }, extra);
    },
  };
}

const LIMIT_UNITS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600, d: 86400, day: 86400 };

function limitRate(text: string): number | null {
  const m = /^(\d+)(?:\/([a-z]+))?$/.exec(text);
  if (!m) return null;
  const unit = m[2] === undefined ? 1 : LIMIT_UNITS[m[2]];
  if (unit === undefined) return null;
  return Number(m[1]) / unit;
}

/** Value counts of a module's options, or undefined for a module the model does not know. */
export function moduleArity(module: string): Arity | undefined {
  const spec = modules[module];
  if (!spec) return undefined;
  return (spec.table ??= arity(spec.arity));
}

export function buildMatch(module: string, opts: RawOption[], ctx: BuildContext): IptablesMatch {
  const spec = modules[module];
  if (!spec) {
    ctx.warn(`unknown match module -m ${module} kept verbatim`);
    const args: string[] = [];
    for (const o of opts) {
      if (o.negate) args.push('!');
      args.push(o.name, ...o.args);
    }
    return { kind: 'unknown', module, args };
  }
  return spec.build(opts, ctx, module);
}

/** Modules the model structures; everything else becomes {kind: 'unknown'}. */
export const KNOWN_MATCH_MODULES: readonly string[] = Object.keys(modules);

/** Every option name and module name the model knows, for interning. */
export function knownMatchWords(): string[] {
  const out = new Set<string>();
  for (const [name, spec] of Object.entries(modules)) {
    out.add(name);
    for (const o of Object.keys(spec.arity)) out.add(o);
  }
  return [...out];
}
