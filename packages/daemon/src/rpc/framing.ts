// Reading JSON-RPC messages off a byte stream, for both framings, without trusting the peer:
// broken JSON, non-objects, wrong versions, oversized messages and malformed headers each get
// a JSON-RPC error response (with the request's id when one can be read), and the stream
// carries on. vscode-jsonrpc only ever sees well-formed messages.
import { ErrorCode } from "@codemode/protocol";
import {
  AbstractMessageReader,
  type DataCallback,
  type Disposable,
  Message,
  type ResponseMessage,
} from "vscode-jsonrpc/node";
import { ReadBuffer } from "./read-buffer.js";
import type { RequestIds } from "./request-ids.js";

/** Cuts a byte stream into message bodies; `undefined` when more bytes are needed. */
export interface Splitter {
  next(buffer: Buffer): { consumed: number; body?: Buffer; error?: string } | undefined;
}

const MAX_HEADER_BYTES = 8 * 1024;
const HEADER_END = Buffer.from("\r\n\r\n");

export function contentLengthSplitter(maxMessageBytes: number): Splitter {
  let skipping = 0;
  return {
    next(buffer) {
      if (skipping > 0) {
        // The rest of an oversized body: drop it as it arrives.
        const consumed = Math.min(skipping, buffer.length);
        skipping -= consumed;
        return consumed > 0 ? { consumed } : undefined;
      }
      const headerEnd = buffer.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (buffer.length <= MAX_HEADER_BYTES) return undefined;
        return { consumed: buffer.length, error: "message header too long" };
      }
      const header = buffer.subarray(0, headerEnd).toString("ascii");
      const match = /^content-length:\s*(\d+)\s*$/im.exec(header);
      const start = headerEnd + HEADER_END.length;
      if (!match) return { consumed: start, error: "message header without a valid Content-Length" };
      const length = Number(match[1]);
      if (length > maxMessageBytes) {
        skipping = length;
        return { consumed: start, error: `message of ${length} bytes exceeds the limit of ${maxMessageBytes}` };
      }
      if (buffer.length < start + length) return undefined;
      return { consumed: start + length, body: buffer.subarray(start, start + length) };
    },
  };
}

export function lineSplitter(maxMessageBytes: number): Splitter {
  let skipping = false;
  // How far the buffer is known to hold no newline: a long line is not searched again and again.
  let searched = 0;
  return {
    next(buffer) {
      const end = buffer.indexOf(10, searched);
      searched = end < 0 ? buffer.length : 0;
      if (skipping) {
        if (end < 0) {
          searched = 0;
          return buffer.length > 0 ? { consumed: buffer.length } : undefined;
        }
        skipping = false;
        return { consumed: end + 1 };
      }
      if (end < 0) {
        if (buffer.length <= maxMessageBytes) return undefined;
        skipping = true;
        searched = 0;
        return { consumed: buffer.length, error: `message exceeds the limit of ${maxMessageBytes} bytes` };
      }
      return { consumed: end + 1, body: buffer.subarray(0, end) };
    },
  };
}

type Classified = { message: Message } | { invalid: ResponseMessage } | { ignore: true };

const errorResponse = (id: ResponseMessage["id"], code: number, message: string): ResponseMessage => ({
  jsonrpc: "2.0",
  id,
  error: { code, message },
});

const invalid = (id: ResponseMessage["id"], code: number, message: string): Classified => ({
  invalid: errorResponse(id, code, message),
});

function isErrorObject(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "number" && typeof message === "string";
}

const isUsableId = (id: unknown): id is string | number =>
  typeof id === "string" || (typeof id === "number" && Number.isFinite(id));

const paramsId = (params: unknown): unknown =>
  typeof params === "object" && params !== null && !Array.isArray(params) ? (params as { id?: unknown }).id : undefined;

/** Checks that a parsed value is a JSON-RPC 2.0 message, or says what to answer. */
export function classify(value: unknown): Classified {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? "batches are not supported" : "a message must be a JSON object";
    return invalid(null, ErrorCode.InvalidRequest, what);
  }
  const record = value as Record<string, unknown>;
  const id = record.id;
  const usableId = isUsableId(id) ? id : null;
  if (record.jsonrpc !== "2.0") return invalid(usableId, ErrorCode.InvalidRequest, 'jsonrpc must be "2.0"');
  if ("method" in record) {
    if (typeof record.method !== "string")
      return invalid(usableId, ErrorCode.InvalidRequest, "method must be a string");
    if (id !== undefined && usableId === null)
      return invalid(null, ErrorCode.InvalidRequest, "id must be a string or a number");
    if (
      "params" in record &&
      (typeof record.params !== "object" || record.params === null) &&
      record.params !== undefined
    ) {
      return usableId === null
        ? { ignore: true }
        : invalid(usableId, ErrorCode.InvalidParams, "params must be an object or an array");
    }
    // vscode-jsonrpc reads `params.id` of a cancellation unguarded; one without a usable id
    // cancels nothing, so it is dropped like any other notification we cannot act on.
    if (record.method === "$/cancelRequest" && id === undefined && !isUsableId(paramsId(record.params)))
      return { ignore: true };
    return { message: record as unknown as Message };
  }
  // A response: vscode-jsonrpc ignores those whose id it does not know. An error that is not
  // `{ code: number, message: string }` would throw inside vscode-jsonrpc and leave the
  // request waiting for ever: it becomes an error that says so.
  // (`"error": null` beside a result is how some libraries say "no error".)
  if ("error" in record && record.error !== null && record.error !== undefined && !isErrorObject(record.error)) {
    return { message: errorResponse(usableId, ErrorCode.InternalError, "the peer answered with a malformed error") };
  }
  if ("result" in record || "error" in record) return { message: record as unknown as Message };
  return invalid(usableId, ErrorCode.InvalidRequest, "neither a request, a notification nor a response");
}

export class GuardedMessageReader extends AbstractMessageReader {
  private readonly buffer = new ReadBuffer();

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly splitter: Splitter,
    /** Writes an error response for input that is not a usable message. */
    private readonly answer: (response: ResponseMessage) => void,
    /** The ids of requests still waiting for their answer. */
    private readonly requests: RequestIds,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer | string) => {
      this.buffer.append(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      for (let piece = this.splitter.next(this.buffer.view); piece; piece = this.splitter.next(this.buffer.view)) {
        if (piece.error) this.answer(errorResponse(null, ErrorCode.InvalidRequest, piece.error));
        // The body is a view of the buffer: used up before the buffer changes.
        if (piece.body) this.deliver(piece.body, callback);
        this.buffer.consume(piece.consumed);
      }
    };
    const onEnd = () => this.fireClose();
    const onError = (error: Error) => this.fireError(error);
    this.input.on("data", onData);
    this.input.on("end", onEnd);
    this.input.on("error", onError);
    return {
      dispose: () => {
        this.input.off("data", onData);
        this.input.off("end", onEnd);
        this.input.off("error", onError);
      },
    };
  }

  private deliver(body: Buffer, callback: DataCallback): void {
    const text = body.toString("utf8").trim();
    if (text === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.answer(errorResponse(null, ErrorCode.ParseError, "parse error: invalid JSON"));
      return;
    }
    const classified = classify(value);
    if ("invalid" in classified) {
      const { id } = classified.invalid;
      if (id !== null) this.requests.expect(id);
      this.answer(classified.invalid);
      return;
    }
    if (!("message" in classified)) return;
    const message = classified.message;
    if (Message.isRequest(message) && message.id !== null && !this.requests.admit(message.id)) {
      const { id } = message;
      this.answer(errorResponse(id, ErrorCode.InvalidRequest, `request id ${id} is in use by a request in progress`));
      return;
    }
    callback(message);
  }
}
