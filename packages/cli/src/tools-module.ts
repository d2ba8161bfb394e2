// Host tools for `codemode run` and `codemode mcp`, from a JavaScript module: its default
// export (or its export `tools`) is an array of host tools (see `HostTool` of the client).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type HostTool, type ToolRegistry, type ToolRegistryOptions, toolRegistry } from "@codemode/client";
import { UsageError } from "./exit.js";

/**
 * The registry of the tools of the module at `path` (none without a path); throws a
 * `UsageError` saying why they cannot be loaded (an import error, a malformed tool or schema).
 */
export async function loadTools(path: string | undefined, options: ToolRegistryOptions = {}): Promise<ToolRegistry> {
  if (path === undefined) return toolRegistry([], options);
  try {
    return toolRegistry(await importTools(path), options);
  } catch (error) {
    throw new UsageError(`cannot load tools from ${path}: ${(error as Error).message}`);
  }
}

async function importTools(path: string): Promise<HostTool[]> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; tools?: unknown };
  const tools = module.default ?? module.tools;
  if (!Array.isArray(tools))
    throw new Error(`${path} must export an array of tools (as its default export or as \`tools\`)`);
  // Not checked here: the registry checks each element and names the one that is wrong.
  return tools as HostTool[];
}
