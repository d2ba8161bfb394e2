// The hostile corpus's harness: one shared daemon, a healthy session beside every hostile
// cell, and the checks every hostile test makes (it ended within a bound with an errorText
// naming the limit or failure, and the healthy session still answered promptly).
import type { CellOutcome, JsonValue, ToolDefinitionInput } from "@codemode/protocol";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { type Harness, sleep, startDaemon, TOOLS, texts } from "./harness.js";

export const MiB = 1024 * 1024;
/** Small per-session limits keep the corpus fast; the rest are the defaults. */
export const LIMITS = { cpuTimeMs: 2_000, heapBytes: 32 * MiB };
export const DEFAULT_OUTPUT_BYTES = 32 * MiB;

export const CPU_ERROR = "exec cell exceeded its CPU time limit (cpuTimeMs: 2000)";
export const HEAP_ERROR = "exec cell exceeded its memory limit (heapBytes: 32 MiB)";
export const OUTPUT_ERROR = "exec cell exceeded its undelivered output limit (outputBytes: 32 MiB)";
export const TIMERS_ERROR = "exec cell exceeded its live timer limit (timers: 1000)";
export const TOOL_CALLS_ERROR = "exec cell exceeded its pending tool call limit (pendingToolCalls: 1000)";
export const CPU_OR_HEAP =
  /^exec cell exceeded its (CPU time limit \(cpuTimeMs: 2000\)|memory limit \(heapBytes: 32 MiB\))$/;

/** How long the healthy session may take to answer a cell with one tool call. */
export const HEALTHY_MS = 2_000;
/** A cell stopped by the CPU limit through the interrupt handler. */
export const CPU_BOUND_MS = LIMITS.cpuTimeMs + 3_000;
/** A cell stuck in a builtin that ignores interrupts: the watchdog replaces its worker. */
export const WATCHDOG_BOUND_MS = 10_000;
/** A cell that fails fast (a helper error, a memory limit, an exit). */
export const FAST_MS = 5_000;
export const TEST_MS = 60_000;

/** Host tools beyond the harness's own. */
export const EXTRA_TOOLS: ToolDefinitionInput[] = [
  { name: "big", description: "answers with a text over the payload limit" },
  { name: "evil", description: "answers with __proto__ keys" },
];
export const ALL_TEST_TOOLS = [...TOOLS, ...EXTRA_TOOLS];
export const HOSTILE_JSON = `{"__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true},"v":1},"list":[{"__proto__":{"polluted":true}}]}`;

/**
 * A block whose bounds assume the release engine's speed (CPU limits reached before another
 * limit, stack frames of the release build). The `engine-debug` test project, which runs the
 * corpus on the several times slower debug build for its assertions and leak checks, skips it.
 */
export const describeAtReleaseSpeed: ReturnType<typeof describe.skipIf> = describe.skipIf(
  process.env.CODEMODE_TEST_ENGINE === "debug",
);

let shared: Harness | undefined;
let healthy = "";
const lingering: string[] = [];

/** The corpus's daemon; started before the file's tests by `useHostileCorpus`. */
export function corpusDaemon(): Harness {
  if (!shared) throw new Error("useHostileCorpus() must be called at the top of the test file");
  return shared;
}

/** Shuts `sessionId` down after the current test, even when it fails. */
export function closeAfterTest(sessionId: string): void {
  lingering.push(sessionId);
}

/** Starts the shared daemon (with `args`) and its healthy session around a test file. */
export function useHostileCorpus(args: string[] = ["--max-workers", "4"]): void {
  beforeAll(async () => {
    const daemon = await startDaemon(args);
    daemon.tools.set("big", async () => "x".repeat(9 * MiB));
    daemon.tools.set("evil", async () => JSON.parse(HOSTILE_JSON) as JsonValue);
    shared = daemon;
    healthy = await daemon.open();
    await expectHealthy("before the corpus", false);
  });

  afterEach(async () => {
    // Sessions a test kept open, even when it failed before shutting them down.
    for (const sessionId of lingering.splice(0)) {
      await corpusDaemon()
        .request("session/shutdown", { sessionId })
        .catch(() => {});
    }
  });

  afterAll(async () => {
    await shared?.close();
    shared = undefined;
  });
}

/** The healthy session answers a small cell with a tool call, promptly. */
export async function expectHealthy(when: string, soft = true): Promise<void> {
  const started = performance.now();
  const outcome = await corpusDaemon().execute(healthy, `text(await tools.echo("alive"))`, { yieldTimeMs: 30_000 });
  const elapsed = Math.round(performance.now() - started);
  // Soft inside a test: the hostile cell's own assertions still run, and every failure is reported.
  const check = soft ? expect.soft : expect;
  check(outcome, `healthy session ${when}`).toMatchObject({ status: "completed", items: [{ text: "alive" }] });
  check(elapsed, `healthy session answered ${when} in ${elapsed} ms`).toBeLessThan(HEALTHY_MS);
}

export interface HostileOptions {
  /** Per-session limit overrides on top of LIMITS. */
  limits?: Record<string, number>;
  tools?: ToolDefinitionInput[];
  storedValues?: Record<string, JsonValue>;
  /** The cell is expected to keep running: the test terminates it after its first yield. */
  yielding?: boolean;
  yieldTimeMs?: number;
  /** Keep the session open for the test to inspect; it is shut down after the test. */
  keepSession?: boolean;
}

export interface HostileRun {
  sessionId: string;
  outcome: CellOutcome;
  /** From execute to the cell's terminal outcome. */
  ms: number;
}

/**
 * Runs one hostile cell in a fresh session. While it runs, and after it ended, the healthy
 * session must answer promptly. A cell that is still running when its observation ends is
 * terminated (and the run reports what the observation said, so the test can fail on it).
 */
export async function hostile(source: string, options: HostileOptions = {}): Promise<HostileRun> {
  const sessionId = await corpusDaemon().open({
    limits: { ...LIMITS, ...options.limits },
    ...(options.storedValues === undefined ? {} : { storedValues: options.storedValues }),
  });
  const started = performance.now();
  let settled = started;
  const first = corpusDaemon()
    .execute(sessionId, source, {
      tools: options.tools ?? ALL_TEST_TOOLS,
      yieldTimeMs: options.yieldTimeMs ?? (options.yielding ? 500 : 20_000),
    })
    .then((outcome) => {
      settled = performance.now();
      return outcome;
    });
  await sleep(150);
  await expectHealthy("while a hostile cell runs");
  let outcome = await first;
  if (options.yielding && outcome.status === "yielded") {
    const terminating = performance.now();
    outcome = await corpusDaemon().terminate(sessionId, outcome.cellId);
    settled = performance.now();
    const took = settled - terminating;
    expect(took, `terminate took ${Math.round(took)} ms`).toBeLessThan(2_000);
  }
  const ms = Math.round(settled - started);
  await expectHealthy("after a hostile cell");
  if (options.keepSession) closeAfterTest(sessionId);
  else await corpusDaemon().request("session/shutdown", { sessionId });
  return { sessionId, outcome, ms };
}

/** Asserts a completed cell that failed with `errorText` within `boundMs` of its start. */
export function expectFailure(run: HostileRun, errorText: string | RegExp, boundMs: number): void {
  const summary = `${run.outcome.status} after ${run.ms} ms: ${run.outcome.errorText?.slice(0, 200)}`;
  expect(run.outcome.status, summary).toBe("completed");
  if (typeof errorText === "string") expect(run.outcome.errorText, summary).toBe(errorText);
  else expect(run.outcome.errorText, summary).toMatch(errorText);
  expect(run.ms, summary).toBeLessThan(boundMs);
}

/** Asserts a cell that completed successfully with `items`, quickly. */
export function expectSuccess(run: HostileRun, items: string[]): void {
  const summary = `${run.outcome.status} after ${run.ms} ms: ${run.outcome.errorText?.slice(0, 200)}`;
  expect(run.outcome.status, summary).toBe("completed");
  expect(run.outcome.errorText, summary).toBeUndefined();
  expect(texts(run.outcome)).toEqual(items);
  expect(run.ms, summary).toBeLessThan(FAST_MS);
}

export const outputSize = (outcome: CellOutcome) =>
  outcome.items.reduce((total, item) => total + (item.type === "text" ? item.text.length : item.imageUrl.length), 0);

/** The cell's single text item, parsed as JSON. */
export function report(run: HostileRun): unknown {
  const summary = `${run.outcome.status} after ${run.ms} ms: ${run.outcome.errorText?.slice(0, 300)}`;
  expect(run.outcome.status, summary).toBe("completed");
  expect(run.outcome.errorText, summary).toBeUndefined();
  const [only] = texts(run.outcome);
  return JSON.parse(only ?? "null") as unknown;
}
