// A scripted fake model behind a real HTTP endpoint, so that a model API's own SDK client talks
// to it in that API's exact wire shapes: each request gets the next turn's answer.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One turn: gets the request body (parsed JSON), returns the response body. */
export type Turn = (request: Record<string, unknown>) => unknown;

export interface ScriptedModel extends AsyncDisposable {
  /** `http://127.0.0.1:{port}`. */
  url: string;
  /** The request bodies received, in order. */
  requests: Record<string, unknown>[];
  /** The paths requested, in order. */
  paths: string[];
}

/** Serves `turns` in order; a request past the last is answered 500. */
export async function scriptedModel(turns: Turn[]): Promise<ScriptedModel> {
  const requests: Record<string, unknown>[] = [];
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const parsed = JSON.parse(body || "{}") as Record<string, unknown>;
      requests.push(parsed);
      paths.push(request.url ?? "");
      const turn = turns[requests.length - 1];
      let answer: unknown;
      try {
        if (turn === undefined) throw new Error(`no turn ${requests.length} in the script`);
        answer = turn(parsed);
      } catch (error) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: (error as Error).message } }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    paths,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The text of every text part of `content` (a string, or an array of `{ type: "text", text }` parts). */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part: { type?: string; text?: string }) => (part.type === "text" ? part.text : "")).join("");
}
