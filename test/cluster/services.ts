// The real components of a deployment, started on 127.0.0.1 on free ports, each with its own
// configuration in a temporary directory, and stopped (SIGKILL after a grace) at the end.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../workspace.js";

const STOP_GRACE_MS = 2_000;
const READY_TIMEOUT_MS = 10_000;

/** A port no one listens on now (the kernel's choice on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; rejects when `child` exits first. */
async function listening(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not listen on port ${port} within ${READY_TIMEOUT_MS} ms`);
}

/** One started process, listening on `port`. */
export class Service {
  private readonly exited: Promise<void>;
  /** What it wrote on stdout and stderr, for a failing test's message. */
  output = "";

  constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-1_000_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9, as a crash. Resolves once the process is gone. */
  async crash(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after a grace. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The services of one test: every one started here is stopped by `stopAll` (also after a failure). */
export class Services implements AsyncDisposable {
  readonly dir = mkdtempSync(join(tmpdir(), "codemode-cluster-"));
  private readonly started: Service[] = [];

  /** A bearer token for the daemons, in a file as a mounted secret would be. */
  readonly token = "cluster-test-token-0123456789abcdef";
  readonly tokenFile = join(this.dir, "token");

  constructor() {
    writeFileSync(this.tokenFile, `${this.token}\n`, { mode: 0o600 });
  }

  async start(name: string, port: number, command: string, args: string[]): Promise<Service> {
    const child = spawn(command, args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    const service = new Service(name, port, child);
    this.started.push(service);
    try {
      await listening(port, child, name);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${service.output}`);
    }
    return service;
  }

  /** redis-server with no persistence, on a free port. */
  async redis(): Promise<Service> {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir];
    return this.start("redis-server", port, "redis-server", args);
  }

  /** A daemon listening for WebSocket connections, its token from the token file. */
  async daemon(name: string, port?: number, extraArgs: string[] = []): Promise<Service> {
    const chosen = port ?? (await freePort());
    const bin = join(ROOT, "packages/daemon/bin/codemode-daemon.js");
    const args = [bin, "--listen", `127.0.0.1:${chosen}`, "--token-file", this.tokenFile, ...extraArgs];
    return this.start(name, chosen, process.execPath, args);
  }

  /**
   * HAProxy with the shipped configuration (deploy/haproxy/haproxy.cfg), its listener moved to
   * 127.0.0.1 and its servers replaced by `daemons`: the balancing rules are the shipped ones.
   */
  async haproxy(daemons: Service[]): Promise<Service> {
    const port = await freePort();
    const config = join(this.dir, "haproxy.cfg");
    writeFileSync(config, localHaproxyConfig(port, daemons));
    return this.start("haproxy", port, "haproxy", ["-db", "-f", config]);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((service) => service.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopAll();
  }
}

/** The shipped HAProxy configuration, rewritten to run on this machine against `daemons`. */
export function localHaproxyConfig(port: number, daemons: Service[]): string {
  const shipped = readFileSync(join(ROOT, "deploy/haproxy/haproxy.cfg"), "utf8");
  const replace = (text: string, pattern: RegExp, by: string) => {
    if (!pattern.test(text)) throw new Error(`deploy/haproxy/haproxy.cfg has no line matching ${pattern}`);
    return text.replace(pattern, by);
  };
  const servers = daemons
    .map((daemon) => `  server ${daemon.name} 127.0.0.1:${daemon.port} check inter 500 fall 2 rise 2`)
    .join("\n");
  let config = replace(shipped, /^ {2}bind .*$/m, `  bind 127.0.0.1:${port}`);
  config = replace(config, /^ {2}server-template .*$/m, servers);
  // No DNS here: the servers are addresses.
  config = replace(config, /^resolvers [\s\S]*?(?=^\S)/m, "");
  return config;
}
