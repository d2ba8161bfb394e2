import type { JsonObject } from "@codemode/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { CodeModeError } from "../errors.js";
import { MemorySessionStore } from "./memory-session-store.js";
import { SessionLease } from "./session-lease.js";
import type { SessionStore } from "./session-store.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The memory store, with writes that fail while `failing` is set (an unreachable store). */
class FlakyStore extends MemorySessionStore {
  failing = false;
  override async write(sessionId: string, holder: string, values: JsonObject): Promise<void> {
    if (this.failing) throw new Error("connection refused");
    await super.write(sessionId, holder, values);
  }
}

const leases: SessionLease[] = [];
afterEach(async () => {
  await Promise.all(leases.splice(0).map((lease) => lease.release()));
});

async function take(store: SessionStore, holder: string, leaseMs: number, values: JsonObject = {}, log: string[] = []) {
  const taken = await SessionLease.acquire(
    "s",
    { store, holder, leaseMs, log: (line) => log.push(line) },
    () => values,
  );
  leases.push(taken.lease);
  return taken;
}

describe("a session's lease", () => {
  it("is renewed while the session is open, so another host cannot take it", async () => {
    const store = new MemorySessionStore();
    await take(store, "a", 150);
    await sleep(400);
    await expect(store.acquire("s", "b", 150)).rejects.toBeInstanceOf(CodeModeError);
  });

  it("writes a cell's values in order, and has written them all once written() resolves", async () => {
    const store = new MemorySessionStore();
    const { lease } = await take(store, "a", 5_000);
    lease.write({ a: 1 });
    lease.write({ a: 2, b: 1 });
    await lease.written();
    await lease.release();
    expect(await store.acquire("s", "b", 5_000)).toEqual({ a: 2, b: 1 });
  });

  it("after a failed write, writes the session's whole values with the next write", async () => {
    const store = new FlakyStore();
    const values: JsonObject = {};
    const log: string[] = [];
    const { lease } = await take(store, "a", 5_000, values, log);
    store.failing = true;
    values.lost = 1;
    lease.write({ lost: 1 });
    await lease.written();
    expect(log.join("\n")).toMatch(/session s: the session store failed: connection refused/);
    store.failing = false;
    values.next = 2;
    lease.write({ next: 2 });
    await lease.written();
    await lease.release();
    expect(await store.acquire("s", "b", 5_000)).toEqual({ lost: 1, next: 2 });
  });

  it("is lost when another host took it after it expired: writes stop and the session learns why", async () => {
    const store = new MemorySessionStore();
    const log: string[] = [];
    // Renewed every 10 s: the lease of 30 ms expires first.
    const { lease } = await take(store, "a", 30_000, {}, log);
    await store.renew("s", "a", 30);
    await sleep(60);
    await store.acquire("s", "b", 5_000);
    lease.write({ late: true });
    await lease.written();
    expect(lease.lost?.message).toMatch(/session s lost its lease/);
    expect(await store.acquire("s", "b", 5_000)).toEqual({});
  });

  it("deletes the values when the session is shut down", async () => {
    const store = new MemorySessionStore();
    const { lease } = await take(store, "a", 5_000);
    lease.write({ x: 1 });
    await lease.delete();
    expect(await store.acquire("s", "b", 5_000)).toBeUndefined();
  });
});
