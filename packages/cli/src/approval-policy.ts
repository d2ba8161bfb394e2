// `--approve ask|all|none`: what the CLI does with a host tool's call that waits for approval.
import type { PendingApproval, ToolRegistry } from "@codemode/client";
import { jsToolName } from "@codemode/client/model";

export const APPROVE_MODES = ["ask", "all", "none"] as const;
export type ApproveMode = (typeof APPROVE_MODES)[number];

/** The reason a call denied by `--approve none` rejects with. */
export const DENIED_BY_FLAG = "denied by --approve none";
/** The reason a call refused on the terminal (any answer but y or yes, or no terminal input) rejects with. */
export const DENIED_ON_TERMINAL = "denied on the terminal";

export interface ApprovalIO {
  /** Writes `question` and resolves with the next line of input (`undefined` once input ended). */
  ask(question: string): Promise<string | undefined>;
  err(text: string): void;
}

/**
 * The registry's `onApprovalRequest` for `mode`. `ask` asks one question at a time, in the
 * order the calls asked, and skips a call that stopped waiting (its cell ended) meanwhile.
 */
export function approvalPolicy(
  mode: ApproveMode,
  registry: () => ToolRegistry,
  io: ApprovalIO,
): (request: PendingApproval) => void {
  const decide = (request: PendingApproval, approved: boolean, reason: string) => {
    try {
      if (approved) registry().approve(request.callId, request.cellId);
      else registry().deny(request.callId, reason, request.cellId);
    } catch (error) {
      io.err(`codemode: ${(error as Error).message}\n`);
    }
  };
  if (mode === "all") return (request) => decide(request, true, "");
  if (mode === "none") return (request) => decide(request, false, DENIED_BY_FLAG);
  let questions = Promise.resolve();
  return (request) => {
    questions = questions.then(async () => {
      const waiting = registry()
        .pendingApprovals(request.cellId)
        .some((pending) => pending.callId === request.callId);
      if (!waiting) return;
      const input = request.input === undefined ? "no input" : JSON.stringify(request.input);
      const answer = await io.ask(
        `approve tools.${jsToolName(request.tool)} (${request.callId}) with ${input}? [y/N] `,
      );
      decide(request, /^\s*y(es)?\s*$/i.test(answer ?? ""), DENIED_ON_TERMINAL);
    });
  };
}
