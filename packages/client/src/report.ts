// Reporting what the host's own code throws when the client calls it (delegate methods,
// loggers): it is written to the logger, never thrown into the host's event loop.
import type { Logger } from "@codemode/wire";

/** Where the client writes lines about the daemon and about the host's failing callbacks. */
export type LineLogger = (line: string) => void;

export const stderrLines: LineLogger = (line) => {
  process.stderr.write(`${line}\n`);
};

/** A logger that cannot throw: a failing one falls back to stderr. */
export function safeLogger(logger: LineLogger | undefined): LineLogger {
  if (!logger) return stderrLines;
  return (line) => {
    try {
      logger(line);
    } catch (error) {
      stderrLines(line);
      stderrLines(`codemode client: the logger threw: ${describe(error)}`);
    }
  };
}

/** Runs a callback into the host's code; what it throws is reported, not rethrown. */
export function guarded(log: LineLogger, what: string, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    log(`codemode client: ${what} threw: ${describe(error)}`);
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);

/** The wire's structured log lines, as text lines for the host's logger (warnings and errors only). */
export function wireLogger(log: LineLogger): Logger {
  return {
    log(level, message, fields) {
      if (level === "debug" || level === "info") return;
      log(`codemode client: ${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`);
    },
  };
}
