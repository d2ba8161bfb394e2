import { describe, expect, it } from "vitest";
import { parseWaitArguments, WAIT_TOOL, WAIT_TOOL_PARAMETERS } from "./wait-tool.js";

describe("wait tool schema", () => {
  it("is a non-strict function tool named wait that requires cell_id and nothing else", () => {
    expect(WAIT_TOOL.type).toBe("function");
    expect(WAIT_TOOL.name).toBe("wait");
    expect(WAIT_TOOL.strict).toBe(false);
    expect(WAIT_TOOL.parameters.required).toEqual(["cell_id"]);
    expect(WAIT_TOOL.parameters.additionalProperties).toBe(false);
  });

  it("declares cell_id, yield_time_ms, max_tokens and terminate with their types and defaults", () => {
    const { properties } = WAIT_TOOL_PARAMETERS;
    expect(Object.keys(properties).sort()).toEqual(["cell_id", "max_tokens", "terminate", "yield_time_ms"]);
    expect(properties.cell_id.type).toBe("string");
    expect(properties.yield_time_ms).toMatchObject({ type: "number", default: 10_000 });
    expect(properties.max_tokens).toMatchObject({ type: "number", default: 10_000 });
    expect(properties.terminate.type).toBe("boolean");
  });

  it("round-trips through JSON, as it is sent to a model", () => {
    expect(JSON.parse(JSON.stringify(WAIT_TOOL))).toEqual(WAIT_TOOL);
  });
});

describe("wait arguments", () => {
  it("default to a 10 000 ms wait, a 10 000 token budget and no termination", () => {
    expect(parseWaitArguments({ cell_id: "1" })).toEqual({
      cellId: "1",
      yieldTimeMs: 10_000,
      maxTokens: 10_000,
      terminate: false,
    });
  });

  it("take every field the model sets", () => {
    expect(parseWaitArguments({ cell_id: "4", yield_time_ms: 0, max_tokens: 250, terminate: true })).toEqual({
      cellId: "4",
      yieldTimeMs: 0,
      maxTokens: 250,
      terminate: true,
    });
  });

  it("are read from the JSON text of a function call", () => {
    expect(parseWaitArguments('{"cell_id":"2","max_tokens":5}')).toMatchObject({ cellId: "2", maxTokens: 5 });
  });

  it("treat null as a field not set", () => {
    expect(parseWaitArguments({ cell_id: "3", yield_time_ms: null, max_tokens: null, terminate: null })).toEqual({
      cellId: "3",
      yieldTimeMs: 10_000,
      maxTokens: 10_000,
      terminate: false,
    });
  });

  it.each<[string, unknown, string]>([
    ["a missing cell_id", {}, "invalid wait arguments: `cell_id` must be a string"],
    ["a numeric cell_id", { cell_id: 1 }, "invalid wait arguments: `cell_id` must be a string"],
    ["an empty cell_id", { cell_id: "" }, "invalid wait arguments: `cell_id` must not be empty"],
    [
      "an unknown field",
      { cell_id: "1", timeout: 5 },
      "invalid wait arguments: unknown field `timeout`; wait accepts `cell_id`, `yield_time_ms`, `max_tokens` and `terminate`",
    ],
    [
      "a negative wait",
      { cell_id: "1", yield_time_ms: -1 },
      "invalid wait arguments: `yield_time_ms` must be a non-negative safe integer",
    ],
    [
      "a fractional budget",
      { cell_id: "1", max_tokens: 2.5 },
      "invalid wait arguments: `max_tokens` must be a non-negative safe integer",
    ],
    ["a numeric string", { cell_id: "1", max_tokens: "5" }, "invalid wait arguments: `max_tokens` must be a number"],
    [
      "a string for terminate",
      { cell_id: "1", terminate: "yes" },
      "invalid wait arguments: `terminate` must be a boolean",
    ],
    ["an array", [], "invalid wait arguments: wait arguments must be a JSON object"],
    ["null", null, "invalid wait arguments: wait arguments must be a JSON object"],
    ["a number", 42, "invalid wait arguments: wait arguments must be a JSON object"],
  ])("reject %s", (_, args, message) => {
    expect(() => parseWaitArguments(args)).toThrow(new Error(message));
  });

  it("name every wrong field at once", () => {
    expect(() => parseWaitArguments({ cell_id: 7, terminate: 1 })).toThrow(
      new Error("invalid wait arguments: `cell_id` must be a string; `terminate` must be a boolean"),
    );
  });

  it("reject JSON text that does not parse", () => {
    expect(() => parseWaitArguments("{cell_id: 1}")).toThrow(/^invalid wait arguments: not valid JSON: /);
  });
});
