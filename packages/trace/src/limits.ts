// What one trace may spend. A bundle is untrusted input: a ruleset no kernel would accept (a jump loop) or one
// built to fan out must cost a bounded time and memory, and say so with `unknown`, never hang or take the
// server's memory. The budget is per trace and shared by every hook, branch and packet (request, reply and the
// handshake's ACK) of it, so no shape of ruleset can multiply it.

export interface TraceLimits {
  /**
   * Wall-clock bound of one trace, in ms. Paths not decided by then end `unknown`. Parsing a node's ruleset,
   * done once per model by whichever trace first needs it, is not counted (see `TraceBudget.untimed`).
   */
  deadlineMs: number;
  /** Rules looked at, matched or not, over the whole trace (kube-proxy's traces look at a few hundred). */
  maxRuleVisits: number;
  /**
   * Steps kept (rule hits and hops, counting the copies a fork makes), over the whole trace: what bounds its
   * memory (about 300 bytes a step, rule hit and hop together: the limits bench's fan-out keeps 300,000 in about
   * 90 MB). A service with 5,000 endpoints traced end to end keeps about 250,000.
   */
  maxKeptSteps: number;
  /** The clock the deadline is read from: ms, monotonic. Tests pass their own. */
  now: () => number;
}

export const DEFAULT_TRACE_LIMITS: Readonly<TraceLimits> = Object.freeze({
  deadlineMs: 5_000,
  maxRuleVisits: 1_000_000,
  maxKeptSteps: 300_000,
  now: () => performance.now(),
});

/** What a branch's own objects cost, in steps (see `TraceBudget.fork`). */
const FORK_OVERHEAD = 4;

/** The deadline is read once every this many rule visits: a clock read costs far more than a visit. */
const CLOCK_EVERY = 1024;

/** The running account of one trace against its limits. Once spent it stays spent: every later check says why. */
export class TraceBudget {
  readonly limits: TraceLimits;
  /** When the trace started, moved later by the time spent in `untimed` work. */
  private start: number;
  private visits = 0;
  private kept = 0;
  private spent: string | null = null;

  constructor(limits: Partial<TraceLimits> = {}) {
    this.limits = { ...DEFAULT_TRACE_LIMITS, ...limits };
    this.start = this.limits.now();
  }

  /** Why the trace has stopped, or null while it may go on. */
  get stopped(): string | null {
    return this.spent;
  }

  /** One rule looked at. Returns why the trace must stop, or null. */
  visit(): string | null {
    if (this.spent !== null) return this.spent;
    this.visits += 1;
    if (this.visits > this.limits.maxRuleVisits) return this.stop(`the trace stopped after looking at ${this.limits.maxRuleVisits} rules (its rule budget) before this path was decided`);
    if (this.kept > this.limits.maxKeptSteps) return this.keptOut();
    return this.visits % CLOCK_EVERY === 0 ? this.clock() : null;
  }

  /** `n` more steps kept (pushed, or copied by a fork). Checked by the next `visit` or `check`. */
  keep(n: number): void {
    this.kept += n;
  }

  /**
   * A fork that copies `n` steps (or hops, or frames). A branch costs more than its copies: its own objects and,
   * later, a path of the trace; counting a few steps for them bounds the number of branches as well.
   */
  fork(n: number): void {
    this.kept += n + FORK_OVERHEAD;
  }

  /** Checks the step count and the clock now (at each hook, where no rule may be visited). */
  check(): string | null {
    if (this.spent !== null) return this.spent;
    if (this.kept > this.limits.maxKeptSteps) return this.keptOut();
    return this.clock();
  }

  /** Runs `work` with the deadline's clock stopped: one-time work a trace only happens to be the first to need. */
  untimed<T>(work: () => T): T {
    const t0 = this.limits.now();
    try {
      return work();
    } finally {
      this.start += this.limits.now() - t0;
    }
  }

  private keptOut(): string {
    return this.stop(`the trace stopped after keeping ${this.limits.maxKeptSteps} steps (its memory budget) before this path was decided`);
  }

  private clock(): string | null {
    if (this.limits.now() - this.start < this.limits.deadlineMs) return null;
    return this.stop(`the trace stopped at its deadline (${this.limits.deadlineMs} ms) before this path was decided`);
  }

  private stop(reason: string): string {
    this.spent = reason;
    return reason;
  }
}

/**
 * A loop's chain names for a message: every name when few, else the first and last few (a loop through
 * hundreds of chains would otherwise make a reason of many kilobytes).
 */
export function loopText(names: string[]): string {
  const shown = names.length <= 10 ? names : [...names.slice(0, 4), `… ${names.length - 8} more …`, ...names.slice(-4)];
  return shown.join(' -> ');
}
