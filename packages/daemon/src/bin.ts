#!/usr/bin/env node
// codemode-daemon: runs JavaScript cells in QuickJS and speaks JSON-RPC on stdin/stdout, or,
// with --listen, over WebSocket connections behind a bearer token.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
// Only light modules are imported up front: the first engine worker starts loading QuickJS
// while the JSON-RPC server's modules load.
import {
  DEFAULT_DAEMON_LIMITS,
  DEFAULT_EOF_GRACE_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_RECONNECT_GRACE_MS,
  FRAMINGS,
  type Framing,
} from "@codemode/protocol/defaults";
import { EnginePool } from "./engine/engine-pool.js";
import { ENGINE_STACK_MB } from "./engine/worker-handle.js";
import { LOG_LEVELS, type LogLevel, stderrLogger } from "./logger.js";
import { VERSION } from "./version.js";

const HELP = `codemode-daemon ${VERSION}
Runs code mode cells (JavaScript in QuickJS) for a host that drives it with JSON-RPC 2.0
over stdin/stdout. Logs go to stderr; stdout carries protocol only.
With --listen, serves the same protocol over WebSocket instead (one message per text frame,
path /, each connection its own peer) and does not read stdin; stdout then carries one line,
{"listening":"ws://<host>:<port>/"}, once the port is bound. SIGTERM stops it: every cell is
terminated, every connection closed, exit code 0.

Usage: codemode-daemon [options]
       codemode-daemon --listen <host:port> [--token-file <path>] [options]

Options:
  --framing <content-length|ndjson>  message framing on stdio (default: read off the first
                                     bytes, "{" for ndjson, a header line for content-length)
  --listen <host:port>               serve WebSocket connections on this address (port 0: any
                                     free port); needs a bearer token
  --token-file <path>                the bearer token the upgrade request must carry
                                     (Authorization: Bearer <token>), read once at start,
                                     without its trailing newline (default: $CODEMODE_TOKEN)
  --reconnect-grace-ms <n>           after a connection closes, how long its sessions' cells
                                     run on for a new connection to re-attach them with
                                     session/open (default: ${DEFAULT_RECONNECT_GRACE_MS})
  --heartbeat-ms <n>                 how often each connection is pinged; one that has not
                                     answered the last ping is closed (default: ${DEFAULT_HEARTBEAT_MS})
  --log-level <error|warn|info|debug> stderr log threshold (default: warn)
  --max-workers <n>                  engine worker threads (default: ${defaultWorkers()})
  --max-sessions <n>                 open sessions at once, per connection (default: ${DEFAULT_DAEMON_LIMITS.maxSessions})
  --max-cells <n>                    live cells at once, all sessions of a connection
                                     (default: ${DEFAULT_DAEMON_LIMITS.maxCells})
  --max-message-bytes <n>            largest JSON-RPC message accepted (default: ${DEFAULT_DAEMON_LIMITS.maxMessageBytes})
  --memory-budget-bytes <n>          what the daemon may hold for all cells and sessions of
                                     every connection, bytes (default: ${DEFAULT_DAEMON_LIMITS.memoryBudgetBytes})
  --engine-stack-mb <n>              each engine thread's stack, MiB (default: ${ENGINE_STACK_MB});
                                     below it, deep recursion can overflow the thread, which
                                     retires the worker and ends its cells
  --engine-debug                     run cells on quickjs-emscripten's debug build (asserts
                                     and leak checks; slower; needs the package
                                     @jitl/quickjs-wasmfile-debug-sync installed)
  --eof-grace-ms <n>                 after stdin ends, how long cells may run on before they
                                     are terminated (default: ${DEFAULT_EOF_GRACE_MS}; stdio only)
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
  const reconnectGraceMs = positive("reconnect-grace-ms");
  const heartbeatMs = positive("heartbeat-ms");
  const limits = {
    maxSessions: positive("max-sessions"),
    maxCells: positive("max-cells"),
    maxMessageBytes: positive("max-message-bytes"),
    memoryBudgetBytes: positive("memory-budget-bytes"),
  };
  if (values.listen === undefined && values["token-file"] !== undefined) fail("--token-file is for --listen");
  if (values.listen !== undefined && framing !== undefined) fail("--framing is for stdio; --listen serves text frames");
  const network = values.listen === undefined ? undefined : await networkSettings(values.listen, values["token-file"]);

  const pool = new EnginePool(maxWorkers, { stackMb: positive("engine-stack-mb"), debug: values["engine-debug"] });
  pool.warm();
  const [{ startServer }, { Daemon }, { connect }] = await Promise.all([
    import("./rpc/server.js"),
    import("./daemon.js"),
    import("@codemode/wire"),
  ]);
  const logger = stderrLogger(level);
  const daemon = new Daemon({ limits, pool });
  if (network) {
    const { WebSocketListener } = await import("./network/websocket-listener.js");
    const { address, token } = network;
    const listener = await WebSocketListener.start({
      address,
      token,
      daemon,
      logger,
      maxMessageBytes: limits.maxMessageBytes,
      reconnectGraceMs,
      heartbeatMs,
    }).catch((error: unknown) => {
      process.stderr.write(`codemode-daemon: cannot listen on ${values.listen}: ${String(error)}\n`);
      process.exit(1);
    });
    process.stdout.write(`${JSON.stringify({ listening: listener.url })}\n`);
    logger.log("info", "listening", { url: listener.url });
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      logger.log("info", "stopping");
      void listener.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.log("error", "stopping failed", { error: String(error) });
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    return;
  }
  let exiting = false;
  startServer({
    wire: connect(process.stdin, process.stdout, {
      framing: framing ?? "auto",
      maxMessageBytes: limits.maxMessageBytes,
      logger,
      atEnd: "keep-open",
    }),
    logger,
    daemon,
    atEnd: {
      kind: "exit-process",
      graceMs: eofGraceMs,
      exit: (code) => {
        if (exiting) return;
        exiting = true;
        logger.log("info", "exiting", { code });
        process.exit(code);
      },
    },
  });
}

/** `--listen`'s address and the bearer token; a mistake in either stops the start (exit code 2). */
async function networkSettings(listen: string, tokenFile: string | undefined) {
  const [{ parseListenAddress }, { BearerToken, readToken }] = await Promise.all([
    import("./network/listen-address.js"),
    import("./network/bearer-token.js"),
  ]);
  try {
    return { address: parseListenAddress(listen), token: new BearerToken(readToken(tokenFile, process.env)) };
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
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
      listen: { type: "string" },
      "token-file": { type: "string" },
      "reconnect-grace-ms": { type: "string", default: String(DEFAULT_RECONNECT_GRACE_MS) },
      "heartbeat-ms": { type: "string", default: String(DEFAULT_HEARTBEAT_MS) },
      version: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
}

await main();
