// The protocol's schemas accept the messages of SPEC §5 and refuse malformed ones.
import { describe, expect, it } from "vitest";
import { ContentItem } from "./content.js";
import { DEFAULT_CELL_LIMITS } from "./defaults.js";
import { withOverrides } from "./limits.js";
import { CellOutcome, ToolDefinition } from "./messages.js";
import { CellExecute, CellWait, SessionOpen, ToolInvoke } from "./methods.js";

describe("cell/execute params", () => {
  it("accepts a minimal execute and fills defaults", () => {
    const params = CellExecute.params.parse({ sessionId: "s", toolCallId: "c", source: "text(1)" });
    expect(params).toEqual({ sessionId: "s", toolCallId: "c", source: "text(1)", enabledTools: [] });
  });

  it("fills tool definition defaults and tolerates unknown fields", () => {
    const tool = ToolDefinition.parse({ name: "t", futureField: 1 });
    expect(tool).toEqual({ name: "t", description: "", kind: "function" });
  });

  it.each([
    [{ toolCallId: "c", source: "" }, "sessionId"],
    [{ sessionId: "s", toolCallId: 1, source: "" }, "toolCallId"],
    [{ sessionId: "s", toolCallId: "c", source: "", yieldTimeMs: -1 }, "yieldTimeMs"],
    [{ sessionId: "s", toolCallId: "c", source: "", yieldTimeMs: 1.5 }, "yieldTimeMs"],
    [{ sessionId: "s", toolCallId: "c", source: "", enabledTools: [{ kind: "function" }] }, "enabledTools.0.name"],
    [{ sessionId: "", toolCallId: "c", source: "" }, "sessionId"],
  ])("refuses %j at %s", (params, path) => {
    const result = CellExecute.params.safeParse(params);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain(path);
  });

  it("refuses params that are not an object", () => {
    for (const params of [null, [1, 2], "text", 3]) expect(CellExecute.params.safeParse(params).success).toBe(false);
  });
});

describe("outcomes and items", () => {
  it("accepts every status and item kind, with image detail defaulting to high", () => {
    const outcome = CellOutcome.parse({
      status: "completed",
      cellId: "1",
      items: [
        { type: "text", text: "t" },
        { type: "image", imageUrl: "data:image/png;base64,AA" },
      ],
      errorText: "boom",
    });
    expect(outcome.items[1]).toEqual({ type: "image", imageUrl: "data:image/png;base64,AA", detail: "high" });
  });

  it("refuses unknown statuses, item types and details", () => {
    expect(CellOutcome.safeParse({ status: "paused", cellId: "1", items: [] }).success).toBe(false);
    expect(ContentItem.safeParse({ type: "audio", data: "" }).success).toBe(false);
    expect(ContentItem.safeParse({ type: "image", imageUrl: "x", detail: "ultra" }).success).toBe(false);
  });
});

describe("other messages", () => {
  it("session/open takes optional ids, JSON stored values and partial limits", () => {
    expect(SessionOpen.params.parse({})).toEqual({});
    expect(
      SessionOpen.params.parse({ storedValues: { a: { b: [1, null, "x"] } }, limits: { heapBytes: 1024 } }),
    ).toEqual({
      storedValues: { a: { b: [1, null, "x"] } },
      limits: { heapBytes: 1024 },
    });
    expect(SessionOpen.params.safeParse({ limits: { heapBytes: -1 } }).success).toBe(false);
    expect(SessionOpen.params.safeParse({ storedValues: { a: () => 1 } }).success).toBe(false);
  });

  it("cell/wait needs a cell id; tool/invoke carries the tool name and kind", () => {
    expect(CellWait.params.safeParse({ sessionId: "s" }).success).toBe(false);
    const invoke = {
      sessionId: "s",
      cellId: "1",
      callId: "tool-1",
      tool: { name: "t", namespace: "mcp" },
      kind: "freeform",
    };
    expect(ToolInvoke.params.parse(invoke)).toEqual(invoke);
    expect(ToolInvoke.params.safeParse({ ...invoke, kind: "other" }).success).toBe(false);
  });

  it("limit overrides replace only what they set", () => {
    expect(withOverrides(DEFAULT_CELL_LIMITS, { cpuTimeMs: 5 })).toEqual({ ...DEFAULT_CELL_LIMITS, cpuTimeMs: 5 });
    expect(withOverrides(DEFAULT_CELL_LIMITS, undefined)).toEqual(DEFAULT_CELL_LIMITS);
  });
});
