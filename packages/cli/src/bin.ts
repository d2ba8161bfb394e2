#!/usr/bin/env node
// codemode: runs a JavaScript file as a code mode cell (`run`), or serves exec and wait over MCP (`mcp`).
import { createInterface } from "node:readline";
import { text } from "node:stream/consumers";
import { type Command, parseCommand, USAGE, USAGE_HINT } from "./args.js";
import { ExitCode, UsageError } from "./exit.js";
import { serveMcp } from "./mcp-command.js";
import { run } from "./run.js";
import { VERSION } from "./version.js";

function usageError(message: string): never {
  process.stderr.write(`codemode: ${message}\n${USAGE_HINT}\n`);
  process.exit(ExitCode.usage);
}

let command: Command;
try {
  command = parseCommand(process.argv.slice(2));
} catch (error) {
  usageError((error as Error).message);
}

/** What a serving command waits for to stop: a signal, or (on stdio) the client closing stdin. */
function stopSignal(stdio: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (stdio) process.stdin.once("end", resolve);
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

async function execute(command: Command & { kind: "run" | "mcp" }): Promise<number> {
  if (command.kind === "mcp") {
    return serveMcp(command, {
      err: (text) => process.stderr.write(text),
      stopped: stopSignal(command.http === undefined),
      token: process.env.CODEMODE_MCP_TOKEN || undefined,
    });
  }
  let interrupts = 0;
  let lines: AsyncIterator<string> | undefined;
  return run(command, {
    stdin: () => text(process.stdin),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    async ask(question) {
      process.stderr.write(question);
      // Made on the first question: stdin is read only when a call waits for approval.
      lines ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
      const line = await lines.next();
      return line.done ? undefined : line.value;
    },
    onInterrupt: (handler) =>
      process.on("SIGINT", () => {
        // The first Ctrl-C terminates the cell cleanly; a second one does not wait for that.
        if (++interrupts > 1) process.exit(ExitCode.interrupted);
        handler();
      }),
  });
}

if (command.kind === "help") {
  process.stdout.write(`codemode ${VERSION}\n${USAGE}\n`);
} else if (command.kind === "version") {
  process.stdout.write(`${VERSION}\n`);
} else {
  let code: number;
  try {
    code = await execute(command);
  } catch (error) {
    if (error instanceof UsageError) usageError(error.message);
    process.stderr.write(`codemode: ${(error as Error).message}\n`);
    code = ExitCode.failed;
  }
  // Exit now, once the output is written: a tool handler that ignores its AbortSignal must not
  // keep a one-shot command alive after its cell has ended.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
