// Where the balancer placed each session, read off HAProxy's access log: one line per
// connection, naming the daemon (`daemons/<server>`) and the captured session header.

/** Every connection of the log, in order: the session it carries and the daemon it reached. */
export function connections(log: string): { sessionId: string; daemon: string }[] {
  const found: { sessionId: string; daemon: string }[] = [];
  for (const match of log.matchAll(/ daemons\/(\S+) .*?\{([^}]*)\}/g)) {
    const [, daemon = "", header = ""] = match;
    if (header !== "") found.push({ sessionId: decodeURIComponent(header), daemon });
  }
  return found;
}

/** The daemons each session's connections reached, in the log from `from` (an offset) on. */
export function daemonsBySession(log: string, from = 0): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const { sessionId, daemon } of connections(log.slice(from))) {
    by.set(sessionId, (by.get(sessionId) ?? new Set()).add(daemon));
  }
  return by;
}

/** The daemon each session's last connection reached. */
export function lastDaemon(log: string): Map<string, string> {
  return new Map(connections(log).map(({ sessionId, daemon }) => [sessionId, daemon]));
}
