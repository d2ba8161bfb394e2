// One side of a JSON-RPC link, typed by the protocol's method descriptors: handlers get
// params checked against their zod schema and an AbortSignal, and the results of our own
// requests are checked against theirs before anyone sees them.
import {
  ErrorCode,
  MAX_MESSAGE_DEPTH,
  type NotificationMethod,
  type ParamsInputOf,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
} from "@codemode/protocol";
import { type CancellationToken, type MessageConnection, ResponseError } from "vscode-jsonrpc/node";
import type { z } from "zod";
import { depthOver } from "./classify.js";
import type { Logger } from "./logger.js";

export type RequestHandler<M extends RequestMethod> = (
  params: ParamsOf<M>,
  signal: AbortSignal,
) => ResultOf<M> | Promise<ResultOf<M>>;

export interface EndpointOptions {
  logger: Logger;
  /**
   * Called before any request is handled, known (a handler is registered) or not; throws a
   * ResponseError to refuse it. Unknown methods are refused with -32601 after it.
   */
  admit?(method: string, known: boolean): void;
  /** The error answered for what a handler threw (default: a ResponseError as is, else -32603). */
  toResponseError?(error: unknown, method: string): ResponseError<unknown>;
}

type Route = (params: unknown, signal: AbortSignal) => unknown;

/**
 * The peer refuses a message nested deeper than the limit, and tracing it would throw: such
 * params are refused here, the same whatever the trace level.
 */
function checkDepth(method: string, params: unknown): void {
  // The message is level 1, its params level 2.
  if (depthOver(params, MAX_MESSAGE_DEPTH - 1)) {
    throw new ResponseError(ErrorCode.InvalidParams, `${method} params nest deeper than ${MAX_MESSAGE_DEPTH} levels`);
  }
}

/** `what.path: issue; …` for each zod issue (e.g. `params.toolCallId: Invalid input: …`). */
function describeIssues(what: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${[what, ...issue.path.map(String)].join(".")}: ${issue.message}`).join("; ");
}

export class Endpoint {
  private readonly routes = new Map<string, Route>();
  /** The signals of the handlers running, aborted when the link goes. */
  private readonly running = new Set<AbortController>();
  private gone = false;

  constructor(
    readonly connection: MessageConnection,
    private readonly options: EndpointOptions,
  ) {
    connection.onRequest((method: string, params: unknown, token: CancellationToken) =>
      this.handle(method, params, token),
    );
  }

  /** Handles `method`; invalid params are answered -32602 naming each issue's path. */
  onRequest<M extends RequestMethod>(method: M, handler: RequestHandler<M>): void {
    this.routes.set(method.method, (params, signal) => {
      const parsed = method.params.safeParse(params);
      if (!parsed.success) {
        throw new ResponseError(ErrorCode.InvalidParams, `invalid params: ${describeIssues("params", parsed.error)}`);
      }
      return handler(parsed.data as ParamsOf<M>, signal);
    });
  }

  /** Handles a notification; one with invalid params, or whose handler throws, is logged and dropped. */
  onNotification<M extends NotificationMethod>(method: M, handler: (params: ParamsOf<M>) => void): void {
    this.connection.onNotification(method.method, (params: unknown) => {
      const parsed = method.params.safeParse(params);
      if (!parsed.success) {
        this.options.logger.log("warn", "notification with invalid params ignored", {
          method: method.method,
          error: describeIssues("params", parsed.error),
        });
        return;
      }
      try {
        handler(parsed.data as ParamsOf<M>);
      } catch (error) {
        this.options.logger.log("error", "notification handler failed", {
          method: method.method,
          error: String(error),
        });
      }
    });
  }

  /**
   * Sends a request and resolves with its result, checked against the method's result schema
   * (a result that does not fit rejects with -32603 naming the issues). Params nested deeper
   * than MAX_MESSAGE_DEPTH reject with -32602 unsent.
   */
  async request<M extends RequestMethod>(
    method: M,
    params?: ParamsInputOf<M>,
    token?: CancellationToken,
  ): Promise<ResultOf<M>> {
    checkDepth(method.method, params);
    const args: unknown[] = params === undefined ? [] : [params];
    if (token) args.push(token);
    const result: unknown = await this.connection.sendRequest(method.method, ...args);
    const parsed = method.result.safeParse(result);
    if (parsed.success) return parsed.data as ResultOf<M>;
    throw new ResponseError(
      ErrorCode.InternalError,
      `invalid answer to ${method.method}: ${describeIssues("result", parsed.error)}`,
    );
  }

  /** Sends a notification; one that cannot be written (the peer is gone) is logged, never thrown. */
  notify<M extends NotificationMethod>(method: M, params: ParamsInputOf<M>): void {
    const failed = (error: unknown) =>
      this.options.logger.log("warn", "notification not sent", { method: method.method, error: String(error) });
    try {
      checkDepth(method.method, params);
      this.connection.sendNotification(method.method, params).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** The link is gone: every running handler's signal is aborted, and so is every later one's. */
  abortAll(): void {
    this.gone = true;
    for (const controller of this.running) controller.abort();
  }

  private async handle(method: string, params: unknown, token: CancellationToken): Promise<unknown> {
    const route = this.routes.get(method);
    this.options.admit?.(method, route !== undefined);
    if (!route) throw new ResponseError(ErrorCode.MethodNotFound, `unknown method ${method}`);
    const controller = new AbortController();
    // A request cancelled before dispatch has a token whose event never fires: check it first.
    if (this.gone || token.isCancellationRequested) controller.abort();
    const subscription = token.onCancellationRequested(() => controller.abort());
    this.running.add(controller);
    try {
      return await route(params, controller.signal);
    } catch (error) {
      throw this.options.toResponseError ? this.options.toResponseError(error, method) : error;
    } finally {
      subscription.dispose();
      this.running.delete(controller);
    }
  }
}
