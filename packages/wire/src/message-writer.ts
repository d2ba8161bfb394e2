// Writing JSON-RPC messages: to a byte stream in either framing, or (websocket-transport.ts)
// as WebSocket text frames. Each message is one write issued at once, in call order
// (vscode-jsonrpc's own writer queues every message behind a setImmediate).
import type { Framing } from "@codemode/protocol";
import { AbstractMessageWriter, ErrorCodes, Message, type ResponseMessage } from "vscode-jsonrpc/node";

/** What the writer tells the request-id bookkeeping. */
export interface WriterHooks {
  /** A response to the peer's request was written. */
  answered(id: ResponseMessage["id"]): void;
  /** One of our requests was written: its answer is awaited. */
  sent(id: string | number): void;
}

const frames: Record<Framing, (json: string) => string> = {
  // LSP framing: a `Content-Length` header, then the UTF-8 JSON body.
  "content-length": (json) => `Content-Length: ${Buffer.byteLength(json, "utf8")}\r\n\r\n${json}`,
  // Newline-delimited JSON (one message per line, as MCP's stdio transport).
  ndjson: (json) => `${json}\n`,
};

/**
 * Writes each message at once, in call order, as one JSON text handed to `send`: answers are
 * fitted to the peer's message limit, and the request-id bookkeeping hears of every write.
 */
export abstract class JsonMessageWriter extends AbstractMessageWriter {
  /** The last write, settled: everything before it has been handed on too. */
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly hooks: WriterHooks) {
    super();
  }

  /**
   * The largest message the peer reads, once known. An answer over it would be dropped by the
   * peer, unanswerable, so an error that says so is written in its place.
   */
  peerMaxMessageBytes = Number.POSITIVE_INFINITY;

  write(message: Message): Promise<void> {
    let json = serialize(message);
    if (Message.isResponse(message)) {
      this.hooks.answered(message.id);
      json = this.fitted(message, json);
    } else if (Message.isRequest(message) && message.id !== null) this.hooks.sent(message.id);
    const written = this.send(json).catch((error: unknown) => {
      const cause = error instanceof Error ? error : new Error(String(error));
      this.fireError(cause, message);
      throw cause;
    });
    this.last = written.catch(() => {});
    return written;
  }

  /** Resolves once everything written so far has been handed to the system. */
  flushed(): Promise<void> {
    return this.last;
  }

  end(): void {}

  /** Hands one message's JSON text to the output; resolves once it was handed to the system. */
  protected abstract send(json: string): Promise<void>;

  private fitted(message: ResponseMessage, json: string): string {
    const bytes = utf8BytesOver(json, this.peerMaxMessageBytes);
    if (bytes === undefined) return json;
    return JSON.stringify({
      jsonrpc: "2.0",
      id: message.id,
      error: {
        code: ErrorCodes.InternalError,
        message: `answer of ${bytes} bytes exceeds the peer's message limit of ${this.peerMaxMessageBytes} bytes`,
      },
    });
  }
}

/** Writes to a byte stream (stdio, a pipe) in either framing. */
export class FramedMessageWriter extends JsonMessageWriter {
  constructor(
    private readonly output: NodeJS.WritableStream,
    /** The framing, read at each write: it may be detected from the peer's first message. */
    private readonly framing: () => Framing,
    hooks: WriterHooks,
  ) {
    super(hooks);
    output.on("error", (error: Error) => this.fireError(error));
    output.on("close", () => this.fireClose());
  }

  protected send(json: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.output.write(frames[this.framing()](json), (error) => (error ? reject(error) : resolve()));
    });
  }
}

/**
 * A response whose result JSON cannot hold (a BigInt, a cycle) is answered as an internal
 * error rather than not at all: its requester would wait for ever.
 */
function serialize(message: Message): string {
  // What JSON cannot hold at the top of a result (undefined, a function, a symbol) is null, as
  // JSON makes it inside arrays: a response with neither result nor error answers nothing.
  if (Message.isResponse(message) && "result" in message && !isJsonTop(message.result)) {
    return JSON.stringify({ ...message, result: null });
  }
  try {
    return JSON.stringify(message);
  } catch (error) {
    if (!Message.isResponse(message)) throw error;
    return JSON.stringify({
      jsonrpc: "2.0",
      id: message.id,
      error: { code: ErrorCodes.InternalError, message: `result is not JSON: ${String(error)}` },
    });
  }
}

const isJsonTop = (value: unknown) => value !== undefined && typeof value !== "function" && typeof value !== "symbol";

/** The UTF-8 size of `text` when it is over `limit` bytes, else undefined. */
export function utf8BytesOver(text: string, limit: number): number | undefined {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most texts need no count.
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > limit ? bytes : undefined;
}
