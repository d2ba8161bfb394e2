// What the client does when it loses its daemon: the rule LSP's client calls its error
// handler, as a small object a host can replace.

/** One loss of the daemon, as the client tells its restart policy. */
export interface DaemonLoss {
  /**
   * How long the lost daemon served, in ms; 0 when a new daemon could not be started or
   * could not take the open sessions back.
   */
  uptimeMs: number;
  /** Why the last start failed; absent when a running daemon was lost. */
  error?: Error;
}

/** Start a new daemon after `delayMs` ms, or give up with `reason`. */
export type RestartDecision = { action: "restart"; delayMs: number } | { action: "stop"; reason: string };

/**
 * Decides, at every loss of the daemon, whether the client starts a new one. A policy may
 * keep state (a count of restarts): give each client its own.
 */
export interface RestartPolicy {
  lost(loss: DaemonLoss): RestartDecision;
}

export interface BackoffOptions {
  /** Restarts in a row before giving up (default 5). */
  maxRestarts?: number;
  /** The first delay, in ms (default 100); it doubles at each restart in a row. */
  initialDelayMs?: number;
  /** The longest delay, in ms (default 2,000). */
  maxDelayMs?: number;
  /** A daemon that served this long (ms) ends the run of restarts: the count starts again (default 60,000). */
  healthyAfterMs?: number;
}

/**
 * The default policy: restarts with a delay doubling from 100 ms to 2 s, at most 5 in a row;
 * a daemon that served a minute refills the count.
 */
export function restartWithBackoff(options: BackoffOptions = {}): RestartPolicy {
  const { maxRestarts = 5, initialDelayMs = 100, maxDelayMs = 2_000, healthyAfterMs = 60_000 } = options;
  let restarts = 0;
  return {
    lost({ uptimeMs }) {
      if (uptimeMs >= healthyAfterMs) restarts = 0;
      if (restarts >= maxRestarts)
        return { action: "stop", reason: `the daemon was lost ${restarts} times in a row; not restarting it` };
      const delayMs = Math.min(initialDelayMs * 2 ** restarts, maxDelayMs);
      restarts++;
      return { action: "restart", delayMs };
    },
  };
}
