// The Redis session store against a real redis-server: the lease is exclusive, fenced and
// expires; the values come back exactly, whichever host process reads them.
import { CodeModeError, ErrorCode, MemorySessionStore, RedisSessionStore, type SessionStore } from "@codemode/client";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Services } from "../../packages/bench/src/loopback-cluster.mjs";

const services = new Services();
let redis: Redis;
let other: Redis;

beforeAll(async () => {
  const server = await services.redis();
  redis = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true });
  other = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true });
  await Promise.all([redis.connect(), other.connect()]);
});

afterAll(async () => {
  redis?.disconnect();
  other?.disconnect();
  await services.stopAll();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const inUse = (promise: Promise<unknown>) =>
  expect(promise).rejects.toSatisfy((error) => error instanceof CodeModeError && error.code === ErrorCode.SessionInUse);

// Both stores keep the same contract; the Redis one is seen from two connections, as two hosts.
const stores: [string, () => [SessionStore, SessionStore]][] = [
  [
    "memory",
    () => {
      const shared = new MemorySessionStore();
      return [shared, shared];
    },
  ],
  ["redis", () => [new RedisSessionStore({ redis }), new RedisSessionStore({ redis: other })]],
];

describe.each(stores)("the %s session store", (_, make) => {
  let id = 0;
  const session = () => `s-${Date.now()}-${id++}`;

  it("returns nothing for a new session, then the values written under the lease", async () => {
    const [a, b] = make();
    const s = session();
    expect(await a.acquire(s, "host-a", 5_000)).toBeUndefined();
    await a.write(s, "host-a", { n: 1, text: "é😀\u0000", nested: { list: [1, null, "x"] } });
    await a.write(s, "host-a", { n: 2, ["__proto__"]: { polluted: true } });
    await a.release(s, "host-a");
    const values = await b.acquire(s, "host-b", 5_000);
    expect(values).toEqual(
      JSON.parse('{"n":2,"text":"é😀\\u0000","nested":{"list":[1,null,"x"]},"__proto__":{"polluted":true}}'),
    );
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.hasOwn(values ?? {}, "__proto__")).toBe(true);
  });

  it("refuses a live lease held by another host, and gives it after it expires", async () => {
    const [a, b] = make();
    const s = session();
    await a.acquire(s, "host-a", 300);
    await a.write(s, "host-a", { kept: true });
    await inUse(b.acquire(s, "host-b", 5_000));
    await sleep(400);
    expect(await b.acquire(s, "host-b", 5_000)).toEqual({ kept: true });
    // The first host lost it: it can neither write nor renew.
    await inUse(a.write(s, "host-a", { kept: false }));
    await inUse(a.renew(s, "host-a", 5_000));
    expect(await b.acquire(s, "host-b", 5_000)).toEqual({ kept: true });
  });

  it("keeps a renewed lease past its first term", async () => {
    const [a, b] = make();
    const s = session();
    await a.acquire(s, "host-a", 300);
    for (let i = 0; i < 4; i++) {
      await sleep(100);
      await a.renew(s, "host-a", 300);
    }
    await inUse(b.acquire(s, "host-b", 300));
  });

  it("deletes the values of a session its host shut down", async () => {
    const [a, b] = make();
    const s = session();
    await a.acquire(s, "host-a", 5_000);
    await a.write(s, "host-a", { x: 1 });
    await b.delete(s, "host-b");
    await a.delete(s, "host-a");
    expect(await b.acquire(s, "host-b", 5_000)).toBeUndefined();
  });

  it("writes a cell's 5,000 keys at once", async () => {
    const [a] = make();
    const s = session();
    await a.acquire(s, "host-a", 5_000);
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]));
    await a.write(s, "host-a", many);
    await a.release(s, "host-a");
    expect(Object.keys((await a.acquire(s, "host-a", 5_000)) ?? {})).toHaveLength(5_000);
  });
});

it("expires the values of a session no host continues after retainMs", async () => {
  const store = new RedisSessionStore({ redis, retainMs: 200 });
  await store.acquire("retained", "host-a", 100);
  await store.write("retained", "host-a", { x: 1 });
  await sleep(300);
  expect(await store.acquire("retained", "host-a", 100)).toBeUndefined();
});
