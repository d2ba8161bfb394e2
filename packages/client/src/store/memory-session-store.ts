// The embedded default store: sessions' values and leases in this process's memory, shared
// by the clients that are given the same instance.
import type { JsonObject } from "@codemode/protocol";
import { leaseHeldElsewhere, leaseLost, mergeCommitted, type SessionStore } from "./session-store.js";

interface Entry {
  values: JsonObject;
  holder: string | undefined;
  /** `Date.now()` at which the lease ends. */
  leaseEnds: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();

  async acquire(sessionId: string, holder: string, leaseMs: number): Promise<JsonObject | undefined> {
    const entry = this.entries.get(sessionId);
    if (entry && this.heldByOther(entry, holder)) throw leaseHeldElsewhere(sessionId, entry.leaseEnds - Date.now());
    this.entries.set(sessionId, { values: entry?.values ?? {}, holder, leaseEnds: Date.now() + leaseMs });
    return entry ? { ...entry.values } : undefined;
  }

  async renew(sessionId: string, holder: string, leaseMs: number): Promise<void> {
    this.held(sessionId, holder).leaseEnds = Date.now() + leaseMs;
  }

  async write(sessionId: string, holder: string, values: JsonObject): Promise<void> {
    mergeCommitted(this.held(sessionId, holder).values, values);
  }

  async release(sessionId: string, holder: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (entry?.holder !== holder) return;
    entry.holder = undefined;
    if (Object.keys(entry.values).length === 0) this.entries.delete(sessionId);
  }

  async delete(sessionId: string, holder: string): Promise<void> {
    if (this.entries.get(sessionId)?.holder === holder) this.entries.delete(sessionId);
  }

  private heldByOther(entry: Entry, holder: string): boolean {
    return entry.holder !== undefined && entry.holder !== holder && entry.leaseEnds > Date.now();
  }

  private held(sessionId: string, holder: string): Entry {
    const entry = this.entries.get(sessionId);
    if (!entry || entry.holder !== holder) throw leaseLost(sessionId);
    return entry;
  }
}
