// The real components of a deployment (networked daemons, HAProxy, Redis), started on 127.0.0.1
// on free ports, each with its own configuration in a temporary directory, and stopped (SIGKILL
// after a grace) at the end. Used by the cluster suite and by `pnpm bench:deploy`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

const STOP_GRACE_MS = 2_000;
const READY_TIMEOUT_MS = 10_000;

/** A port no one listens on now (the kernel's choice on 127.0.0.1). */
/** @returns {Promise<number>} */
export function freePort() {
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

/**
 * Resolves once something accepts TCP connections on 127.0.0.1:`port`; rejects when `child` exits first.
 * @param {number} port
 * @param {import("node:child_process").ChildProcess} child
 * @param {string} name
 */
async function listening(port, child, name) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before listening`);
    const open = await new Promise((resolve) => {
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
  /** What it wrote on stdout and stderr (the last MiB). */
  output = "";

  /**
   * @param {string} name
   * @param {number} port
   * @param {import("node:child_process").ChildProcess} child
   */
  constructor(name, port, child) {
    this.name = name;
    this.port = port;
    this.child = child;
    /** @type {Promise<void>} */
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    /** @param {Buffer} chunk */
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-1_000_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9, as a crash. Resolves once the process is gone. */
  async crash() {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after a grace. */
  async stop() {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The services of one test: every one started here is stopped by `stopAll` (also after a failure). */
export class Services {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "codemode-cluster-"));
    /** @type {Service[]} */
    this.started = [];
    /** A bearer token for the daemons, in a file as a mounted secret would be. */
    this.token = randomBytes(24).toString("base64url");
    this.tokenFile = join(this.dir, "token");
    writeFileSync(this.tokenFile, `${this.token}\n`, { mode: 0o600 });
  }

  /**
   * @param {string} name
   * @param {number} port
   * @param {string} command
   * @param {string[]} args
   */
  async start(name, port, command, args) {
    const child = spawn(command, args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    const service = new Service(name, port, child);
    this.started.push(service);
    try {
      await listening(port, child, name);
    } catch (error) {
      throw new Error(`${/** @type {Error} */ (error).message}\n${service.output}`);
    }
    return service;
  }

  /** redis-server with no persistence, on a free port. */
  async redis() {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir];
    return this.start("redis-server", port, "redis-server", args);
  }

  /**
   * A daemon listening for WebSocket connections, its token from the token file.
   * @param {string} name
   * @param {number} [port] default: a free one
   * @param {string[]} [extraArgs]
   */
  async daemon(name, port, extraArgs = []) {
    const chosen = port ?? (await freePort());
    const bin = join(ROOT, "packages/daemon/bin/codemode-daemon.js");
    const args = [bin, "--listen", `127.0.0.1:${chosen}`, "--token-file", this.tokenFile, ...extraArgs];
    return this.start(name, chosen, process.execPath, args);
  }

  /**
   * HAProxy with the shipped configuration (deploy/haproxy/haproxy.cfg), its listener moved to
   * 127.0.0.1 and its servers replaced by `daemons`: the balancing rules are the shipped ones.
   * @param {Service[]} daemons
   */
  async haproxy(daemons) {
    const port = await freePort();
    const config = join(this.dir, "haproxy.cfg");
    writeFileSync(config, localHaproxyConfig(port, daemons));
    return this.start("haproxy", port, "haproxy", ["-db", "-f", config]);
  }

  async stopAll() {
    await Promise.all(this.started.map((service) => service.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose]() {
    await this.stopAll();
  }
}

/**
 * The shipped HAProxy configuration, rewritten to run on this machine against `daemons`.
 * @param {number} port
 * @param {Service[]} daemons
 */
export function localHaproxyConfig(port, daemons) {
  const shipped = readFileSync(join(ROOT, "deploy/haproxy/haproxy.cfg"), "utf8");
  /** @type {(text: string, pattern: RegExp, by: string) => string} */
  const replace = (text, pattern, by) => {
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
