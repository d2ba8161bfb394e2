// Without `--framing`, the daemon reads the framing off the first bytes; input in neither
// framing, or in the other one than the flag says, gets a clear line on stderr.
import { describe, expect, it } from "vitest";
import { INIT, RawClient } from "./raw-client.js";

async function stderrContains(client: RawClient, text: string): Promise<void> {
  const start = Date.now();
  while (!client.stderr.includes(text) && Date.now() - start < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(client.stderr).toContain(text);
}

describe.each(["content-length", "ndjson"] as const)("framing detected from %s input", (framing) => {
  it("is answered in the same framing", async () => {
    const client = new RawClient(framing, () => null, [], { framingFlag: false });
    expect((await client.request(1, "initialize", INIT)).result).toMatchObject({ protocolVersion: "1.0" });
    expect((await client.request(2, "session/open", { sessionId: "s" })).result).toEqual({ sessionId: "s" });
    client.close();
    expect(await client.exited).toBe(1);
  });
});

describe("input in no framing, or not the one the flag names", () => {
  it("input that starts as neither gets a stderr line, and the messages after it are answered", async () => {
    const client = new RawClient("ndjson", () => null, [], { framingFlag: false });
    client.writeRaw("hello daemon\n");
    expect((await client.request(1, "initialize", INIT)).result).toMatchObject({ protocolVersion: "1.0" });
    await stderrContains(client, "input is neither Content-Length framed nor newline-delimited JSON");
    client.close();
    await client.exited;
  });

  it("newline-delimited JSON sent with --framing content-length gets a stderr line naming the flag", async () => {
    const client = new RawClient("content-length");
    client.writeRaw(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: INIT })}\n`);
    await stderrContains(client, "newline-delimited JSON needs --framing ndjson");
    client.close();
    await client.exited;
  });

  it("a Content-Length header sent with --framing ndjson is answered with a parse error that says so", async () => {
    const client = new RawClient("ndjson");
    client.writeRaw("Content-Length: 2\r\n\r\n{}\n");
    const answer = await client.waitFor((m) => m.error !== undefined);
    expect(answer.error?.message).toBe(
      "parse error: a Content-Length header, where one JSON message per line was expected",
    );
    client.close();
    await client.exited;
  });
});
