// The command line of `codemode`, parsed without side effects.
import { parseArgs } from "node:util";
import { APPROVE_MODES, type ApproveMode } from "./approval-policy.js";

export type Command =
  | { kind: "run"; file: string; toolsModule?: string; yieldTimeMs?: number; follow: boolean; approve?: ApproveMode }
  | {
      kind: "mcp";
      config?: string;
      toolsModule?: string;
      http?: { host: string; port: number };
      approve?: Exclude<ApproveMode, "ask">;
    }
  | { kind: "help" }
  | { kind: "version" };

export const USAGE = `Usage: codemode run <file.js | -> [--tools <module.mjs>] [--yield-ms <n>] [--follow] [--approve ask|all|none]
       codemode mcp [--config <mcp.json>] [--tools <module.mjs>] [--http <host:port>] [--approve all|none]

codemode run: runs the file (- reads it from stdin) as a code mode cell in a fresh daemon and
prints each observation as a model would read it. Host tools come from the module given with
--tools. As in Codex's code mode, a cell shows only what it passes to text() or image(): the
value of its last expression is not printed.

codemode mcp: an MCP server on stdio (or Streamable HTTP) offering the tools exec and wait to
any MCP client; the cells call the tools of the MCP servers in the config file and those of
the --tools module.

Options:
  --tools <module.mjs>  module whose default export (or export \`tools\`) is an array of
                        { name, description?, inputSchema?, outputSchema?,
                        handler(input, { signal, cellId, callId }) }; input is checked
                        against inputSchema (and, in run, results against outputSchema)
  --config <mcp.json>   (mcp) MCP servers in the {"mcpServers": {...}} format
  --http <host:port>    (mcp) serve Streamable HTTP at http://<host:port>/mcp instead of
                        stdio (port 0: any free port; the URL goes to stderr). A host other
                        than 127.0.0.1, localhost or ::1 needs CODEMODE_MCP_TOKEN, the bearer
                        token every request must then carry (it is checked whenever set)
  --approve <mode>      what happens to a call of a tool with needsApproval: ask (run's
                        default: a y/N question on the terminal; the cell is waited on
                        while one is open), all (approve every call) or none (deny every
                        call; mcp's default)
  --yield-ms <n>        (run) how long each observation waits before showing the output so
                        far (default: the file's // @exec pragma, else 10000; 0 only with
                        --follow)
  --follow              (run) keep waiting on a cell that yielded until it ends, observing it
                        every --yield-ms but at most once a second (without it, a cell
                        still running after its first observation is terminated)
  -v, --version         print the version and exit
  -h, --help            print this help and exit

Exit status: 0 when the cell completed (mcp: when the client closed the connection), 1 when
it failed or was terminated, 2 on a usage error, 130 when interrupted (Ctrl-C terminates the
cell first).`;

/** What follows a usage error's one line. */
export const USAGE_HINT = "Run codemode --help for the usage.";

/** Parses `argv` (without node and the script); throws an Error naming what is wrong. */
export function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseFlags(argv);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [command, file, ...rest] = positionals;
  if (command === undefined) throw new Error("missing command: codemode run <file.js | -> or codemode mcp");
  if (command === "mcp") {
    if (file !== undefined) throw new Error(`unexpected argument ${file}`);
    for (const flag of ["yield-ms", "follow"] as const) {
      if (values[flag] !== undefined && values[flag] !== false)
        throw new Error(`--${flag} is an option of codemode run`);
    }
    const mcp: Command = { kind: "mcp" };
    if (values.config !== undefined) mcp.config = values.config;
    if (values.tools !== undefined) mcp.toolsModule = values.tools;
    if (values.http !== undefined) mcp.http = hostAndPort(values.http);
    if (values.approve !== undefined) {
      const mode = approveMode(values.approve);
      if (mode === "ask") throw new Error("--approve ask is an option of codemode run (mcp has no terminal to ask on)");
      mcp.approve = mode;
    }
    return mcp;
  }
  if (command !== "run") throw new Error(`unknown command ${command}`);
  for (const flag of ["config", "http"] as const) {
    if (values[flag] !== undefined) throw new Error(`--${flag} is an option of codemode mcp`);
  }
  if (file === undefined) throw new Error("missing the file to run");
  if (rest.length > 0) throw new Error(`unexpected argument ${rest[0]}`);
  const run: Command = { kind: "run", file, follow: values.follow };
  if (values.tools !== undefined) run.toolsModule = values.tools;
  if (values["yield-ms"] !== undefined) run.yieldTimeMs = yieldTime(values["yield-ms"]);
  if (values.approve !== undefined) run.approve = approveMode(values.approve);
  return run;
}

function approveMode(text: string): ApproveMode {
  const mode = APPROVE_MODES.find((known) => known === text);
  if (mode === undefined) throw new Error(`--approve must be one of ${APPROVE_MODES.join(", ")}`);
  return mode;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        tools: { type: "string" },
        config: { type: "string" },
        http: { type: "string" },
        "yield-ms": { type: "string" },
        approve: { type: "string" },
        follow: { type: "boolean", default: false },
        version: { type: "boolean", short: "v", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Its first sentence names the flag; the rest is advice about positionals starting with "-".
    throw new Error((error as Error).message.split(". ")[0]);
  }
}

function yieldTime(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error("--yield-ms must be a non-negative integer");
  }
  return value;
}

/** `host:port`, `[v6]:port`; the port from 0 (any free one) to 65535. */
function hostAndPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !(port <= 65_535)) throw new Error("--http must be <host>:<port>, e.g. 127.0.0.1:8080");
  return { host, port };
}
