// `@codemode/client/testing`: hooks for a host's own tests, kept out of the main entry point.
import type { JsonObject } from "@codemode/protocol";
import type { ClientSession, CodeModeClient } from "./client.js";
import { COMMITTED_VALUES, DAEMON_PROCESS, type DaemonProcess } from "./test-hooks.js";

export type { DaemonProcess } from "./test-hooks.js";

/** The process of the daemon `client` runs on now; undefined while it is restarting or closed. */
export function daemonProcess(client: CodeModeClient): DaemonProcess | undefined {
  return client[DAEMON_PROCESS]();
}

/**
 * The stored values the client keeps for `session`: what its completed cells committed,
 * and what it is reopened with on a new daemon. Throws for a session of another kind.
 */
export function committedValues(session: ClientSession): Readonly<JsonObject> {
  const values = (session as Partial<Record<typeof COMMITTED_VALUES, () => JsonObject>>)[COMMITTED_VALUES];
  if (!values) throw new TypeError("not a session of a CodeModeClient");
  return values.call(session);
}
