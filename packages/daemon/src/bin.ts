#!/usr/bin/env node
// codemode-daemon: runs JavaScript cells in QuickJS and speaks JSON-RPC on stdin/stdout.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
// Only light modules are imported up front: the first engine worker starts loading QuickJS
// while the JSON-RPC server's modules load.
import { DEFAULT_DAEMON_LIMITS, DEFAULT_EOF_GRACE_MS, FRAMINGS, type Framing } from "@codemode/protocol/defaults";
import { EnginePool } from "./engine/engine-pool.js";
import { ENGINE_STACK_MB } from "./engine/worker-handle.js";
import { LOG_LEVELS, type LogLevel, stderrLogger } from "./logger.js";
import { VERSION } from "./version.js";

const HELP = `codemode-daemon ${VERSION}
Runs code mode cells (JavaScript in QuickJS) for a host that drives it with JSON-RPC 2.0
over stdin/stdout. Logs go to stderr; stdout carries protocol only.

Usage: codemode-daemon [options]

Options:
  --framing <content-length|ndjson>  message framing (default: read off the first bytes,
                                     "{" for ndjson, a header line for content-length)
  --log-level <error|warn|info|debug> stderr log threshold (default: warn)
  --max-workers <n>                  engine worker threads (default: ${defaultWorkers()})
  --max-sessions <n>                 open sessions at once (default: ${DEFAULT_DAEMON_LIMITS.maxSessions})
  --max-cells <n>                    live cells at once, all sessions (default: ${DEFAULT_DAEMON_LIMITS.maxCells})
  --max-message-bytes <n>            largest JSON-RPC message accepted (default: ${DEFAULT_DAEMON_LIMITS.maxMessageBytes})
  --memory-budget-bytes <n>          what the daemon may hold for all cells and sessions,
                                     bytes (default: ${DEFAULT_DAEMON_LIMITS.memoryBudgetBytes})
  --engine-stack-mb <n>              each engine thread's stack, MiB (default: ${ENGINE_STACK_MB});
                                     below it, deep recursion can overflow the thread, which
                                     retires the worker and ends its cells
  --engine-debug                     run cells on quickjs-emscripten's debug build (asserts
                                     and leak checks; slower; needs the package
                                     @jitl/quickjs-wasmfile-debug-sync installed)
  --eof-grace-ms <n>                 after stdin ends, how long cells may run on before they
                                     are terminated (default: ${DEFAULT_EOF_GRACE_MS})
  --version                          print the version and exit
  --help                             print this help and exit
`;

function defaultWorkers(): number {
  return Math.max(4, availableParallelism() * 2);
}

function fail(message: string): never {
  process.stderr.write(`codemode-daemon: ${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values } = args;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const framing = values.framing as Framing | undefined;
  if (framing !== undefined && !FRAMINGS.includes(framing)) fail(`unknown framing ${framing}`);
  const level = values["log-level"] as LogLevel;
  if (!LOG_LEVELS.includes(level)) fail(`unknown log level ${level}`);
  const positive = (name: string): number => {
    const value = Number(values[name as keyof typeof values]);
    if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer`);
    return value;
  };
  const maxWorkers = positive("max-workers");
  const eofGraceMs = positive("eof-grace-ms");
  const limits = {
    maxSessions: positive("max-sessions"),
    maxCells: positive("max-cells"),
    maxMessageBytes: positive("max-message-bytes"),
    memoryBudgetBytes: positive("memory-budget-bytes"),
  };

  const pool = new EnginePool(maxWorkers, { stackMb: positive("engine-stack-mb"), debug: values["engine-debug"] });
  pool.warm();
  const [{ startServer }, { connect }] = await Promise.all([import("./rpc/server.js"), import("@codemode/wire")]);
  const logger = stderrLogger(level);
  let exiting = false;
  startServer({
    wire: connect(process.stdin, process.stdout, {
      framing: framing ?? "auto",
      maxMessageBytes: limits.maxMessageBytes,
      logger,
      atEnd: "keep-open",
    }),
    logger,
    pool,
    limits,
    eofGraceMs,
    exit: (code) => {
      if (exiting) return;
      exiting = true;
      logger.log("info", "exiting", { code });
      process.exit(code);
    },
  });
}

function parse() {
  return parseArgs({
    options: {
      framing: { type: "string" },
      "log-level": { type: "string", default: "warn" },
      "max-workers": { type: "string", default: String(defaultWorkers()) },
      "max-sessions": { type: "string", default: String(DEFAULT_DAEMON_LIMITS.maxSessions) },
      "max-cells": { type: "string", default: String(DEFAULT_DAEMON_LIMITS.maxCells) },
      "max-message-bytes": { type: "string", default: String(DEFAULT_DAEMON_LIMITS.maxMessageBytes) },
      "memory-budget-bytes": { type: "string", default: String(DEFAULT_DAEMON_LIMITS.memoryBudgetBytes) },
      "engine-stack-mb": { type: "string", default: String(ENGINE_STACK_MB) },
      "engine-debug": { type: "boolean", default: false },
      "eof-grace-ms": { type: "string", default: String(DEFAULT_EOF_GRACE_MS) },
      version: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
}

await main();
