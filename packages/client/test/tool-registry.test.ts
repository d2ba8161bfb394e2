// Host tools as values over the real daemon: dispatch by name, input checked against the
// inputSchema before the handler runs, output checked in development mode.
import {
  type HostTool,
  type JsonSchema,
  type JsonValue,
  type RuntimeResponse,
  type ToolRegistryOptions,
  toolRegistry,
} from "@codemode/client";
import { describe, expect, it } from "vitest";
import { multiply, registrySessions } from "./registry-sessions.js";

const daemon = registrySessions();

/** Runs `source` with `tools` registered; returns the cell's text output (or its error) and the handler calls. */
async function runCell(tools: HostTool[], source: string, options?: ToolRegistryOptions) {
  const handled: unknown[] = [];
  const recorded = tools.map((tool) => ({
    ...tool,
    handler: (input: unknown, context: Parameters<HostTool["handler"]>[1]) => {
      handled.push(input);
      return tool.handler(input, context);
    },
  }));
  const { registry, session } = await daemon.open(recorded, options);
  try {
    const cell = await session.execute({ toolCallId: "call", source, enabledTools: registry.definitions });
    const outcome: RuntimeResponse = await cell.initialResponse;
    const texts = outcome.items.map((item) => (item.type === "text" ? item.text : item.type));
    return { texts, errorText: outcome.errorText, handled };
  } finally {
    await session.shutdown();
  }
}

/** What the cell's promise rejected with, for a call of `tool` with `args` (a JS expression). */
async function rejection(tool: HostTool, args: string): Promise<{ text: string | undefined; handled: unknown[] }> {
  const { texts, errorText, handled } = await runCell(
    [tool],
    `try { await tools.${tool.name}(${args}); text("resolved"); } catch (error) { text(String(error)); }`,
  );
  expect(errorText).toBeUndefined();
  return { text: texts[0], handled };
}

const withSchema = (inputSchema: JsonSchema): HostTool => ({
  name: "probe",
  inputSchema,
  handler: () => "ran",
});

describe("toolRegistry: input checked against inputSchema", () => {
  it("a call with input of the wrong type rejects, naming the path and the type, and the handler never runs", async () => {
    const { text, handled } = await rejection(multiply, `{ a: "x", b: 2 }`);
    expect(text).toBe("tools.multiply: input.a must be number");
    expect(handled).toEqual([]);
  });

  it("valid input reaches the handler, which gets the context of the call", async () => {
    const contexts: unknown[] = [];
    const tool: HostTool<{ a: number; b: number }> = {
      ...multiply,
      handler: ({ a, b }, { signal, cellId, callId }) => {
        contexts.push({ aborted: signal.aborted, cellId, callId });
        return a * b;
      },
    };
    const { texts } = await runCell([tool as HostTool], "text(await tools.multiply({ a: 6, b: 7 }))");
    expect(texts).toEqual(["42"]);
    expect(contexts).toEqual([{ aborted: false, cellId: "1", callId: "tool-1" }]);
  });

  it("a missing required property is named", async () => {
    const { text } = await rejection(multiply, "{ a: 1 }");
    expect(text).toBe("tools.multiply: input.b is required");
  });

  it("every problem is named in one rejection", async () => {
    const { text } = await rejection(multiply, `{ a: "1" }`);
    expect(text).toBe("tools.multiply: input.b is required; input.a must be number");
  });

  it("a call with no input is checked as {}", async () => {
    const { text } = await rejection(multiply, "");
    expect(text).toBe("tools.multiply: input.a is required; input.b is required");
    const optional = withSchema({ type: "object", properties: { q: { type: "string" } } });
    expect((await runCell([optional], "text(await tools.probe())")).handled).toEqual([{}]);
  });

  it("an enum lists its values", async () => {
    const tool = withSchema({ type: "object", properties: { unit: { enum: ["cm", "in"] } } });
    expect((await rejection(tool, `{ unit: "mm" }`)).text).toBe('tools.probe: input.unit must be one of "cm", "in"');
  });

  it("a nested object's path is written as JavaScript access", async () => {
    const tool = withSchema({
      type: "object",
      properties: {
        user: {
          type: "object",
          properties: { address: { type: "object", properties: { "zip-code": { type: "string" } } } },
        },
      },
    });
    expect((await rejection(tool, `{ user: { address: { "zip-code": 75001 } } }`)).text).toBe(
      'tools.probe: input.user.address["zip-code"] must be string',
    );
  });

  it("an array item's index is named", async () => {
    const tool = withSchema({
      type: "object",
      properties: { ids: { type: "array", items: { type: "integer" } } },
    });
    expect((await rejection(tool, "{ ids: [1, 2, 2.5] }")).text).toBe("tools.probe: input.ids[2] must be integer");
  });

  it("anyOf of types reads as one choice", async () => {
    const tool = withSchema({
      type: "object",
      properties: { id: { anyOf: [{ type: "string" }, { type: "number" }] } },
    });
    expect((await rejection(tool, "{ id: true }")).text).toBe("tools.probe: input.id must be string or number");
  });

  it("anyOf of shapes names each branch's problem", async () => {
    const tool = withSchema({
      anyOf: [
        { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
        { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
      ],
    });
    expect((await rejection(tool, "{ path: 1 }")).text).toBe(
      "tools.probe: input must match one of the allowed shapes (input.path must be string, or input.url is required)",
    );
  });

  it("additionalProperties: false names the extra property", async () => {
    const tool = withSchema({ type: "object", properties: {}, additionalProperties: false });
    expect((await rejection(tool, "{ extra: 1 }")).text).toBe("tools.probe: input.extra is not an allowed property");
  });

  it("a nullable type (type list) reads as alternatives", async () => {
    const tool = withSchema({ type: "object", properties: { n: { type: ["number", "null"] } } });
    expect((await rejection(tool, `{ n: "1" }`)).text).toBe("tools.probe: input.n must be number or null");
  });

  it("a 2020-12 schema with $defs and $ref is checked by its draft", async () => {
    const tool = withSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { point: { $ref: "#/$defs/point" } },
      $defs: { point: { type: "object", properties: { x: { type: "number" } }, required: ["x"] } },
    });
    expect((await rejection(tool, "{ point: {} }")).text).toBe("tools.probe: input.point.x is required");
  });

  it("a flood of problems is cut to the first five, the rest counted", async () => {
    const properties = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, { type: "number" }]));
    const tool = withSchema({ type: "object", properties, required: Object.keys(properties) });
    expect((await rejection(tool, "{}")).text).toBe(
      "tools.probe: input.p0 is required; input.p1 is required; input.p2 is required; input.p3 is required; input.p4 is required; and 3 more problems",
    );
  });

  it("anyOf failures of array items are named each at its own index", async () => {
    const tool = withSchema({
      type: "object",
      properties: { ids: { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } } },
    });
    expect((await rejection(tool, `{ ids: [1, true, "x", null] }`)).text).toBe(
      "tools.probe: input.ids[1] must be string or number; input.ids[3] must be string or number",
    );
  });

  it("a hostile input (a huge array of wrong items) gets a short answer, quickly", async () => {
    const tool = withSchema({
      type: "object",
      properties: { ids: { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } } },
    });
    const started = performance.now();
    const { text } = await rejection(tool, "{ ids: Array.from({ length: 200000 }, () => true) }");
    expect(text).toBe(
      "tools.probe: input.ids[0] must be string or number; input.ids[1] must be string or number; input.ids[2] must be string or number; input.ids[3] must be string or number; input.ids[4] must be string or number; and more problems",
    );
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("a recursive schema is followed as deep as the input goes", async () => {
    const tool = withSchema({
      $ref: "#/definitions/node",
      definitions: { node: { type: "object", properties: { next: { $ref: "#/definitions/node" } } } },
    });
    const { text, handled } = await rejection(
      tool,
      `(() => { let v = {}; for (let i = 0; i < 200; i++) v = { next: v }; v.next.next.next = 5; return v; })()`,
    );
    expect(text).toBe("tools.probe: input.next.next.next must be object");
    expect(handled).toEqual([]);
  });

  it("an input too deep for the validator's stack is refused with the reason, never crashing the host", async () => {
    const recursive = withSchema({
      $ref: "#/definitions/node",
      definitions: { node: { type: "object", properties: { next: { $ref: "#/definitions/node" } } } },
    });
    // Past the daemon's depth limit for tool input: only a host calling the registry itself gets here.
    let input: JsonValue = {};
    for (let i = 0; i < 100_000; i++) input = { next: input };
    const call = { cellId: "1", callId: "tool-1", tool: { name: "probe" }, kind: "function" as const, input };
    await expect(toolRegistry([recursive]).invokeTool(call, new AbortController().signal)).rejects.toThrow(
      /^tools\.probe: input could not be checked: Maximum call stack size exceeded$/,
    );
  });

  it("input is never coerced or filled in: the handler sees what the cell sent", async () => {
    const tool = withSchema({
      type: "object",
      properties: { n: { type: "number", default: 5 }, s: { type: "string" } },
      additionalProperties: { type: "string" },
    });
    const { handled } = await runCell([tool], `await tools.probe({ s: "1", other: "x" })`);
    expect(handled).toEqual([{ s: "1", other: "x" }]);
  });
});

describe("toolRegistry: dispatch and output", () => {
  it("a call of a tool the registry does not have rejects, naming the tools it has", async () => {
    const { registry, session } = await daemon.open([multiply]);
    const cell = await session.execute({
      toolCallId: "call",
      source: `try { await tools.divide({}); } catch (error) { text(String(error)); }`,
      enabledTools: [...registry.definitions, { name: "divide" }],
    });
    expect((await cell.initialResponse).items).toEqual([
      { type: "text", text: "unknown tool divide; the host tools are multiply" },
    ]);
    await session.shutdown();
  });

  it("with checkOutput, a result breaking the outputSchema rejects (never coerced)", async () => {
    const liar: HostTool = { ...multiply, outputSchema: { type: "number" }, handler: () => "42" };
    const source = `try { text(await tools.multiply({ a: 6, b: 7 })); } catch (error) { text(String(error)); }`;
    expect((await runCell([liar], source, { checkOutput: true })).texts).toEqual([
      "tools.multiply: output must be number (the result breaks its outputSchema)",
    ]);
    // Off (the default), the result passes as the handler returned it.
    expect((await runCell([liar], source)).texts).toEqual(["42"]);
  });

  it("what the handler throws is the rejection the cell sees", async () => {
    const tool: HostTool = {
      name: "fail",
      handler: () => {
        throw new Error("the host says no");
      },
    };
    expect((await rejection(tool, "")).text).toBe("the host says no");
  });
});

describe("toolRegistry: malformed tools are refused when the registry is made", () => {
  it.each<[string, unknown[], string]>([
    ["a tool without a handler", [{ name: "x" }], "tool 0 (x) needs a `handler` function"],
    ["a tool without a name", [{ handler() {} }], "tool 0 needs a non-empty `name`"],
    ["two tools of one name", [multiply, multiply], "two tools are named multiply"],
    [
      "an input schema that is not JSON Schema",
      [{ name: "x", handler() {}, inputSchema: { type: "numbr" } }],
      "tool x: inputSchema is not a valid JSON Schema: ",
    ],
    [
      "an input schema that is not an object",
      [{ name: "x", handler() {}, inputSchema: "string" }],
      "tool x: inputSchema is not a valid JSON Schema: a JSON Schema must be an object or a boolean",
    ],
  ])("%s", (_, tools, message) => {
    expect(() => toolRegistry(tools as HostTool[])).toThrow(message);
  });

  it("an output schema is compiled (and can be refused) only with checkOutput", () => {
    const tool = { name: "x", handler() {}, outputSchema: { type: "numbr" } };
    expect(() => toolRegistry([tool])).not.toThrow();
    expect(() => toolRegistry([tool], { checkOutput: true })).toThrow(
      "tool x: outputSchema is not a valid JSON Schema",
    );
  });

  it("tools sharing an $id do not clash", () => {
    const tool = (name: string) => ({ name, handler() {}, inputSchema: { $id: "urn:same", type: "object" } });
    expect(() => toolRegistry([tool("a"), tool("b")])).not.toThrow();
  });
});
