// A minimal JSON-RPC client over the daemon's stdio written from scratch (no vscode-jsonrpc),
// in either framing, as a client in another language would be.
import { type ChildProcess, spawn } from "node:child_process";
import { DAEMON_BIN } from "./harness.js";

export type RawMessage = {
  jsonrpc: "2.0";
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
};

/** The `initialize` params of the raw tests. */
export const INIT = { protocolVersion: "1.0", clientInfo: { name: "raw" } };

/** A reply to a reverse request written exactly as given: the JSON text of its `result`. */
export class RawResult {
  constructor(readonly json: string) {}
}

/** What `onRequest` returns to leave a reverse request unanswered (the test answers it). */
export const UNANSWERED = Symbol("unanswered");

export class RawClient {
  readonly child: ChildProcess;
  readonly received: RawMessage[] = [];
  readonly exited: Promise<number | null>;
  private buffer = Buffer.alloc(0);
  private waiters: { match: (m: RawMessage) => boolean; resolve: (m: RawMessage) => void }[] = [];

  constructor(
    readonly framing: "content-length" | "ndjson",
    /** Answers the daemon's reverse requests. */
    private readonly onRequest: (message: RawMessage) => unknown = () => null,
    /** More flags for the daemon. */
    args: string[] = [],
  ) {
    this.child = spawn(process.execPath, [DAEMON_BIN, "--framing", framing, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stdout?.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (let message = this.next(); message; message = this.next()) this.receive(message);
    });
  }

  /** Writes raw bytes to the daemon's stdin. */
  writeRaw(bytes: string | Buffer): void {
    this.child.stdin?.write(bytes);
  }

  send(message: Record<string, unknown>): void {
    this.sendJson(JSON.stringify({ jsonrpc: "2.0", ...message }));
  }

  /** Writes one message given as JSON text, framed. */
  sendJson(json: string): void {
    this.writeRaw(
      this.framing === "ndjson" ? `${json}\n` : `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }

  /** Sends a request and resolves with its response (result or error). */
  request(id: number, method: string, params?: unknown): Promise<RawMessage> {
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.waitFor((m) => m.id === id && m.method === undefined);
  }

  waitFor(match: (m: RawMessage) => boolean): Promise<RawMessage> {
    const found = this.received.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  close(): void {
    this.child.stdin?.end();
  }

  private receive(message: RawMessage): void {
    this.received.push(message);
    if (message.method !== undefined && message.id !== undefined) {
      const result = this.onRequest(message);
      if (result === UNANSWERED) {
        // The test writes the answer itself.
      } else if (result instanceof RawResult) {
        this.sendJson(`{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":${result.json}}`);
      } else this.send({ id: message.id, result });
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(message)) return true;
      w.resolve(message);
      return false;
    });
  }

  private next(): RawMessage | undefined {
    if (this.framing === "ndjson") {
      const end = this.buffer.indexOf("\n");
      if (end < 0) return undefined;
      const line = this.buffer.subarray(0, end).toString("utf8");
      this.buffer = this.buffer.subarray(end + 1);
      return JSON.parse(line) as RawMessage;
    }
    const headerEnd = this.buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) return undefined;
    const header = this.buffer.subarray(0, headerEnd).toString("ascii");
    const length = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
    if (this.buffer.length < headerEnd + 4 + length) return undefined;
    const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
    this.buffer = this.buffer.subarray(headerEnd + 4 + length);
    return JSON.parse(body) as RawMessage;
  }
}
