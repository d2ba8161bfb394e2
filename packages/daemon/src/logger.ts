// Structured logs on stderr, one JSON object per line. stdout carries protocol only.

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export function stderrLogger(threshold: LogLevel): Logger {
  const limit = LOG_LEVELS.indexOf(threshold);
  return {
    log(level, message, fields) {
      if (LOG_LEVELS.indexOf(level) > limit) return;
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
    },
  };
}
