import { describe, expect, it } from "vitest";
import { callToolResultSchema, MCP_TYPES } from "./call-tool-result.js";
import { jsToolName } from "./identifiers.js";
import { EXEC_ENVIRONMENT, execToolDescription, toolDeclaration } from "./tool-description.js";

const weather = {
  name: "get_weather",
  description: "Current weather of a city.",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  outputSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
};

describe("tool names in cells", () => {
  it.each([
    ["mcp__server__tool", "mcp__server__tool"],
    ["mcp/srv.get-x", "mcp_srv_get_x"],
    ["", "_"],
    ["1tool", "_tool"],
    ["tool1", "tool1"],
    ["$x_Y", "$x_Y"],
    ["héllo wörld", "h_llo_w_rld"],
    ["😀", "__"],
  ])("%j is tools.%s", (name, jsName) => {
    expect(jsToolName(name)).toBe(jsName);
  });
});

describe("tool declarations", () => {
  it("declare a tool's input and output types from its schemas", () => {
    expect(toolDeclaration(weather)).toBe(
      "declare const tools: { get_weather(args: { city: string; }): Promise<{ ok: boolean; }>; };",
    );
  });

  it("use unknown where a tool has no schema", () => {
    expect(toolDeclaration({ name: "ping" })).toBe("declare const tools: { ping(args: unknown): Promise<unknown>; };");
  });

  it("take a string for a freeform tool", () => {
    expect(toolDeclaration({ name: "apply_patch", kind: "freeform", inputSchema: { type: "object" } })).toBe(
      "declare const tools: { apply_patch(input: string): Promise<unknown>; };",
    );
  });

  it("use the name the cell sees", () => {
    expect(toolDeclaration({ name: "mcp/files.read-file" })).toBe(
      "declare const tools: { mcp_files_read_file(args: unknown): Promise<unknown>; };",
    );
  });
});

describe("exec tool description", () => {
  it.each([
    "tools.<name>(",
    "ALL_TOOLS",
    "text(",
    "image(",
    "generatedImage(",
    "store(",
    "load(",
    "notify(",
    "yield_control()",
    "exit()",
    "setTimeout(",
    "clearTimeout(",
    "import",
    "require",
    "console",
    "Intl",
    "WebAssembly",
    "SharedArrayBuffer",
    "setInterval",
    "top-level `await`",
    "// @exec:",
    "`wait`",
  ])("explains %s", (word) => {
    expect(EXEC_ENVIRONMENT).toContain(word);
  });

  it("adds a section per tool: heading, description and declaration", () => {
    expect(execToolDescription([weather])).toBe(
      `${EXEC_ENVIRONMENT}\n\nTools:\n\n` +
        "### `get_weather`\nCurrent weather of a city.\n```ts\n" +
        "declare const tools: { get_weather(args: { city: string; }): Promise<{ ok: boolean; }>; };\n```",
    );
  });

  it("names a tool's original name when the cell sees another one, and skips an empty description", () => {
    const description = execToolDescription([weather, { name: "mcp/srv.get-x", description: "  " }]);
    expect(
      description.endsWith(
        "### `mcp_srv_get_x` (`mcp/srv.get-x`)\n```ts\n" +
          "declare const tools: { mcp_srv_get_x(args: unknown): Promise<unknown>; };\n```",
      ),
    ).toBe(true);
    expect(description.indexOf("### `get_weather`")).toBeLessThan(description.indexOf("### `mcp_srv_get_x`"));
  });

  it("says so when no tool is enabled", () => {
    expect(execToolDescription([])).toBe(`${EXEC_ENVIRONMENT}\n\nNo tools are enabled: \`tools\` is empty.`);
  });

  it("declares an MCP tool's result as CallToolResult<T>, with the shared MCP types once", () => {
    const sum = {
      name: "mcp__everything__get-sum",
      description: "Returns the sum of two numbers",
      inputSchema: {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
      },
      outputSchema: callToolResultSchema(),
    };
    const structured = {
      name: "mcp__everything__get-structured-content",
      outputSchema: callToolResultSchema({ type: "object", properties: { temperature: { type: "number" } } }),
    };
    const description = execToolDescription([weather, sum, structured]);
    expect(description).toContain(
      "declare const tools: { mcp__everything__get_sum(args: { a: number; b: number; }): Promise<CallToolResult>; };",
    );
    expect(description).toContain(
      "mcp__everything__get_structured_content(args: unknown): Promise<CallToolResult<{ temperature?: number; }>>;",
    );
    expect(description).toContain("Promise<{ ok: boolean; }>");
    expect(description.split(MCP_TYPES)).toHaveLength(2);
    expect(description.indexOf(MCP_TYPES)).toBeLessThan(description.indexOf("Tools:"));
    expect(execToolDescription([weather])).not.toContain("CallToolResult");
  });
});
