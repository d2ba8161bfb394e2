import { describe, expect, it } from "vitest";
import { type ExecSource, ExecSourceErrors, parseExecSource } from "./exec-source.js";

const BLANK =
  "exec expects raw JavaScript source text (non-empty). Provide JS only, optionally with first-line // @exec: {...}.";

describe("exec source without a pragma", () => {
  it.each<[string, string]>([
    ["a one-liner", "text(1)"],
    ["several lines", "const a = 1;\ntext(a);\n"],
    ["a pragma that is not on the first line", 'text(1);\n// @exec: {"bad": 1}'],
    ["a comment that only starts like the pragma", "// @execute later\ntext(1)"],
    ["a pragma without the space after //", '//@exec: {"yield_time_ms": 1}\ntext(1)'],
  ])("is run as written: %s", (_, input) => {
    expect(parseExecSource(input)).toEqual({ source: input });
  });
});

describe("exec source with a pragma", () => {
  it.each<[string, string, ExecSource]>([
    [
      "both options",
      '// @exec: {"yield_time_ms": 7, "max_output_tokens": 8}\ntext("ok")',
      { source: 'text("ok")', yieldTimeMs: 7, maxOutputTokens: 8 },
    ],
    ["leading whitespace", ' \t// @exec: {"yield_time_ms": 0}\ntext(1)', { source: "text(1)", yieldTimeMs: 0 }],
    ["no space after the colon", '// @exec:{"max_output_tokens":3}\nx', { source: "x", maxOutputTokens: 3 }],
    [
      "CRLF line ends",
      '// @exec: {"max_output_tokens": 3}\r\nx\r\ny\r\n',
      { source: "x\r\ny\r\n", maxOutputTokens: 3 },
    ],
    ["an empty object", "// @exec: {}\nx", { source: "x" }],
    ["null as not set", '// @exec: {"yield_time_ms": null}\nx', { source: "x" }],
    [
      "the largest safe integer",
      '// @exec: {"yield_time_ms": 9007199254740991}\nx',
      { source: "x", yieldTimeMs: 9007199254740991 },
    ],
    ["a blank second line before the code", "// @exec: {}\n\n  x", { source: "\n  x" }],
  ])("removes the pragma line and reads its options: %s", (_, input, expected) => {
    expect(parseExecSource(input)).toEqual(expected);
  });

  it("reads -0 as 0", () => {
    expect(Object.is(parseExecSource('// @exec: {"yield_time_ms": -0}\nx').yieldTimeMs, 0)).toBe(true);
  });
});

describe("rejected exec input", () => {
  it.each<[string, string, string]>([
    ["empty input", "", BLANK],
    ["whitespace only", "  \n\t \r\n", BLANK],
    [
      "a pragma with nothing after it",
      '// @exec: {"yield_time_ms": 1}',
      "exec pragma must be followed by JavaScript source on subsequent lines",
    ],
    [
      "a pragma followed by blank lines",
      '// @exec: {"yield_time_ms": 1}\n  \n',
      "exec pragma must be followed by JavaScript source on subsequent lines",
    ],
    [
      "an unknown field",
      '// @exec: {"nope": 1}\ntext(1)',
      "exec pragma only supports `yield_time_ms` and `max_output_tokens`; got `nope`",
    ],
    [
      "an unknown field beside a bad value",
      '// @exec: {"yield_time_ms": -1, "timeout": 1}\nx',
      "exec pragma only supports `yield_time_ms` and `max_output_tokens`; got `timeout`",
    ],
    ["an empty directive", "// @exec:\nx", ExecSourceErrors.notAnObject],
    ["an array", "// @exec: [1]\nx", ExecSourceErrors.notAnObject],
    ["null", "// @exec: null\nx", ExecSourceErrors.notAnObject],
    ["a number", "// @exec: 5\nx", ExecSourceErrors.notAnObject],
    ["a negative number", '// @exec: {"yield_time_ms": -1}\nx', ExecSourceErrors.badValue("yield_time_ms")],
    ["a fraction", '// @exec: {"max_output_tokens": 1.5}\nx', ExecSourceErrors.badValue("max_output_tokens")],
    ["a numeric string", '// @exec: {"yield_time_ms": "10"}\nx', ExecSourceErrors.badValue("yield_time_ms")],
    ["a boolean", '// @exec: {"max_output_tokens": true}\nx', ExecSourceErrors.badValue("max_output_tokens")],
    [
      "an unsafe integer",
      '// @exec: {"yield_time_ms": 9007199254740992}\nx',
      "exec pragma field `yield_time_ms` must be a non-negative safe integer",
    ],
  ])("%s", (_, input, message) => {
    expect(() => parseExecSource(input)).toThrow(new Error(message));
  });

  it("says why the JSON is invalid", () => {
    expect(() => parseExecSource("// @exec: {yield_time_ms: 1}\nx")).toThrow(
      /^exec pragma must be valid JSON with supported fields `yield_time_ms` and `max_output_tokens`: .+/,
    );
  });
});
