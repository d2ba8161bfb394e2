// A seeded protocol fuzz over real pipes in the default Content-Length framing, with a client
// written from scratch. Thousands of valid, mutated and broken messages are mixed with
// well-formed cells of a healthy session. The daemon must not crash, must answer every
// request that has a usable id exactly once, and must keep running the healthy cells.
// Malformed headers come last, in their own test: they may desynchronise the stream.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { DAEMON_BIN } from "./harness.js";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const MESSAGES = 10_000;
const BATCH = 100;
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const HEALTHY_MS = 5_000;

// ---- a small deterministic PRNG ----

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)] as T;
  }
  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.next() * entries.reduce((total, [, weight]) => total + weight, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }
}

// ---- JSON values, with placeholders for what JSON.stringify cannot build ----

/** Replaced after serialisation by `n` nested arrays (JSON.stringify would overflow its stack). */
const deep = (n: number): string => `@@deep:${n}@@`;
const DEEP_TOKEN = /"@@deep:(\d+)@@"/g;

function serialize(value: unknown): string {
  return JSON.stringify(value).replace(DEEP_TOKEN, (_all, n: string) => "[".repeat(Number(n)) + "]".repeat(Number(n)));
}

/** An object with an own enumerable `__proto__` key, as JSON.parse would build it. */
function withOwn(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

const CHAR_POOLS = [
  "abcdefghijklmnopqrstuvwxyz0123456789_-./ ",
  "ÀéîõüßñçÆØÅ¡¿",
  "名前字文本工具会话",
  "\u200f\u202e\u2028\u2029\ufeff\u00a0",
  '\u0000\u0001\u0007\b\t\n\r\u001f"\\',
  "😀🚀👩‍💻🏳️‍🌈",
  "\ud800\udbff\udc00\udfff", // lone surrogates
] as const;

function randomString(rng: Rng, maxLength = 24): string {
  const length = rng.int(maxLength + 1);
  let out = "";
  for (let i = 0; i < length; i++) {
    const pool = rng.pick(CHAR_POOLS);
    out += Array.from(pool)[rng.int(Array.from(pool).length)] ?? "";
  }
  return out;
}

const ODD_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "", "😀", "a".repeat(300)];
const ODD_NUMBERS = [0, -1, 1.5, 1e308, -1e308, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 2, 5e-324, 0.1];

function randomValue(rng: Rng, depth = 0): unknown {
  const kind = rng.weighted({
    null: 1,
    boolean: 1,
    number: 2,
    string: 3,
    array: depth < 3 ? 2 : 0,
    object: depth < 3 ? 2 : 0,
    deep: depth === 0 ? 0.2 : 0,
    huge: depth === 0 ? 0.1 : 0,
  });
  switch (kind) {
    case "null":
      return null;
    case "boolean":
      return rng.chance(0.5);
    case "number":
      return rng.chance(0.5) ? rng.pick(ODD_NUMBERS) : rng.int(1000);
    case "string":
      return randomString(rng);
    case "array":
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    case "object":
      return randomObject(rng, depth + 1);
    case "deep":
      return deep(rng.pick([64, 1_000, 10_000, 100_000]));
    case "huge":
      return rng.pick(["x", "é", "😀"]).repeat(rng.pick([65_536, 262_144]));
  }
}

function randomObject(rng: Rng, depth = 0): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  const size = rng.int(4);
  for (let i = 0; i < size; i++) {
    const key = rng.chance(0.3) ? rng.pick(ODD_KEYS) : randomString(rng, 8);
    withOwn(target, key, randomValue(rng, depth + 1));
  }
  return target;
}

// ---- what the daemon must answer ----

/**
 * `byId`: a request with a usable id, answered exactly once with that id.
 * `maybeById`: at most one answer with that id (e.g. a response-shaped message that is invalid).
 * `nullError`: malformed input answered with one error whose id is null.
 * `maybeNullError`: input a server may answer with such an error, or ignore.
 * `none`: nothing comes back (a notification, a response to an unknown id).
 */
type Expectation =
  | { kind: "byId"; key: string }
  | { kind: "maybeById"; key: string }
  | { kind: "nullError" }
  | { kind: "maybeNullError" }
  | { kind: "none" };

interface Fuzzed {
  category: string;
  body: Buffer;
  expect: Expectation[];
}

const SESSIONS = ["fz-1", "fz-2", "fz-3", "fz-4"] as const;
const HEALTHY = "healthy";

const SNIPPETS = [
  `text(1)`,
  `text(await tools.echo({ a: 1 }))`,
  `throw new Error("fuzz")`,
  `syntax error (`,
  `await null; store("k", { v: 1 }); text(load("k"))`,
  `notify("hi")`,
  `setTimeout(() => text("t"), 5); await tools.echo(0)`,
  `exit()`,
  `yield_control(); text(2)`,
  `image("data:image/png;base64,AAAA")`,
  `for (let i = 0; i < 200; i++) text(i)`,
  `await import("fs")`,
  `await tools.nope()`,
  `store("__proto__", JSON.parse('{"__proto__":{"x":1}}'))`,
  ``,
];

class Generator {
  private nextId = 1_000;
  private nextResponseId = 0;
  /** Ids of requests the fuzz sent, so `$/cancelRequest` can aim at them. */
  private readonly recent: (string | number)[] = [];

  constructor(private readonly rng: Rng) {}

  /** A fresh usable id: numbers (some fractional or negative) and strings (some odd). */
  private usableId(): string | number {
    const n = this.nextId++;
    const rng = this.rng;
    const id = rng.weighted({ int: 4, fraction: 1, negative: 1, string: 4 });
    const value =
      id === "int" ? n : id === "fraction" ? n + 0.25 : id === "negative" ? -n : `f${n}${randomString(rng, 6)}`;
    this.recent.push(value);
    if (this.recent.length > 50) this.recent.shift();
    return value;
  }

  private sessionId(): unknown {
    return this.rng.chance(0.85) ? this.rng.pick(SESSIONS) : randomString(this.rng, 12);
  }

  private cellId(): unknown {
    return this.rng.chance(0.8) ? String(1 + this.rng.int(20)) : randomString(this.rng, 6);
  }

  private tools(): unknown {
    const rng = this.rng;
    const list: unknown[] = Array.from({ length: rng.int(4) }, () =>
      rng.chance(0.7)
        ? { name: rng.pick(["echo", "nope", "__proto__", "", "名前", "constructor"]) }
        : randomObject(rng),
    );
    // Most cells can call the echo tool, so that reverse requests flow during the fuzz.
    if (rng.chance(0.8)) list.unshift({ name: "echo" });
    return list;
  }

  /** Valid params for `method` (the fuzz then mutates some of them). */
  private params(method: string): Record<string, unknown> | null | undefined {
    const rng = this.rng;
    switch (method) {
      case "initialize":
        return { protocolVersion: rng.pick(["1.0", "1.1", "2.0", ""]), clientInfo: { name: randomString(rng) } };
      case "session/open": {
        const params: Record<string, unknown> = {};
        if (rng.chance(0.7)) params.sessionId = rng.chance(0.5) ? this.sessionId() : `fz-open-${this.nextId++}`;
        if (rng.chance(0.4)) params.storedValues = randomObject(rng);
        if (rng.chance(0.4)) params.limits = { cpuTimeMs: 1 + rng.int(1_000), timers: rng.int(10) };
        return params;
      }
      case "session/shutdown":
      case "session/storedValues":
        return { sessionId: this.sessionId() };
      case "cell/execute": {
        const params: Record<string, unknown> = {
          sessionId: this.sessionId(),
          toolCallId: randomString(rng, 10),
          source: rng.chance(0.85) ? rng.pick(SNIPPETS) : randomString(rng, 60),
        };
        if (rng.chance(0.9)) params.enabledTools = this.tools();
        if (rng.chance(0.3)) params.cellId = this.cellId();
        if (rng.chance(0.7)) params.yieldTimeMs = rng.pick([0, 1, 10, 100, 1_000]);
        return params;
      }
      case "cell/wait":
        return { sessionId: this.sessionId(), cellId: this.cellId(), yieldTimeMs: rng.pick([0, 1, 10, 100]) };
      case "cell/terminate":
        return { sessionId: this.sessionId(), cellId: this.cellId() };
      case "daemon/stats":
        return rng.pick([{}, null, undefined]);
      default:
        return randomObject(rng);
    }
  }

  /** Wrong types, missing and extra fields, odd strings, deep nesting, `__proto__` keys. */
  private mutate(params: Record<string, unknown> | null | undefined): unknown {
    const rng = this.rng;
    if (rng.chance(0.1)) return rng.pick([[], [1, 2], 1, "x", true, null, deep(1_000)]);
    const target: Record<string, unknown> = { ...(params ?? {}) };
    const operations = 1 + rng.int(3);
    for (let i = 0; i < operations; i++) {
      const keys = Object.keys(target);
      const key = keys.length > 0 ? rng.pick(keys) : "sessionId";
      switch (rng.weighted({ drop: 2, retype: 3, extra: 2, odd: 2, proto: 1 })) {
        case "drop":
          delete target[key];
          break;
        case "retype":
          target[key] = randomValue(rng);
          break;
        case "extra":
          withOwn(target, rng.chance(0.5) ? rng.pick(ODD_KEYS) : randomString(rng, 10), randomValue(rng));
          break;
        case "odd":
          target[key] = rng.pick(["", "__proto__", "constructor", randomString(rng, 40), deep(10_000)]);
          break;
        case "proto":
          withOwn(target, "__proto__", randomObject(rng));
          break;
      }
    }
    return target;
  }

  private frameOf(category: string, message: unknown, expectations: Expectation[]): Fuzzed {
    return { category, body: Buffer.from(serialize(message), "utf8"), expect: expectations };
  }

  next(): Fuzzed {
    const rng = this.rng;
    const category = rng.weighted({
      valid: 30,
      mutated: 25,
      unknownMethod: 5,
      nonObject: 5,
      wrongVersion: 5,
      unknownResponse: 5,
      garbageNotification: 8,
      brokenJson: 8,
      unusableId: 3,
      invalidUtf8: 2,
      batch: 2,
      shapeless: 2,
    });
    const methods = [
      "initialize",
      "session/open",
      "session/shutdown",
      "session/storedValues",
      "cell/execute",
      "cell/wait",
      "cell/terminate",
      "daemon/stats",
    ];
    switch (category) {
      case "valid":
      case "mutated": {
        // Mostly cells, so that many run; shutdowns are rare so that sessions stay open.
        const method = rng.weighted({
          initialize: 0.3,
          "session/open": 1,
          "session/shutdown": 0.2,
          "session/storedValues": 1,
          "cell/execute": 5,
          "cell/wait": 2,
          "cell/terminate": 1.5,
          "daemon/stats": 1,
        });
        const params = this.params(method);
        const id = this.usableId();
        const message: Record<string, unknown> = { jsonrpc: "2.0", id, method };
        const sent = category === "mutated" ? this.mutate(params) : params;
        if (sent !== undefined) message.params = sent;
        return this.frameOf(`${category} ${method}`, message, [{ kind: "byId", key: keyOf(id) }]);
      }
      case "unknownMethod": {
        const id = this.usableId();
        const method = rng.pick([
          "cell/explode",
          "__proto__",
          "constructor",
          "toString",
          "",
          "$/cancelRequest",
          "rpc.discover",
          "exit",
          "initialized",
          randomString(rng, 30),
          "m".repeat(10_000),
        ]);
        return this.frameOf(category, { jsonrpc: "2.0", id, method, params: randomObject(rng) }, [
          { kind: "byId", key: keyOf(id) },
        ]);
      }
      case "nonObject":
        return this.frameOf(category, rng.pick([[], 1, "x", null, true, 0.5, [1, 2], [[]], ""]), [
          { kind: "nullError" },
        ]);
      case "wrongVersion": {
        const version = rng.pick(["1.0", "2", 2, 2.0001, null, "", " 2.0", "2.0 ", undefined]);
        const withId = rng.chance(0.5);
        const id = this.usableId();
        const message: Record<string, unknown> = { method: rng.pick(methods), params: {} };
        if (version !== undefined) message.jsonrpc = version;
        if (withId) message.id = id;
        return this.frameOf(category, message, withId ? [{ kind: "byId", key: keyOf(id) }] : [{ kind: "nullError" }]);
      }
      case "unknownResponse": {
        // Ids the daemon never uses for its own requests (its ids are small integers).
        const id = rng.chance(0.5) ? `resp-${this.nextResponseId++}` : 1e12 + this.nextResponseId++;
        const message = rng.chance(0.5)
          ? { jsonrpc: "2.0", id, result: randomValue(rng) }
          : { jsonrpc: "2.0", id, error: { code: rng.int(100_000) - 50_000, message: randomString(rng), data: {} } };
        return this.frameOf(category, message, [{ kind: "maybeById", key: keyOf(id) }, { kind: "none" }]);
      }
      case "garbageNotification": {
        const method = rng.pick(["initialized", "$/setTrace", "$/cancelRequest", "cell/started", "x/unknown", ""]);
        const params =
          method === "$/cancelRequest" && rng.chance(0.5)
            ? { id: rng.chance(0.5) && this.recent.length > 0 ? rng.pick(this.recent) : randomValue(rng) }
            : method === "$/setTrace" && rng.chance(0.3)
              ? { value: rng.pick(["off", "loud", 1, null]) }
              : randomValue(rng);
        const objectParams = typeof params === "object" && params !== null;
        // Params that are neither an object nor an array make the notification malformed.
        return this.frameOf(category, { jsonrpc: "2.0", method, params }, [
          objectParams ? { kind: "none" } : { kind: "maybeNullError" },
        ]);
      }
      case "brokenJson": {
        const id = this.usableId();
        const valid = serialize({ jsonrpc: "2.0", id, method: rng.pick(methods), params: {} });
        const broken = breakJson(rng, valid);
        // Answered with its id where the broken text still shows it whole, else with a null id.
        return {
          category,
          body: Buffer.from(broken, "utf8"),
          expect: [{ kind: "maybeNullError" }, { kind: "maybeById", key: keyOf(id) }],
        };
      }
      case "unusableId": {
        const id = rng.pick([null, true, false, {}, [], [1], { id: 1 }]);
        return this.frameOf(
          category,
          { jsonrpc: "2.0", id, method: rng.pick(methods), params: {} },
          // A null id is discouraged but allowed by JSON-RPC: a server may answer it with a null id.
          [id === null ? { kind: "maybeNullError" } : { kind: "nullError" }],
        );
      }
      case "invalidUtf8": {
        const id = this.usableId();
        const inString = rng.chance(0.5);
        const head = Buffer.from(`{"jsonrpc":"2.0","id":${serialize(id)},"method":"daemon/stats","params":{"s":"`);
        const bad = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
        const body = inString
          ? Buffer.concat([head, bad, Buffer.from(`"}}`)])
          : Buffer.concat([head, Buffer.from(`"}`), bad, Buffer.from(`}`)]);
        // Invalid bytes inside a string decode to U+FFFD; outside one they break the JSON, which
        // still shows its id: either way the answer has the id.
        return { category, body, expect: [{ kind: "byId", key: keyOf(id) }] };
      }
      case "batch": {
        const id = this.usableId();
        const batch = [{ jsonrpc: "2.0", id, method: "daemon/stats", params: {} }];
        return this.frameOf(category, batch, [{ kind: "maybeNullError" }, { kind: "maybeById", key: keyOf(id) }]);
      }
      case "shapeless": {
        const withId = rng.chance(0.5);
        const id = this.usableId();
        const message: Record<string, unknown> = { jsonrpc: "2.0", params: randomObject(rng) };
        if (withId) message.id = id;
        return this.frameOf(category, message, [withId ? { kind: "byId", key: keyOf(id) } : { kind: "nullError" }]);
      }
    }
  }
}

/** A body that is certainly not JSON. */
function breakJson(rng: Rng, valid: string): string {
  for (;;) {
    const cut = 1 + rng.int(valid.length - 1);
    const broken = rng.pick([
      valid.slice(0, cut),
      `${valid.slice(0, cut)}\u0000${valid.slice(cut)}`,
      `${valid}}`,
      `${valid},`,
      valid.replace(/"/g, "'"),
      valid.replace(":", ""),
      `${valid.slice(0, -1)},}`,
      valid.replace('"params":{}', '"params":NaN'),
      `{"a":${"[".repeat(50)}`,
      "\u0000\u0001garbage",
      "}{",
    ]);
    try {
      JSON.parse(broken.trim());
    } catch {
      if (broken.trim() !== "") return broken;
    }
  }
}

const keyOf = (id: unknown) => JSON.stringify(id);

// ---- a raw client over the daemon's stdio ----

interface Wire {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

const frame = (body: Buffer | string) => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, "ascii"), bytes]);
};

class FuzzClient {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Responses by id key. */
  readonly responses = new Map<string, Wire[]>();
  readonly nullIdResponses: Wire[] = [];
  readonly malformedResponses: string[] = [];
  readonly stdoutProblems: string[] = [];
  readonly stderrLines: string[] = [];
  notifications = 0;
  reverseRequests = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private writing: Promise<void> = Promise.resolve();
  private readonly waiters = new Map<string, () => void>();

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [DAEMON_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    this.child.stdin?.on("error", () => {});
    this.child.stdout?.on("data", (chunk: Buffer) => this.onData(chunk));
    let partial = "";
    this.child.stderr?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      this.stderrLines.push(...lines.filter((line) => line !== ""));
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Writes `pieces` in order, as one unit: writes are queued, so an answer to a reverse request
   * never lands in the middle of a frame that is being written in fragments.
   */
  write(...pieces: Buffer[]): Promise<void> {
    this.writing = this.writing.then(async () => {
      const stdin = this.child.stdin;
      for (const [index, piece] of pieces.entries()) {
        if (!stdin || !this.alive) return;
        if (!stdin.write(piece)) await Promise.race([once(stdin, "drain"), this.exited]);
        // Let some pieces leave on their own rather than coalesced with the next ones.
        if (pieces.length > 1 && index % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    return this.writing;
  }

  async send(message: Record<string, unknown>): Promise<void> {
    await this.write(frame(JSON.stringify({ jsonrpc: "2.0", ...message })));
  }

  /** Resolves with the first response to `id`, or undefined after `timeoutMs` or once the daemon exited. */
  async response(id: string | number, timeoutMs: number): Promise<Wire | undefined> {
    const key = keyOf(id);
    if (!this.responses.has(key) && this.alive) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
          this.waiters.set(key, resolve);
        }),
        this.exited,
      ]);
      clearTimeout(timer);
      this.waiters.delete(key);
    }
    return this.responses.get(key)?.[0];
  }

  async request(id: string | number, method: string, params?: unknown, timeoutMs = 10_000): Promise<Wire | undefined> {
    await this.send(params === undefined ? { id, method } : { id, method, params });
    return this.response(id, timeoutMs);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const match = /^Content-Length: (\d+)$/im.exec(header);
      if (!match) {
        this.stdoutProblems.push(`bad header from the daemon: ${JSON.stringify(header.slice(0, 200))}`);
        this.buffer = this.buffer.subarray(headerEnd + 4);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        this.stdoutProblems.push(`a body that is not JSON: ${JSON.stringify(body.slice(0, 200))}`);
        continue;
      }
      for (const message of Array.isArray(parsed) ? parsed : [parsed]) this.receive(message as Wire);
    }
  }

  private receive(message: Wire): void {
    if (typeof message !== "object" || message === null || message.jsonrpc !== "2.0") {
      this.malformedResponses.push(JSON.stringify(message).slice(0, 200));
      return;
    }
    if (typeof message.method === "string") {
      if (message.id === undefined) {
        this.notifications++;
        return;
      }
      // A reverse request: tools echo their input, notifications are acknowledged.
      this.reverseRequests++;
      const params = message.params as { input?: unknown } | undefined;
      const result = message.method === "tool/invoke" ? (params?.input ?? null) : null;
      void this.write(frame(JSON.stringify({ jsonrpc: "2.0", id: message.id, result })));
      return;
    }
    if ("result" in message === "error" in message) {
      this.malformedResponses.push(JSON.stringify(message).slice(0, 200));
    }
    if (message.id === null) {
      this.nullIdResponses.push(message);
      return;
    }
    const key = keyOf(message.id);
    const list = this.responses.get(key) ?? [];
    list.push(message);
    this.responses.set(key, list);
    this.waiters.get(key)?.();
    this.waiters.delete(key);
  }
}

// ---- the tests ----

const clients: FuzzClient[] = [];

/** A daemon, initialized, with the healthy session and the fuzz's sessions open. */
async function startClient(): Promise<FuzzClient> {
  const client = new FuzzClient(["--max-message-bytes", String(MAX_MESSAGE_BYTES), "--max-workers", "2"]);
  clients.push(client);
  const init = await client.request("setup-init", "initialize", {
    protocolVersion: "1.0",
    clientInfo: { name: "fuzz" },
  });
  expect(init?.result).toMatchObject({ protocolVersion: "1.0" });
  await client.send({ method: "initialized", params: {} });
  for (const sessionId of [HEALTHY, ...SESSIONS]) {
    const limits = sessionId === HEALTHY ? undefined : { cpuTimeMs: 1_000 };
    const opened = await client.request(`setup-${sessionId}`, "session/open", { sessionId, limits });
    expect(opened?.result).toEqual({ sessionId });
  }
  return client;
}

afterAll(async () => {
  for (const client of clients) {
    if (!client.alive) continue;
    client.child.stdin?.end();
    const timer = setTimeout(() => client.child.kill("SIGKILL"), 5_000);
    await client.exited;
    clearTimeout(timer);
  }
});

describe("protocol fuzz", () => {
  it(`${MESSAGES} seeded messages (seed ${SEED}): no crash, one answer per usable id, healthy cells keep working`, {
    timeout: 120_000,
  }, async () => {
    const client = await startClient();
    const rng = new Rng(SEED);
    const generator = new Generator(rng);
    const expected: Expectation[] = [];
    const categories = new Map<string, number>();
    const healthyFailures: string[] = [];
    let healthyMaxMs = 0;
    let sent = 0;
    for (let batch = 0; sent < MESSAGES; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < BATCH && sent < MESSAGES; i++, sent++) {
        const fuzzed = generator.next();
        const category = fuzzed.category.split(" ")[0] ?? fuzzed.category;
        categories.set(category, (categories.get(category) ?? 0) + 1);
        expected.push(...fuzzed.expect);
        frames.push(frame(fuzzed.body));
      }
      if (batch === 40) {
        // One message over --max-message-bytes: skipped and answered with a null id.
        const pad = "x".repeat(MAX_MESSAGE_BYTES);
        frames.push(
          frame(JSON.stringify({ jsonrpc: "2.0", id: "oversized", method: "daemon/stats", params: { pad } })),
        );
        expected.push({ kind: "nullError" }, { kind: "maybeById", key: keyOf("oversized") });
        categories.set("oversized", 1);
      }
      const bytes = Buffer.concat(frames);
      if (rng.chance(0.1)) {
        // Fragmented delivery: the frames arrive in small, arbitrary pieces.
        const pieces: Buffer[] = [];
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + rng.int(512);
          pieces.push(bytes.subarray(at, at + size));
          at += size;
        }
        await client.write(...pieces);
      } else {
        await client.write(bytes);
      }
      // A well-formed cell of the healthy session, in the same stream.
      const id = `healthy-${batch}`;
      const started = performance.now();
      const answer = await client.request(
        id,
        "cell/execute",
        {
          sessionId: HEALTHY,
          toolCallId: id,
          source: `text(await tools.echo("ok ${batch}"))`,
          enabledTools: [{ name: "echo" }],
        },
        HEALTHY_MS * 4,
      );
      const elapsed = performance.now() - started;
      healthyMaxMs = Math.max(healthyMaxMs, elapsed);
      const result = answer?.result as { status?: string; items?: { text?: string }[] } | undefined;
      if (result?.status !== "completed" || result.items?.[0]?.text !== `ok ${batch}` || elapsed > HEALTHY_MS) {
        healthyFailures.push(`${id} after ${Math.round(elapsed)} ms: ${JSON.stringify(answer ?? "no answer")}`);
      }
      if (!client.alive) break;
    }

    expect(client.alive, `the daemon exited after ${sent} messages: ${client.stderrLines.slice(-40).join("\n")}`).toBe(
      true,
    );
    expect(healthyFailures).toEqual([]);

    // Every request with a usable id is answered (cells here finish within a second or so).
    const byId = expected.filter((e): e is { kind: "byId"; key: string } => e.kind === "byId");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && byId.some((e) => !client.responses.has(e.key))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stats = await client.request("final-stats", "daemon/stats", {});
    expect(stats?.result).toMatchObject({ cells: expect.any(Number), sessions: expect.any(Number) });
    expect(client.alive).toBe(true);

    const unanswered = byId.filter((e) => !client.responses.has(e.key)).map((e) => e.key);
    const answeredTwice = [...client.responses].filter(([, list]) => list.length > 1).map(([key]) => key);
    const maybe = expected.filter((e): e is { kind: "maybeById"; key: string } => e.kind === "maybeById");
    const known = new Set([...byId, ...maybe].map((e) => e.key));
    const unexpected = [...client.responses.keys()].filter(
      (key) => !known.has(key) && !key.startsWith('"healthy-') && !key.startsWith('"setup-') && key !== '"final-stats"',
    );
    const nullErrors = expected.filter((e) => e.kind === "nullError").length;
    const maybeNullErrors = expected.filter((e) => e.kind === "maybeNullError").length;
    const summary = {
      seed: SEED,
      messages: sent,
      categories: Object.fromEntries(categories),
      usableIds: byId.length,
      nullIdAnswers: client.nullIdResponses.length,
      nullIdExpected: `${nullErrors}..${nullErrors + maybeNullErrors}`,
      reverseRequests: client.reverseRequests,
      healthyMaxMs: Math.round(healthyMaxMs),
      stderrLines: client.stderrLines.length,
    };
    console.info(`protocol fuzz: ${JSON.stringify(summary)}`);
    expect(unanswered, "requests with a usable id that got no answer").toEqual([]);
    expect(answeredTwice, "requests answered more than once").toEqual([]);
    expect(unexpected, "answers to ids that were never a request").toEqual([]);
    expect(client.malformedResponses, "answers that are not JSON-RPC 2.0 responses").toEqual([]);
    expect(client.stdoutProblems, "stdout carries protocol only").toEqual([]);
    expect(client.nullIdResponses.length).toBeGreaterThanOrEqual(nullErrors);
    expect(client.nullIdResponses.length).toBeLessThanOrEqual(nullErrors + maybeNullErrors);
    for (const response of client.nullIdResponses) {
      expect([-32700, -32600, -32602]).toContain(response.error?.code);
    }
    // The healthy session still works after the storm.
    const last = await client.request("healthy-last", "cell/execute", {
      sessionId: HEALTHY,
      toolCallId: "last",
      source: `text(await tools.echo("still here"))`,
      enabledTools: [{ name: "echo" }],
    });
    expect(last?.result).toMatchObject({ status: "completed", items: [{ type: "text", text: "still here" }] });
  });

  it("malformed headers: the daemon recovers (or exits cleanly), never crashes", { timeout: 60_000 }, async () => {
    // A daemon of its own, so that this test does not depend on the fuzz above.
    const client = await startClient();
    const body = (id: string) => JSON.stringify({ jsonrpc: "2.0", id, method: "daemon/stats", params: {} });
    const cases: [string, Buffer][] = [
      ["a non-numeric Content-Length", Buffer.from("Content-Length: abc\r\n\r\n")],
      ["no Content-Length", Buffer.from(`Content-Type: application/json\r\n\r\n${body("h-nolength")}`)],
      ["a negative Content-Length", Buffer.from("Content-Length: -5\r\n\r\n")],
      ["a fractional Content-Length", Buffer.from("Content-Length: 2.5\r\n\r\n{}")],
      ["an exponent Content-Length", Buffer.from("Content-Length: 1e1\r\n\r\n{}")],
      ["a Content-Length shorter than the body", Buffer.from(`Content-Length: 5\r\n\r\n${body("h-short")}`)],
      ["a Content-Length longer than the body", Buffer.from(`Content-Length: 500\r\n\r\n${body("h-long")}`)],
      ["two Content-Length headers", Buffer.from("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}")],
      ["LF-only line ends", Buffer.from("Content-Length: 2\n\n{}")],
      ["an empty header", Buffer.from("\r\n\r\n")],
      ["a header over 8 KiB with no end", Buffer.from(`X-Garbage: ${"a".repeat(10_000)}`)],
      ["binary garbage", Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a]), Buffer.from("\r\n\r\n")])],
      ["a lowercase header without a space", Buffer.from("content-length:2\r\n\r\n{}")],
      ["a zero Content-Length", Buffer.from("Content-Length: 0\r\n\r\n")],
    ];
    const outcomes: { name: string; outcome: string }[] = [];
    let probe = 0;
    for (const [name, bytes] of cases) {
      if (!client.alive) {
        outcomes.push({ name, outcome: "not run: the daemon had exited" });
        continue;
      }
      await client.write(bytes);
      const first = `probe-${probe++}`;
      if (await client.request(first, "daemon/stats", {}, 1_500)) {
        outcomes.push({ name, outcome: "recovered" });
        continue;
      }
      // A client resynchronises: padding fills a body the daemon may still be waiting for, and a
      // blank line ends whatever header is pending.
      const second = `probe-${probe++}`;
      await client.write(Buffer.from(`${" ".repeat(1_024)}\r\n\r\n`));
      if (await client.request(second, "daemon/stats", {}, 3_000)) {
        outcomes.push({ name, outcome: "recovered after padding and a blank line" });
      } else {
        outcomes.push({ name, outcome: client.alive ? "deaf" : `exited (${client.child.exitCode})` });
      }
    }
    console.info(`malformed headers: ${JSON.stringify(outcomes)}`);
    expect(client.child.signalCode, "the daemon was killed by a signal").toBeNull();
    // An exit is acceptable only as a clean one: no uncaught error on stderr (its log lines are JSON).
    const uncaught = client.stderrLines.filter((line) => !line.startsWith("{") && /Error|^\s+at /.test(line));
    expect(uncaught, "an uncaught error on stderr").toEqual([]);
    expect(outcomes.filter((o) => o.outcome === "deaf")).toEqual([]);
    if (!client.alive) return;
    // LSP shutdown, then a Content-Length past every limit: refused, then the stream is skipped.
    expect((await client.request("final-shutdown", "shutdown"))?.result).toBeNull();
    const before = client.nullIdResponses.length;
    await client.write(Buffer.from("Content-Length: 99999999999999999999\r\n\r\n{}"));
    const start = Date.now();
    while (client.nullIdResponses.length === before && Date.now() - start < 3_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(client.nullIdResponses.at(-1)?.error?.code).toBe(-32600);
    expect(client.alive).toBe(true);
    client.child.stdin?.end();
    const exit = await Promise.race([
      client.exited,
      new Promise<"hang">((resolve) => setTimeout(() => resolve("hang"), 5_000)),
    ]);
    // After `shutdown`, end of input exits with code 0.
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
