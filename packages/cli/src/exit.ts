// How a `codemode` command ends: its exit codes, and the error that means the user asked wrongly.

export const ExitCode = { completed: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A problem with what the user asked for (a file that cannot be read, a bad tools module or config). */
export class UsageError extends Error {}
