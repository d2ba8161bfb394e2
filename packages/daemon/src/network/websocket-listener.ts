// The daemon's network listener: an HTTP server whose one route is the WebSocket upgrade on `/`,
// behind the bearer token (checked before anything of the connection is read). Each accepted
// socket is one connection with its own `initialize`, served like stdio over connectWebSocket;
// all of them share one Daemon.
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { SESSION_HEADER, WEBSOCKET_PATH } from "@codemode/protocol";
import { connectWebSocket, keepAlive } from "@codemode/wire";
import { type WebSocket, WebSocketServer } from "ws";
import type { Daemon } from "../daemon.js";
import type { Logger } from "../logger.js";
import { startServer } from "../rpc/server.js";
import { timerDelay } from "../timer-delay.js";
import type { BearerToken } from "./bearer-token.js";
import { type ListenAddress, websocketUrl } from "./listen-address.js";

/** On stop, how long connections may take to close after the close frame (ms). */
const CLOSE_WAIT_MS = 1_000;
/** WebSocket close code of a stopping server (RFC 6455 §7.4.1, "going away"). */
const GOING_AWAY = 1001;

export interface ListenerOptions {
  address: ListenAddress;
  token: BearerToken;
  daemon: Daemon;
  logger: Logger;
  /** Each connection's message limit: a larger frame is refused by `ws`, which closes the connection (1009). */
  maxMessageBytes: number;
  /** How long a closed connection's sessions stay detached for another to re-attach them (ms). */
  reconnectGraceMs: number;
  /** How often each connection is pinged; one that missed the previous pong is closed (ms). */
  heartbeatMs: number;
}

export class WebSocketListener {
  private readonly server: Server;
  private readonly upgrades: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private stopping = false;

  private constructor(private readonly options: ListenerOptions) {
    this.upgrades = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
    this.server = createServer((_request, response) => {
      response.writeHead(426, { Upgrade: "websocket", Connection: "close" }).end();
    });
    this.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(request, socket, head),
    );
  }

  /** Listens on `options.address`; resolves once bound, with the port the system chose for port 0. */
  static async start(options: ListenerOptions): Promise<WebSocketListener> {
    const listener = new WebSocketListener(options);
    await new Promise<void>((resolve, reject) => {
      listener.server.once("error", reject);
      listener.server.listen(options.address.port, options.address.host, () => {
        listener.server.off("error", reject);
        resolve();
      });
    });
    return listener;
  }

  /** `ws://host:port/`, with the port bound. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return websocketUrl({ host: this.options.address.host, port });
  }

  /**
   * Stops accepting, stops the daemon (every cell terminated, its answers written), then closes
   * every connection (1001) and waits up to CLOSE_WAIT_MS for them to close.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.server.close();
    await this.options.daemon.stop();
    const closed = [...this.sockets].map((socket) => {
      socket.close(GOING_AWAY, "the daemon is stopping");
      return new Promise((resolve) => socket.once("close", resolve));
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { token, logger } = this.options;
    if (!token.accepts(request.headers.authorization)) {
      logger.log("info", "upgrade refused: no valid bearer token", { remote: request.socket.remoteAddress });
      refuse(socket, 401, "WWW-Authenticate: Bearer\r\n");
      return;
    }
    const path = pathOf(request.url ?? "/");
    if (path === undefined) refuse(socket, 400);
    else if (path !== WEBSOCKET_PATH) refuse(socket, 404);
    else if (this.stopping) refuse(socket, 503);
    else this.upgrades.handleUpgrade(request, socket, head, (websocket) => this.serve(websocket, request));
  }

  private serve(socket: WebSocket, request: IncomingMessage): void {
    const { daemon, logger, maxMessageBytes, reconnectGraceMs } = this.options;
    logger.log("debug", "connection accepted", {
      remote: request.socket.remoteAddress,
      session: request.headers[SESSION_HEADER.toLowerCase()],
    });
    this.sockets.add(socket);
    keepAlive(socket, {
      intervalMs: timerDelay(this.options.heartbeatMs),
      stream: request.socket,
      onSilent: () =>
        logger.log("info", "connection closed: nothing from it since the last ping", {
          heartbeatMs: this.options.heartbeatMs,
        }),
    });
    socket.once("close", () => this.sockets.delete(socket));
    startServer({
      // Two messages of the largest size may wait for a slow reader; more closes the connection.
      wire: connectWebSocket(socket, { maxMessageBytes, maxBufferedBytes: 2 * maxMessageBytes, logger }),
      logger,
      daemon,
      atEnd: { kind: "detach-sessions", graceMs: reconnectGraceMs, close: () => socket.close() },
    });
  }
}

/** The path of a request target; undefined when it is no URL (`GET http://[/`). */
function pathOf(target: string): string | undefined {
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

/** Answers the upgrade request with `status` and closes the socket, reading nothing more. */
function refuse(socket: Duplex, status: number, headers = ""): void {
  socket.on("error", () => {});
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
