// The daemon's requests to the host on one connection (tool calls, notifications) and what
// becomes of them when it ends. When the host's stdin ends, the host can no longer answer: every
// call still waiting and every later one fails at once with a text that says so, and the cell
// carries on without it. When a network connection closes, they fail with PeerGone, which the
// session's host (session-host.ts) answers by sending them again on the next connection.
import { ErrorCode, type ParamsInputOf, type RequestMethod, type ResultOf } from "@codemode/protocol";
import type { Endpoint } from "@codemode/wire";
import { type CancellationToken, ResponseError } from "vscode-jsonrpc/node";
import { PeerGone } from "../session-host.js";

export const HOST_INPUT_ENDED = "the host closed its input: it can answer no more calls";

export class HostLink {
  /** Rejects each request still waiting for the host. */
  private readonly waiting = new Set<(error: Error) => void>();
  /** Why no more requests can be answered, once that is so. */
  private ended: (() => Error) | undefined;

  constructor(private readonly endpoint: Endpoint) {}

  async request<M extends RequestMethod>(
    method: M,
    params: ParamsInputOf<M>,
    token: CancellationToken,
  ): Promise<ResultOf<M>> {
    if (this.ended) throw this.ended();
    let fail: (error: Error) => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.waiting.add(fail);
    try {
      return await Promise.race([this.endpoint.request(method, params, token), failed]);
    } finally {
      this.waiting.delete(fail);
    }
  }

  /** The host's input ended (`input`), or the connection closed (`connection`). */
  end(cause: "input" | "connection"): void {
    const ended = cause === "input" ? inputEnded : () => new PeerGone();
    this.ended = ended;
    for (const fail of this.waiting) fail(ended());
  }
}

const inputEnded = () => new ResponseError(ErrorCode.InternalError, HOST_INPUT_ENDED);
