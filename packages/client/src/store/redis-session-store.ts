// Sessions' committed stored values and leases in Redis (ioredis), shared by every host
// process that reaches the same Redis: the store behind durable sessions past one machine.
import { createHash } from "node:crypto";
import type { JsonObject } from "@codemode/protocol";
import type { Redis } from "ioredis";
import { leaseHeldElsewhere, leaseLost, type SessionStore } from "./session-store.js";

export interface RedisSessionStoreOptions {
  /** The connection to use; it stays the caller's (the store never closes it). */
  redis: Redis;
  /** Prefix of every key (default `codemode:`). */
  keyPrefix?: string;
  /**
   * How long a session's values are kept after its last write or lease renewal, in
   * milliseconds (default 7 days): the values of a session no host continues expire.
   */
  retainMs?: number;
}

const DEFAULT_RETAIN_MS = 7 * 24 * 3_600_000;

/**
 * Keys, per session: `{prefix}session:{<id>}:lease` (a string: the holder, with the lease's
 * expiry as its TTL) and `{prefix}session:{<id>}:values` (a hash: stored key → JSON text).
 * The braces are a Redis Cluster hash tag, so a session's two keys share a slot and each
 * script below touches one slot. Every script is atomic: a holder whose lease ran out and
 * was taken changes nothing.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly retainMs: number;

  constructor(options: RedisSessionStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix ?? "codemode:";
    this.retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
  }

  async acquire(sessionId: string, holder: string, leaseMs: number): Promise<JsonObject | undefined> {
    const [taken, found] = (await this.run(ACQUIRE, sessionId, holder, leaseMs, this.retainMs)) as [number, unknown];
    if (taken === 0) throw leaseHeldElsewhere(sessionId, found as number);
    const flat = found as string[];
    if (flat.length === 0) return undefined;
    const entries: [string, unknown][] = [];
    for (let i = 0; i < flat.length; i += 2) entries.push([flat[i] as string, JSON.parse(flat[i + 1] as string)]);
    // fromEntries defines each key: a `__proto__` key is a value like any other.
    return Object.fromEntries(entries) as JsonObject;
  }

  async renew(sessionId: string, holder: string, leaseMs: number): Promise<void> {
    if ((await this.run(RENEW, sessionId, holder, leaseMs, this.retainMs)) === 0) throw leaseLost(sessionId);
  }

  async write(sessionId: string, holder: string, values: JsonObject): Promise<void> {
    const pairs = Object.entries(values).flatMap(([key, value]) => [key, JSON.stringify(value)]);
    if ((await this.run(WRITE, sessionId, holder, this.retainMs, ...pairs)) === 0) throw leaseLost(sessionId);
  }

  async release(sessionId: string, holder: string): Promise<void> {
    await this.run(RELEASE, sessionId, holder);
  }

  async delete(sessionId: string, holder: string): Promise<void> {
    await this.run(DELETE, sessionId, holder);
  }

  /** EVALSHA of a script, loading it (EVAL) when this Redis does not have it cached yet. */
  private async run(script: Script, sessionId: string, ...args: (string | number)[]): Promise<unknown> {
    const keys = [`${this.prefix}session:{${sessionId}}:lease`, `${this.prefix}session:{${sessionId}}:values`];
    try {
      return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      return await this.redis.eval(script.lua, keys.length, ...keys, ...args);
    }
  }
}

interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

// KEYS[1] the lease, KEYS[2] the values; ARGV[1] the holder.

/** ARGV[2] lease ms, ARGV[3] retain ms → {1, flat values} or {0, the lease's remaining ms}. */
const ACQUIRE = script(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, redis.call('PTTL', KEYS[1])} end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {1, redis.call('HGETALL', KEYS[2])}`);

/** ARGV[2] lease ms, ARGV[3] retain ms → 1, or 0 when the lease is not held. */
const RENEW = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`);

/** ARGV[2] retain ms, then key, JSON text, ... → 1, or 0 when the lease is not held. */
const WRITE = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`);

const RELEASE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`);

const DELETE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1`);
