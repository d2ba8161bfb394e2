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

export type RawFraming = "content-length" | "ndjson";

/** One message framed as the daemon reads it. */
export const frame = (framing: RawFraming, json: string): string =>
  framing === "ndjson" ? `${json}\n` : `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;

/** A request as JSON text. */
export const requestJson = (id: number | string, method: string, params?: unknown): string =>
  JSON.stringify(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });

/** Cuts the daemon's output into messages; returns them and the bytes left over. */
export function parseFrames(framing: RawFraming, bytes: Buffer): { messages: RawMessage[]; rest: Buffer } {
  const messages: RawMessage[] = [];
  let rest = bytes;
  for (;;) {
    if (framing === "ndjson") {
      const end = rest.indexOf("\n");
      if (end < 0) break;
      messages.push(JSON.parse(rest.subarray(0, end).toString("utf8")) as RawMessage);
      rest = rest.subarray(end + 1);
      continue;
    }
    const headerEnd = rest.indexOf("\r\n\r\n");
    if (headerEnd < 0) break;
    const header = rest.subarray(0, headerEnd).toString("ascii");
    const length = Number(/^Content-Length: (\d+)$/i.exec(header)?.[1]);
    if (!Number.isInteger(length)) throw new Error(`bad header from the daemon: ${JSON.stringify(header)}`);
    if (rest.length < headerEnd + 4 + length) break;
    messages.push(JSON.parse(rest.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8")) as RawMessage);
    rest = rest.subarray(headerEnd + 4 + length);
  }
  return { messages, rest };
}

/**
 * A whole conversation written at once with stdin closed behind it, as a one-shot pipe does:
 * the messages the daemon wrote, its exit code and its stderr.
 */
export async function oneShot(
  framing: RawFraming,
  input: string | Buffer,
  args: string[] = ["--framing", framing],
): Promise<{ messages: RawMessage[]; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [DAEMON_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  child.stdin?.end(input);
  const exitCode = await code;
  const { messages, rest } = parseFrames(framing, Buffer.concat(stdout));
  if (rest.length > 0) throw new Error(`unframed output: ${JSON.stringify(rest.toString())}`);
  return { messages, code: exitCode, stderr };
}

/** The answers (responses) among `messages` with this id, compared exactly. */
export const answersTo = (messages: RawMessage[], id: number | string) =>
  messages.filter((m) => m.method === undefined && m.id === id);

export class RawClient {
  readonly child: ChildProcess;
  readonly received: RawMessage[] = [];
  readonly exited: Promise<number | null>;
  /** What the daemon wrote to stderr. */
  stderr = "";
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: { match: (m: RawMessage) => boolean; resolve: (m: RawMessage) => void }[] = [];

  constructor(
    readonly framing: RawFraming,
    /** Answers the daemon's reverse requests. */
    private readonly onRequest: (message: RawMessage) => unknown = () => null,
    /** The daemon's flags (default: `--framing` with this client's framing). */
    args: string[] = [],
    { framingFlag = true }: { framingFlag?: boolean } = {},
  ) {
    const flags = framingFlag ? ["--framing", framing, ...args] : args;
    this.child = spawn(process.execPath, [DAEMON_BIN, ...flags], { stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    this.child.stdout?.on("data", (chunk: Buffer) => {
      const { messages, rest } = parseFrames(this.framing, Buffer.concat([this.buffer, chunk]));
      this.buffer = rest;
      for (const message of messages) this.receive(message);
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
    this.writeRaw(frame(this.framing, json));
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
}
