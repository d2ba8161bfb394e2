// What tests may reach inside a client, behind a symbol that the main entry point does not
// export (see `@codemode/client/testing`).

/** The process of the daemon a client runs on. */
export interface DaemonProcess {
  /** Its process id (undefined over caller-supplied streams). */
  readonly pid: number | undefined;
  /** Kills it with SIGKILL, as a crash would. */
  kill(): void;
}

export const DAEMON_PROCESS = Symbol("codemode.daemonProcess");

/** A session's committed stored values, as the client keeps them to reopen it. */
export const COMMITTED_VALUES = Symbol("codemode.committedValues");
