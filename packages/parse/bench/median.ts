/** The middle value (the upper one of an even count); the benches report medians because this machine is noisy. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
