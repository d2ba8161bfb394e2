// The contract between the client's durable sessions and where their committed stored values
// and their leases live: in this process (the default) or shared between hosts (Redis).
import { ErrorCode, type JsonObject, Messages } from "@codemode/protocol";
import { CodeModeError } from "../errors.js";

/**
 * Keeps each session's committed stored values and a lease naming the one host process that
 * drives the session. A holder is an opaque id, one per `CodeModeClient`; every write, renewal
 * and release is fenced by the lease, so a host that lost it changes nothing.
 *
 * Errors: `acquire` rejects with `CodeModeError` code `ErrorCode.SessionInUse` while another
 * holder's lease is live; `renew` and `write` reject with the same code once the lease was
 * lost (it expired and another holder took it). Other rejections are the store's own
 * failures (an unreachable Redis, say).
 */
export interface SessionStore {
  /**
   * Takes (or extends) the lease of `sessionId` for `leaseMs` milliseconds and returns the
   * session's committed values, or `undefined` when the store has none.
   */
  acquire(sessionId: string, holder: string, leaseMs: number): Promise<JsonObject | undefined>;
  /** Extends a held lease by `leaseMs` milliseconds from now. */
  renew(sessionId: string, holder: string, leaseMs: number): Promise<void>;
  /** Merges a cell's committed writes (one `session/stored` part) into the session's values. */
  write(sessionId: string, holder: string, values: JsonObject): Promise<void>;
  /** Gives the lease up and keeps the values: another host may continue the session at once. */
  release(sessionId: string, holder: string): Promise<void>;
  /** The session ended (shut down by its host): its values and its lease are deleted. */
  delete(sessionId: string, holder: string): Promise<void>;
}

/** The lease of `sessionId` is live elsewhere (for about `remainingMs` more). */
export function leaseHeldElsewhere(sessionId: string, remainingMs: number): CodeModeError {
  return new CodeModeError(ErrorCode.SessionInUse, Messages.sessionLeased(sessionId, Math.max(0, remainingMs)));
}

/** This holder's lease of `sessionId` expired and another holder took it. */
export function leaseLost(sessionId: string): CodeModeError {
  return new CodeModeError(ErrorCode.SessionInUse, Messages.sessionLeaseLost(sessionId));
}

/**
 * Merges a cell's committed writes (one `session/stored` part) into `values`, in place, so that
 * writes in many parts cost their own size; each key defined, not assigned, so that a
 * `__proto__` key is a value like any other.
 */
export function mergeCommitted(values: JsonObject, part: JsonObject): void {
  for (const [key, value] of Object.entries(part)) {
    Object.defineProperty(values, key, { value, enumerable: true, writable: true, configurable: true });
  }
}
