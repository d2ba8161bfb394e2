// The description of the `exec` tool: the cell's environment, then a declaration per enabled tool.
import { DEFAULT_YIELD_TIME_MS } from "@codemode/protocol";
import { LEARNED_TYPE_LIMITS } from "../result-types/infer-shape.js";
import { MCP_TYPES, structuredContentOf } from "./call-tool-result.js";
import { jsToolName } from "./identifiers.js";
import { schemaToTypeScript } from "./schema-to-ts.js";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "./truncate.js";

/** What the description needs of a tool (a `ToolDefinition` fits). */
export interface DescribedTool {
  name: string;
  description?: string | undefined;
  /** A freeform tool takes a string; a function tool (the default) takes JSON. */
  kind?: "function" | "freeform" | undefined;
  inputSchema?: unknown;
  outputSchema?: unknown;
  /** The result type the session learned, declared only when there is no `outputSchema`. */
  observedOutputSchema?: unknown;
}

/** The line above a declaration whose result type was learned, not declared. */
export const OBSERVED_TYPE_NOTE =
  "// The result type was observed in earlier results, not declared by the tool: it may differ.";

/** The cell's environment (SPEC §4), as the model should know it. */
export const EXEC_ENVIRONMENT = `Runs a JavaScript program (a cell) in a sandbox and returns its output.
- Send raw JavaScript source: not JSON, not a quoted string, not a markdown code fence. It runs as an ES module, so top-level \`await\` works.
- The first line may be a pragma such as \`// @exec: {"yield_time_ms": 10000, "max_output_tokens": 1000}\`. \`yield_time_ms\` (default ${DEFAULT_YIELD_TIME_MS}) is how long this call waits before returning while the cell keeps running; \`max_output_tokens\` (default ${DEFAULT_MAX_OUTPUT_TOKENS}) is the token budget of the output it returns. Longer output is cut in the middle.
- The result starts with \`Script completed\`, \`Script failed\` (the error follows \`Script error:\`), \`Script terminated\` or \`Script running with cell ID {id}\`. For a running cell, call \`wait\` with that \`cell_id\` to get more output or the final result, or with \`terminate: true\` to stop it.
- The sandbox is plain JavaScript (QuickJS), not Node or a browser: every \`import\` fails, and there is no \`require\`, no file system, no network, no \`console\`, no \`Intl\`, no \`WebAssembly\`, \`Atomics\` or \`SharedArrayBuffer\`, and no \`setInterval\`. Only what you pass to the output helpers is returned.

Globals:
- \`tools.<name>(args?)\`: one async function per tool listed below. The argument is sent as JSON (a copy made with \`JSON.stringify\`); call with no argument to send none. Resolves with the tool's JSON result; rejects with the tool's error message as a string. Calls you do not await still run, but are cancelled when the cell ends.
- \`ALL_TOOLS\`: an array of \`{ name, description }\` for the tools below, in the same order.
- \`text(value)\`: appends a text item to the output. Strings, numbers, booleans, bigints, \`null\` and \`undefined\` are converted with \`String(value)\`; other values with \`JSON.stringify\` (a cyclic value throws).
- \`image(urlOrItem, detail?)\`: appends an image: a \`data:\` URL string, \`{ image_url, detail? }\`, or an MCP image block \`{ type: "image", data, mimeType }\`. \`detail\` is "auto", "low", "high" (the default) or "original". Remote http(s) URLs are not supported.
- \`generatedImage({ image_url, output_hint? })\`: appends the image, then the hint as text if there is one.
- \`store(key, value)\` and \`load(key)\`: keep JSON values for later cells of this conversation. \`load\` returns a copy, or \`undefined\` if nothing is stored under the key. What a cell stores is kept when it ends, even with an error, and dropped if it is terminated.
- \`notify(value)\`: sends a non-empty text, built like \`text\`, to the user at once; the cell keeps running.
- \`yield_control()\`: returns the output gathered so far now; the cell keeps running and \`wait\` gets the rest.
- \`exit()\`: ends the cell successfully at once.
- \`setTimeout(fn, ms?)\` and \`clearTimeout(id)\`: timers. A pending timer does not keep the cell alive: await what you need before the cell ends.
- The helpers return \`undefined\`, and throw plain strings when misused.`;

/**
 * The `exec` tool's description: the environment, the shared MCP types when a tool returns an MCP
 * `CallToolResult` (as SPEC §8 and Codex's description declare them), then one section per enabled
 * tool.
 */
export function execToolDescription(enabledTools: readonly DescribedTool[]): string {
  if (enabledTools.length === 0) return `${EXEC_ENVIRONMENT}\n\nNo tools are enabled: \`tools\` is empty.`;
  const mcp = enabledTools.some((tool) => structuredContentOf(tool.outputSchema) !== undefined);
  const shared = mcp ? [`Shared MCP types:\n\`\`\`ts\n${MCP_TYPES}\n\`\`\``] : [];
  return [EXEC_ENVIRONMENT, ...shared, "Tools:", ...enabledTools.map(toolSection)].join("\n\n");
}

/**
 * The TypeScript declaration of one tool on the cell's `tools` object; a result type learned
 * from earlier results (when there is no `outputSchema`, and it fits in
 * `LEARNED_TYPE_LIMITS.MAX_CHARS`) is marked as observed on the line above.
 */
export function toolDeclaration(tool: DescribedTool): string {
  const [parameter, input] =
    tool.kind === "freeform" ? ["input", "string"] : ["args", schemaToTypeScript(tool.inputSchema)];
  const observed = tool.outputSchema === undefined ? observedType(tool.observedOutputSchema) : undefined;
  const output = observed ?? outputType(tool.outputSchema);
  const declaration = `declare const tools: { ${jsToolName(tool.name)}(${parameter}: ${input}): Promise<${output}>; };`;
  return observed === undefined ? declaration : `${OBSERVED_TYPE_NOTE}\n${declaration}`;
}

function observedType(schema: unknown): string | undefined {
  if (schema === undefined) return undefined;
  const type = schemaToTypeScript(schema);
  return type === "unknown" || type.length > LEARNED_TYPE_LIMITS.MAX_CHARS ? undefined : type;
}

/** An MCP tool's result is `CallToolResult<T>`, `T` from its structured content's schema. */
function outputType(outputSchema: unknown): string {
  const structured = structuredContentOf(outputSchema);
  if (structured === undefined) return schemaToTypeScript(outputSchema);
  const type = structured === null ? "unknown" : schemaToTypeScript(structured);
  return type === "unknown" ? "CallToolResult" : `CallToolResult<${type}>`;
}

function toolSection(tool: DescribedTool): string {
  const jsName = jsToolName(tool.name);
  // The original name helps the model match a tool it knows by that name.
  const heading = jsName === tool.name ? `### \`${jsName}\`` : `### \`${jsName}\` (\`${tool.name}\`)`;
  const description = tool.description?.trim() ?? "";
  const declaration = `\`\`\`ts\n${toolDeclaration(tool)}\n\`\`\``;
  return [heading, ...(description === "" ? [] : [description]), declaration].join("\n");
}
