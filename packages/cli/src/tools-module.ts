// Host tools for `codemode run`, from a JavaScript module: its default export (or its export
// `tools`) is an array of { name, description?, inputSchema?, outputSchema?, handler }.
import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CodeModeSessionDelegate, JsonValue, ToolDefinition } from "@codemode/client";
import { UsageError } from "./exit.js";

export interface HostTool {
  name: string;
  description?: string;
  /** JSON Schemas, shown to the model in the `exec` description. */
  inputSchema?: unknown;
  outputSchema?: unknown;
  /** Gets the JSON input the cell passed (undefined when called with none); returns JSON. */
  handler: (input: unknown, signal: AbortSignal) => unknown;
}

/** The tools of the module at `path`; throws a `UsageError` saying why they cannot be loaded. */
export async function loadTools(path: string): Promise<HostTool[]> {
  const cannot = (why: string) => new UsageError(`cannot load tools from ${path}: ${why}`);
  await access(path).catch(() => {
    throw cannot("no such file");
  });
  try {
    return await importTools(path);
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
  const seen = new Set<string>();
  return tools.map((value: unknown, index) => {
    const tool = checkTool(value, `${path}: tool ${index}`);
    if (seen.has(tool.name)) throw new Error(`${path}: two tools are named ${tool.name}`);
    seen.add(tool.name);
    return tool;
  });
}

/** What the daemon and the model are told of a tool. */
export function definitionOf(tool: HostTool): ToolDefinition {
  return {
    name: tool.name,
    description: tool.description ?? "",
    ...(tool.inputSchema === undefined ? {} : { inputSchema: tool.inputSchema as ToolDefinition["inputSchema"] }),
    ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema as ToolDefinition["outputSchema"] }),
  };
}

/**
 * Runs a cell's call of one of `tools` with its handler; an unknown tool fails the call. What a
 * handler throws reaches the cell as its message, and `log` (the host's stderr) with its stack.
 */
export function hostToolInvoker(tools: HostTool[], log: (text: string) => void): CodeModeSessionDelegate["invokeTool"] {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  return async (call, signal) => {
    const tool = byName.get(call.tool.name);
    if (!tool) throw new Error(`unknown tool ${call.tool.name}`);
    try {
      return ((await tool.handler(call.input, signal)) ?? null) as JsonValue;
    } catch (error) {
      log(`codemode: tool ${tool.name} threw ${error instanceof Error ? error.stack : String(error)}\n`);
      throw error;
    }
  };
}

function checkTool(value: unknown, where: string): HostTool {
  if (typeof value !== "object" || value === null) throw new Error(`${where} must be an object`);
  const tool = value as Partial<Record<keyof HostTool, unknown>>;
  if (typeof tool.name !== "string" || tool.name === "") throw new Error(`${where} needs a non-empty \`name\``);
  if (typeof tool.handler !== "function") throw new Error(`${where} (${tool.name}) needs a \`handler\` function`);
  if (tool.description !== undefined && typeof tool.description !== "string") {
    throw new Error(`${where} (${tool.name}): \`description\` must be a string`);
  }
  return value as HostTool;
}
