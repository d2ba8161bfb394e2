// Host tools for `codemode run` and `codemode mcp`, from a JavaScript module: its default
// export (or its export `tools`) is an array of host tools (see `HostTool` of the client).
import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type HostTool, type ToolRegistry, type ToolRegistryOptions, toolRegistry } from "@codemode/client";
import { UsageError } from "./exit.js";

/**
 * The registry of the tools of the module at `path` (none without a path); throws a
 * `UsageError` saying why they cannot be loaded (no such file, a syntax error with its place,
 * an import error, a malformed tool or schema).
 */
export async function loadTools(path: string | undefined, options: ToolRegistryOptions = {}): Promise<ToolRegistry> {
  if (path === undefined) return toolRegistry([], options);
  const cannot = (why: string) => new UsageError(`cannot load tools from ${path}: ${why}`);
  await access(path).catch(() => {
    throw cannot("no such file");
  });
  try {
    return toolRegistry(await importTools(path), options);
  } catch (error) {
    const site = error instanceof SyntaxError ? await syntaxErrorSite(path) : undefined;
    throw cannot(`${(error as Error).message}${site ? ` at ${site}` : ""}`);
  }
}

/**
 * Where the syntax error of the module at `path` is, with its line and a caret under the column:
 * an import's error does not say, `node --check` does.
 */
function syntaxErrorSite(path: string): Promise<string | undefined> {
  return new Promise((done) =>
    execFile(process.execPath, ["--check", path], (_error, _stdout, stderr) => {
      const [, file, line, text, indent] = /^(.+):(\d+)\n(.*)\n( *)\^/.exec(stderr) ?? [];
      done(
        file === undefined || indent === undefined
          ? undefined
          : `${file}:${line}:${indent.length + 1}\n${text}\n${indent}^`,
      );
    }),
  );
}

async function importTools(path: string): Promise<HostTool[]> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; tools?: unknown };
  const tools = module.default ?? module.tools;
  if (!Array.isArray(tools))
    throw new Error(`${path} must export an array of tools (as its default export or as \`tools\`)`);
  // Not checked here: the registry checks each element and names the one that is wrong.
  return tools as HostTool[];
}

/** Writes what a host tool threw, with its stack, to `err` (the host's stderr). */
export function reportHandlerError(err: (text: string) => void): (tool: string, error: unknown) => void {
  return (tool, error) => err(`codemode: tool ${tool} threw ${error instanceof Error ? error.stack : String(error)}\n`);
}
