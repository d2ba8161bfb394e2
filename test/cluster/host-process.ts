// The test's side of a host process (host.mjs): commands sent as JSON lines, answers matched by id.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HOST = fileURLToPath(new URL("host.mjs", import.meta.url));

/** What a command answers per session: its result, or why it failed there. */
export type PerSession<T> = Record<string, T | { error: string; code?: number }>;

export interface Outcome {
  status: string;
  errorText?: string;
  text: string;
}

export class HostProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly exited: Promise<void>;
  stderr = "";

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-20_000);
    });
    child.once("exit", () => {
      for (const { reject } of this.waiting.values()) reject(new Error(`host ${name} exited\n${this.stderr}`));
      this.waiting.clear();
    });
  }

  /** Starts host.mjs; resolves once its client is connected. */
  static async start(name: string, args: { url: string; tokenFile: string; redisPort: number; leaseMs: number }) {
    const child = spawn(
      process.execPath,
      [HOST, args.url, args.tokenFile, String(args.redisPort), String(args.leaseMs)],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    const host = new HostProcess(name, child);
    const ready = new Promise<void>((resolve, reject) => {
      child.once("exit", () => reject(new Error(`host ${name} exited before it was ready\n${host.stderr}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        const message = JSON.parse(line) as { ready?: true; id?: number; result?: unknown; error?: string };
        if (message.ready) return resolve();
        const waiter = host.waiting.get(message.id ?? -1);
        host.waiting.delete(message.id ?? -1);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      });
    });
    await ready;
    return host;
  }

  call<T>(command: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin?.write(`${JSON.stringify({ id, command, ...params })}\n`);
    });
  }

  open(ids: string[]) {
    return this.call<PerSession<"open">>("open", { ids });
  }

  run(ids: string[], source: string, yieldTimeMs?: number) {
    return this.call<PerSession<Outcome>>("run", { ids, source, yieldTimeMs });
  }

  start(ids: string[], source: string, yieldTimeMs?: number) {
    return this.call<PerSession<string>>("start", { ids, source, yieldTimeMs });
  }

  finish(ids: string[]) {
    return this.call<PerSession<Outcome>>("finish", { ids });
  }

  gaps(ids: string[]) {
    return this.call<PerSession<number[]>>("gaps", { ids });
  }

  /** kill -9, as a crash; resolves once it is gone. */
  async crash(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Closes its client (stdin's end) and waits for it to leave; kills it after a grace. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
