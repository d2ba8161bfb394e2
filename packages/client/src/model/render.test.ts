import type { CellOutcome, ContentItem } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { renderOutcome } from "./render.js";

const text = (value: string): ContentItem => ({ type: "text", text: value });
const image = (url: string): ContentItem => ({ type: "image", imageUrl: url, detail: "auto" });
const header = (status: string, seconds: string) => text(`${status}\nWall time ${seconds} seconds\nOutput:\n`);

function outcome(status: CellOutcome["status"], items: ContentItem[], errorText?: string): CellOutcome {
  return errorText === undefined ? { status, cellId: "7", items } : { status, cellId: "7", items, errorText };
}

describe("rendering an outcome", () => {
  it("puts a completed cell's header in its own item before the output", () => {
    expect(renderOutcome(outcome("completed", [text("a"), text("b")]), { wallTimeMs: 1234 })).toEqual([
      header("Script completed", "1.2"),
      text("a"),
      text("b"),
    ]);
  });

  it("names the cell to wait on when it yielded, even with no output", () => {
    expect(renderOutcome(outcome("yielded", []), { wallTimeMs: 10_000 })).toEqual([
      header("Script running with cell ID 7", "10.0"),
    ]);
  });

  it("names a running cell's calls waiting for approval under its status, as the cell calls them", () => {
    const awaitingApproval = [
      { tool: "delete-file", callId: "tool-3" },
      { tool: "send_mail", callId: "tool-4" },
    ];
    expect(renderOutcome(outcome("yielded", [text("a")]), { wallTimeMs: 100, awaitingApproval })).toEqual([
      text(
        "Script running with cell ID 7\nWaiting for approval: tools.delete_file (tool-3), tools.send_mail (tool-4)\nWall time 0.1 seconds\nOutput:\n",
      ),
      text("a"),
    ]);
    expect(renderOutcome(outcome("yielded", []), { wallTimeMs: 100, awaitingApproval: [] })).toEqual([
      header("Script running with cell ID 7", "0.1"),
    ]);
  });

  it("appends the script error after the output of a failed cell", () => {
    const rendered = renderOutcome(outcome("completed", [text("before")], "Error: boom\n    at exec_main.mjs:2"), {
      wallTimeMs: 0,
    });
    expect(rendered).toEqual([
      header("Script failed", "0.0"),
      text("before"),
      text("Script error:\nError: boom\n    at exec_main.mjs:2"),
    ]);
  });

  it("renders a terminated cell with its undelivered output", () => {
    expect(renderOutcome(outcome("terminated", [text("partial")]), { wallTimeMs: 50 })).toEqual([
      header("Script terminated", "0.1"),
      text("partial"),
    ]);
  });

  it("renders a missing cell as failed with `exec cell {id} not found`", () => {
    expect(renderOutcome(outcome("missing", []), { wallTimeMs: 0 })).toEqual([
      header("Script failed", "0.0"),
      text("Script error:\nexec cell 7 not found"),
    ]);
  });

  it("keeps images in place after the header", () => {
    expect(renderOutcome(outcome("completed", [image("data:x"), text("caption")]), { wallTimeMs: 0 })).toEqual([
      header("Script completed", "0.0"),
      image("data:x"),
      text("caption"),
    ]);
  });

  it.each([
    [0, "0.0"],
    [49, "0.0"],
    [50, "0.1"],
    [1049, "1.0"],
    [1050, "1.1"],
    [61_999, "62.0"],
    [-5, "0.0"],
    [Number.NaN, "0.0"],
  ])("shows %d ms as %s seconds", (wallTimeMs, seconds) => {
    expect(renderOutcome(outcome("completed", []), { wallTimeMs })[0]).toEqual(header("Script completed", seconds));
  });
});

describe("the token budget of a rendered outcome", () => {
  it("defaults to 10 000 tokens and does not count the header", () => {
    const fits = renderOutcome(outcome("completed", [text("x".repeat(40_000))]), { wallTimeMs: 0 });
    expect(fits[1]).toEqual(text("x".repeat(40_000)));

    const over = renderOutcome(outcome("completed", [text("x".repeat(40_001))]), { wallTimeMs: 0 });
    expect(over).toHaveLength(2);
    expect(over[1]).toEqual(
      text(
        "Warning: truncated output (original token count: 10001)\nTotal output lines: 1\n\n" +
          `${"x".repeat(20_000)}…1 tokens truncated…${"x".repeat(20_000)}`,
      ),
    );
  });

  it("truncates the script error together with the output", () => {
    // "abcdefgh\nScript error:\nboom" = 27 bytes (7 tokens, 3 lines); budget 16 bytes
    const rendered = renderOutcome(outcome("completed", [text("abcdefgh")], "boom"), { maxTokens: 4, wallTimeMs: 0 });
    expect(rendered).toEqual([
      header("Script failed", "0.0"),
      text(
        "Warning: truncated output (original token count: 7)\nTotal output lines: 3\n\n" +
          "abcdefgh…3 tokens truncated…or:\nboom",
      ),
    ]);
  });

  it("walks output with images with the budget, counting the texts it drops", () => {
    const items = [text("abcd"), image("data:x"), text("efgh")];
    expect(renderOutcome(outcome("completed", items, "bad"), { maxTokens: 1, wallTimeMs: 0 })).toEqual([
      header("Script failed", "0.0"),
      text("abcd"),
      image("data:x"),
      text("[omitted 2 text items ...]"),
    ]);
  });
});
