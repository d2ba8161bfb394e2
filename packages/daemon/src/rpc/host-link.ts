// The daemon's requests to the host (tool calls, notifications) and what becomes of them when
// the host's input ends: the host can no longer answer, so every call still waiting and every
// later one fails at once with a text that says so, and the cell carries on without it.
import { ErrorCode, type ParamsInputOf, type RequestMethod, type ResultOf } from "@codemode/protocol";
import type { Endpoint } from "@codemode/wire";
import { type CancellationToken, ResponseError } from "vscode-jsonrpc/node";

export const HOST_INPUT_ENDED = "the host closed its input: it can answer no more calls";

export class HostLink {
  /** Rejects each request still waiting for the host. */
  private readonly waiting = new Set<(error: ResponseError<unknown>) => void>();
  private ended = false;

  constructor(private readonly endpoint: Endpoint) {}

  async request<M extends RequestMethod>(
    method: M,
    params: ParamsInputOf<M>,
    token: CancellationToken,
  ): Promise<ResultOf<M>> {
    if (this.ended) throw ended();
    let fail: (error: ResponseError<unknown>) => void = () => {};
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

  /** The host's input ended. */
  end(): void {
    this.ended = true;
    for (const fail of this.waiting) fail(ended());
  }
}

const ended = () => new ResponseError(ErrorCode.InternalError, HOST_INPUT_ENDED);
