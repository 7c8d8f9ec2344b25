// Test helpers: the consistency checks kube-proxy's own tests run on a dump (every jump has a target).

const IPTABLES_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'MARK', 'MASQUERADE', 'DNAT', 'SNAT']);

/** Chains that are jumped to but never declared in an iptables-restore text. */
export function undefinedIptablesTargets(text: string): string[] {
  const declared = new Set<string>();
  const missing = new Set<string>();
  let table = '';
  const jumps: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) declared.add(`${table}/${line.slice(1).split(' ')[0]}`);
    else {
      const j = / -j (\S+)/.exec(line);
      if (j?.[1]) jumps.push([table, j[1]]);
    }
  }
  for (const [t, target] of jumps) if (!IPTABLES_TARGETS.has(target) && !declared.has(`${t}/${target}`)) missing.add(target);
  return [...missing];
}

/** Chains named by jump/goto in an nft script that no `add chain` declares. */
export function undefinedNftTargets(script: string): string[] {
  const declared = new Set([...script.matchAll(/^add chain ip kube-proxy (\S+)/gm)].map((m) => m[1]));
  const used = new Set([...script.matchAll(/\b(?:jump|goto) ([^\s,}]+)/g)].map((m) => m[1]));
  return [...used].filter((c): c is string => c !== undefined && !declared.has(c));
}
