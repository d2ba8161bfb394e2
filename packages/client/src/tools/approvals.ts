// Tool calls waiting for the host's approval: each stays pending in its live cell (nothing is
// replayed or run twice) until approve, deny, or the end of the call (its cell ended).
import type { JsonValue } from "@codemode/protocol";

/** A call waiting for approval, as the host sees it. */
export interface PendingApproval {
  cellId: string;
  /** The daemon's id of the call within its cell (`tool-3`). */
  callId: string;
  /** The tool's name, as registered. */
  tool: string;
  /** The input, already checked against the tool's inputSchema. */
  input: JsonValue | undefined;
}

/** How a wait for approval ends. */
export type ApprovalDecision = { kind: "approved" } | { kind: "denied"; reason: string } | { kind: "cancelled" };

interface Waiting {
  request: PendingApproval;
  decide(decision: ApprovalDecision): void;
}

/** How many ended approvals are remembered, to say why a late approve or deny finds nothing. */
const REMEMBERED_ENDINGS = 256;

export class ApprovalGate {
  private readonly waiting = new Map<string, Waiting>();
  /** Calls that ended while waiting (their cell terminated, or lost with its daemon), oldest first. */
  private readonly ended = new Set<string>();

  constructor(private readonly onRequest: ((request: PendingApproval) => void) | undefined) {}

  /**
   * Waits for the host's decision on `request`. An abort of `signal` (the cell ended, the
   * tool call deadline passed) ends the wait as `cancelled`.
   */
  wait(request: PendingApproval, signal: AbortSignal): Promise<ApprovalDecision> {
    const key = keyOf(request.cellId, request.callId);
    if (signal.aborted) return Promise.resolve({ kind: "cancelled" });
    return new Promise<ApprovalDecision>((resolve) => {
      const cancel = () => {
        this.remember(key);
        settle({ kind: "cancelled" });
      };
      const settle = (decision: ApprovalDecision) => {
        this.waiting.delete(key);
        signal.removeEventListener("abort", cancel);
        resolve(decision);
      };
      this.waiting.set(key, { request, decide: settle });
      signal.addEventListener("abort", cancel, { once: true });
      try {
        this.onRequest?.(request);
      } catch (error) {
        // Nobody will be asked: the call is denied rather than left waiting.
        settle({ kind: "denied", reason: `the approval request failed: ${(error as Error).message}` });
      }
    });
  }

  /** The calls waiting for approval, in the order they asked; of one cell when `cellId` is given. */
  pending(cellId?: string): PendingApproval[] {
    const all = [...this.waiting.values()].map((waiting) => waiting.request);
    return cellId === undefined ? all : all.filter((request) => request.cellId === cellId);
  }

  /** Settles the call's wait; throws an `Error` saying why when no such call waits. */
  decide(callId: string, cellId: string | undefined, decision: ApprovalDecision): void {
    this.find(callId, cellId).decide(decision);
  }

  private find(callId: string, cellId: string | undefined): Waiting {
    const matches = [...this.waiting.values()].filter(
      ({ request }) => request.callId === callId && (cellId === undefined || request.cellId === cellId),
    );
    const [match] = matches;
    if (match && matches.length === 1) return match;
    if (matches.length > 1) {
      const cells = matches.map(({ request }) => request.cellId).join(", ");
      throw new Error(`${callId} waits for approval in cells ${cells}: name the cell`);
    }
    const ended = [...this.ended].some((key) =>
      cellId === undefined ? key.endsWith(`/${callId}`) : key === keyOf(cellId, callId),
    );
    throw new Error(
      ended
        ? `${callId} no longer waits for approval: its cell ended first (terminated, or lost with its daemon), and the call with it`
        : `no call ${callId} waits for approval`,
    );
  }

  private remember(key: string): void {
    this.ended.delete(key);
    this.ended.add(key);
    if (this.ended.size > REMEMBERED_ENDINGS) this.ended.delete(this.ended.values().next().value as string);
  }
}

const keyOf = (cellId: string, callId: string) => `${cellId}/${callId}`;
