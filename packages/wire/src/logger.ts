// The structured log both ends write to (the daemon to stderr as JSON lines).

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}
