// What the model reads back from `exec` and `wait`: a status header, then the cell's output.
import { type CellOutcome, type ContentItem, jsToolName, Messages } from "@codemode/protocol";
import { DEFAULT_MAX_OUTPUT_TOKENS, truncateItems } from "./truncate.js";

export interface RenderOptions {
  /** Token budget of the output (default 10 000); the header is not counted. */
  maxTokens?: number | undefined;
  /** Time the `exec` or `wait` call took, shown to the model with one decimal of seconds. */
  wallTimeMs: number;
  /** A running cell's calls waiting for the host's approval, named under the status line. */
  awaitingApproval?: readonly { tool: string; callId: string }[] | undefined;
}

/**
 * Renders an outcome as content items. A failure appends `Script error:\n{errorText}` to the
 * output before it is truncated, so a long error is cut like any other output. The header
 * `{status}\nWall time {s} seconds\nOutput:\n` (with `Waiting for approval: tools.x (tool-3), ...\n`
 * after the status of a running cell whose calls wait for approval) is its own first text item, never merged into the
 * output: truncation never cuts it, and the output's first item stays as the cell wrote it.
 */
export function renderOutcome(outcome: CellOutcome, options: RenderOptions): ContentItem[] {
  const errorText = failureText(outcome);
  const items: ContentItem[] =
    errorText === undefined ? outcome.items : [...outcome.items, { type: "text", text: `Script error:\n${errorText}` }];
  const output = truncateItems(items, options.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
  const header = `${statusLine(outcome)}\n${approvalLine(options.awaitingApproval)}Wall time ${formatSeconds(options.wallTimeMs)} seconds\nOutput:\n`;
  return [{ type: "text", text: header }, ...output];
}

/** The error to show, if the outcome is a failure: a script error, or a cell that does not exist. */
function failureText(outcome: CellOutcome): string | undefined {
  if (outcome.status === "missing") return Messages.missingCell(outcome.cellId);
  return outcome.status === "completed" ? outcome.errorText : undefined;
}

/** Why a running cell is stuck: the model should not just wait again and again. */
function approvalLine(calls: RenderOptions["awaitingApproval"]): string {
  if (calls === undefined || calls.length === 0) return "";
  return `Waiting for approval: ${calls.map(({ tool, callId }) => `tools.${jsToolName(tool)} (${callId})`).join(", ")}\n`;
}

function statusLine(outcome: CellOutcome): string {
  switch (outcome.status) {
    case "yielded":
      return `Script running with cell ID ${outcome.cellId}`;
    case "completed":
      return outcome.errorText === undefined ? "Script completed" : "Script failed";
    case "terminated":
      return "Script terminated";
    case "missing":
      return "Script failed";
  }
}

/** Seconds with one decimal, rounded half up ("0.0" for a negative or non-finite time). */
function formatSeconds(ms: number): string {
  const tenths = Number.isFinite(ms) && ms > 0 ? Math.round(ms / 100) : 0;
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}
