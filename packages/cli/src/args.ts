// The command line of `codemode`, parsed without side effects.
import { parseArgs } from "node:util";

export type Command =
  | { kind: "run"; file: string; toolsModule?: string; yieldTimeMs?: number; follow: boolean }
  | { kind: "help" }
  | { kind: "version" };

export const USAGE = `Usage: codemode run <file.js> [--tools <module.mjs>] [--yield-ms <n>] [--follow]

Runs the file as a code mode cell in a fresh daemon and prints each observation as a model
would read it. Host tools come from the module given with --tools.

Options:
  --tools <module.mjs>  module whose default export (or export \`tools\`) is an array of
                        { name, description?, inputSchema?, outputSchema?, handler(input) }
  --yield-ms <n>        how long each observation waits before showing the output so far
                        (default: the file's // @exec pragma, else 10000)
  --follow              keep waiting on a cell that yielded until it ends (without it, a
                        cell still running after its first observation is terminated)
  --version             print the version and exit
  --help                print this help and exit

Exit status: 0 when the cell completed, 1 when it failed or was terminated, 2 on a usage
error, 130 when interrupted (Ctrl-C terminates the cell first).`;

/** Parses `argv` (without node and the script); throws an Error naming what is wrong. */
export function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      tools: { type: "string" },
      "yield-ms": { type: "string" },
      follow: { type: "boolean", default: false },
      version: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [command, file, ...rest] = positionals;
  if (command === undefined) throw new Error("missing command: codemode run <file.js>");
  if (command !== "run") throw new Error(`unknown command ${command}`);
  if (file === undefined) throw new Error("missing the file to run");
  if (rest.length > 0) throw new Error(`unexpected argument ${rest[0]}`);
  const run: Command = { kind: "run", file, follow: values.follow };
  if (values.tools !== undefined) run.toolsModule = values.tools;
  if (values["yield-ms"] !== undefined) run.yieldTimeMs = yieldTime(values["yield-ms"]);
  return run;
}

function yieldTime(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error("--yield-ms must be a non-negative integer");
  }
  return value;
}
