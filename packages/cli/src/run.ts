// `codemode run`: one file run as a cell in a fresh daemon, each observation printed as the
// model would read it.
import { readFile } from "node:fs/promises";
import { CodeModeClient, type WaitOutcome } from "@codemode/client";
import { parseExecSource, renderOutcome } from "@codemode/client/model";
import { DEFAULT_YIELD_TIME_MS } from "@codemode/protocol/defaults";
import { type ApprovalIO, type ApproveMode, approvalPolicy } from "./approval-policy.js";
import { ExitCode, UsageError } from "./exit.js";
import { printable } from "./print.js";
import { loadTools, reportHandlerError } from "./tools-module.js";

/** The shortest wait of `--follow` after the first observation, ms. */
export const FOLLOW_MIN_YIELD_MS = 1_000;

export interface RunOptions {
  file: string;
  toolsModule?: string;
  yieldTimeMs?: number;
  follow: boolean;
  /** Default `ask`. */
  approve?: ApproveMode | undefined;
}

export interface RunIO extends ApprovalIO {
  /** All of standard input, for the file `-`. */
  stdin(): Promise<string>;
  out(text: string): void;
  /** Registers what an interrupt (Ctrl-C) does. */
  onInterrupt(handler: () => void): void;
}

/** Runs the file; resolves with the process's exit code. */
export async function run(options: RunOptions, io: RunIO): Promise<number> {
  const input = await (options.file === "-" ? io.stdin() : readFile(options.file, "utf8")).catch((error: Error) => {
    throw new UsageError(`cannot read ${options.file}: ${error.message}`);
  });
  // A development tool: results are checked against their output schemas too.
  const approve = options.approve ?? "ask";
  const tools = await loadTools(options.toolsModule, {
    checkOutput: true,
    notify: async (notification) => io.err(`notify: ${notification.text}\n`),
    onApprovalRequest: approvalPolicy(approve, () => tools, io),
    onHandlerError: reportHandlerError(io.err),
  });
  let parsed: ReturnType<typeof parseExecSource>;
  try {
    parsed = parseExecSource(input);
  } catch (error) {
    io.out(`${(error as Error).message}\n`);
    return ExitCode.failed;
  }
  const yieldTimeMs = options.yieldTimeMs ?? parsed.yieldTimeMs ?? DEFAULT_YIELD_TIME_MS;
  // Observed before it has run, every cell would be terminated.
  if (yieldTimeMs === 0 && !options.follow) {
    throw new UsageError("a yield time of 0 ms observes the cell before it runs: use it with --follow");
  }
  const maxTokens = parsed.maxOutputTokens;

  let interrupted = false;
  let stop: (() => Promise<WaitOutcome>) | undefined;
  io.onInterrupt(() => {
    interrupted = true;
    stop?.().catch(() => {});
  });
  const client = await CodeModeClient.start();
  try {
    const session = await client.openSession({ delegate: tools });
    if (interrupted) return ExitCode.interrupted;
    let started = performance.now();
    const cell = await session.execute({
      toolCallId: "codemode-run",
      source: parsed.source,
      enabledTools: tools.definitions,
      yieldTimeMs,
    });
    stop = once(() => session.terminate(cell.cellId));
    if (interrupted) stop().catch(() => {});
    let outcome: WaitOutcome = await cell.initialResponse;
    for (;;) {
      const awaitingApproval = outcome.status === "yielded" ? tools.pendingApprovals(cell.cellId) : [];
      const wallTimeMs = performance.now() - started;
      io.out(printable(renderOutcome(outcome, { wallTimeMs, maxTokens, awaitingApproval })));
      if (outcome.status !== "yielded") break;
      started = performance.now();
      // A question open on the terminal is waited for, as with --follow.
      const asking = approve === "ask" && awaitingApproval.length > 0;
      if ((options.follow || asking) && !interrupted) {
        // Observed at most once a FOLLOW_MIN_YIELD_MS: `--yield-ms 0` shows the first output at
        // once without turning the wait into a busy poll.
        outcome = await session.wait({ cellId: cell.cellId, yieldTimeMs: Math.max(yieldTimeMs, FOLLOW_MIN_YIELD_MS) });
      } else {
        outcome = await stop();
        // Said only when it is so: a cell may have completed since its first observation.
        if (outcome.status === "terminated" && !interrupted) {
          io.err(`codemode: cell ${cell.cellId} was still running; terminated it (--follow waits)\n`);
        }
      }
    }
    await session.shutdown();
    if (interrupted) return ExitCode.interrupted;
    return outcome.status === "completed" && outcome.errorText === undefined ? ExitCode.completed : ExitCode.failed;
  } finally {
    await client.close();
  }
}

/** `action`, run at most once: later calls get the first call's promise. */
function once<T>(action: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= action();
    return promise;
  };
}
