// Structured logs on stderr, one JSON object per line. stdout carries protocol only.
import { LOG_LEVELS, type Logger, type LogLevel } from "@codemode/wire";

export { LOG_LEVELS, type Logger, type LogLevel };

export function stderrLogger(threshold: LogLevel): Logger {
  const limit = LOG_LEVELS.indexOf(threshold);
  return {
    log(level, message, fields) {
      if (LOG_LEVELS.indexOf(level) > limit) return;
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
    },
  };
}
