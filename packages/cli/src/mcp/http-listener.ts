// `codemode mcp --http <host:port>`: the same server over Streamable HTTP, one code-mode session
// per MCP session. The SDK's Express app guards loopback listeners against DNS rebinding, and its
// bearer middleware checks the token when there is one.
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { CodeModeServer } from "./code-mode-server.js";

/** Hosts a listener may bind without a token: only this machine can reach them. */
export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"];

export interface HttpListenerOptions {
  host: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** A server for a new MCP session. */
  open(): Promise<CodeModeServer>;
}

export interface HttpListener {
  /** Where the MCP endpoint listens, e.g. `http://127.0.0.1:8123/mcp`. */
  url: string;
  /** Tells every connected client that `exec`'s description changed. */
  toolsChanged(): void;
  /** Ends every MCP session (their cells stop) and stops listening. */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  served: CodeModeServer;
  end(): Promise<void>;
}

// Express hands the parsed JSON body over as `body`; its own types are not a dependency here.
type Request = IncomingMessage & { body?: unknown };

/** Starts listening; rejects if the address cannot be bound. */
export async function listenHttp(options: HttpListenerOptions): Promise<HttpListener> {
  const app = createMcpExpressApp({ host: options.host });
  const { token } = options;
  if (token !== undefined) app.use(requireBearerAuth({ verifier: { verifyAccessToken: staticToken(token) } }));
  const sessions = new Map<string, Session>();

  async function openSession(req: Request, res: ServerResponse): Promise<void> {
    const served = await options.open();
    let ended: Promise<void> | undefined;
    const session: Session = {
      served,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, session);
        },
        onsessionclosed: () => session.end(),
      }),
      end() {
        ended ??= (async () => {
          const id = session.transport.sessionId;
          if (id !== undefined) sessions.delete(id);
          await served.close();
        })();
        return ended;
      },
    };
    served.server.onclose = () => void session.end();
    await served.server.connect(session.transport);
    await session.transport.handleRequest(req, res, req.body);
    // Only an `initialize` starts a session; the transport refused anything else.
    if (session.transport.sessionId === undefined) await session.end();
  }

  app.all("/mcp", async (req: Request, res: ServerResponse) => {
    const id = req.headers["mcp-session-id"];
    const session = typeof id === "string" ? sessions.get(id) : undefined;
    if (session !== undefined) return session.transport.handleRequest(req, res, req.body);
    if (id === undefined) return openSession(req, res);
    res
      .writeHead(404, { "content-type": "application/json" })
      .end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
  });

  const server: HttpServer = await new Promise((resolve, reject) => {
    const listening: HttpServer = app.listen(options.port, options.host, () => resolve(listening));
    listening.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/mcp`,
    toolsChanged() {
      for (const session of sessions.values()) session.served.toolsChanged();
    },
    async close() {
      await Promise.all([...sessions.values()].map((session) => session.end()));
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    },
  };
}

/** A verifier that accepts exactly `token` (compared in constant time), for as long as the process lives. */
function staticToken(token: string) {
  const expected = Buffer.from(token);
  return async (presented: string) => {
    const given = Buffer.from(presented);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidTokenError("invalid bearer token");
    }
    // The middleware wants an expiry: this token lasts until the process ends.
    return { token: presented, clientId: "codemode-mcp", scopes: [], expiresAt: Number.MAX_SAFE_INTEGER };
  };
}
