import { describe, expect, it } from "vitest";
import { parseExecArguments } from "./exec-arguments.js";

describe("exec as a function tool", () => {
  it("reads code and the optional fields, given as an object or as JSON text", () => {
    expect(parseExecArguments({ code: "text(1)" })).toEqual({ code: "text(1)" });
    expect(parseExecArguments('{"code": "x", "yield_time_ms": 5, "max_output_tokens": null}')).toEqual({
      code: "x",
      yieldTimeMs: 5,
    });
    expect(parseExecArguments({ code: "x", max_output_tokens: 7 })).toEqual({ code: "x", maxOutputTokens: 7 });
  });

  it.each([
    [{}, "invalid exec arguments: `code` must be a string"],
    [
      { code: "x", timeout: 1 },
      "invalid exec arguments: unknown field `timeout`; exec accepts `code`, `yield_time_ms` and `max_output_tokens`",
    ],
    [{ code: "x", yield_time_ms: -1 }, "invalid exec arguments: `yield_time_ms` must be a non-negative safe integer"],
    [[1], "invalid exec arguments: exec arguments must be a JSON object"],
    ["{", "invalid exec arguments: not valid JSON"],
  ])("refuses %j", (args, message) => {
    expect(() => parseExecArguments(args)).toThrow(message);
  });
});
