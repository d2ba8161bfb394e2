// Approvals without replay, over the real daemon: a call of a tool that needs approval stays
// pending in its live cell until the host approves or denies it, and exec/wait say so.
import {
  type ContentItem,
  type HostTool,
  type PendingApproval,
  type ToolRegistryOptions,
  toolRegistry,
} from "@codemode/client";
import { createCodeModeTools } from "@codemode/client/model";
import { daemonProcess } from "@codemode/client/testing";
import { describe, expect, it } from "vitest";
import { registrySessions } from "./registry-sessions.js";

const daemon = registrySessions();

const header = (items: ContentItem[]) => (items[0]?.type === "text" ? items[0].text : "").split("\n");
const output = (items: ContentItem[]) => items.slice(1).map((item) => (item.type === "text" ? item.text : item.type));

/** A session over a registry of `tools`, with exec and wait as a model calls them. */
async function agent(tools: HostTool[], options?: ToolRegistryOptions) {
  const { registry, session } = await daemon.open(tools, options);
  const codeMode = createCodeModeTools(session, { tools: registry.definitions, approvals: registry });
  let calls = 0;
  const exec = (code: string, yieldTimeMs = 300) =>
    codeMode.handle({
      name: "exec",
      callId: `call_${++calls}`,
      input: `// @exec: {"yield_time_ms": ${yieldTimeMs}}\n${code}`,
    });
  const wait = (cellId: string, more: object = {}) =>
    codeMode.handle({
      name: "wait",
      callId: `call_${++calls}`,
      input: { cell_id: cellId, yield_time_ms: 300, ...more },
    });
  return { registry, session, exec, wait };
}

/** A tool that needs approval and counts the runs of its handler. */
function guarded(needsApproval: HostTool["needsApproval"] = true) {
  const runs: unknown[] = [];
  const tool: HostTool = {
    name: "delete_file",
    inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    needsApproval,
    handler: (input) => {
      runs.push(input);
      return `deleted ${(input as { path: string }).path}`;
    },
  };
  return { tool, runs };
}

/** Resolves once `predicate` holds (polled). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("approvals", () => {
  it("a call waits in the live cell, is named by exec and wait, and runs once when approved", async () => {
    const { tool, runs } = guarded();
    const { registry, session, exec, wait } = await agent([tool]);
    const first = await exec(`text("asking"); text(await tools.delete_file({ path: "a.txt" }));`);
    expect(header(first).slice(0, 2)).toEqual([
      "Script running with cell ID 1",
      "Waiting for approval: tools.delete_file (tool-1)",
    ]);
    expect(output(first)).toEqual(["asking"]);
    expect(registry.pendingApprovals()).toEqual([
      { cellId: "1", callId: "tool-1", tool: "delete_file", input: { path: "a.txt" } },
    ]);
    expect(header(await wait("1"))[1]).toBe("Waiting for approval: tools.delete_file (tool-1)");
    expect(runs).toEqual([]);

    registry.approve("tool-1");
    const done = await wait("1", { yield_time_ms: 10_000 });
    expect(header(done).slice(0, 2)).toEqual(["Script completed", expect.stringMatching(/^Wall time/)]);
    expect(output(done)).toEqual(["deleted a.txt"]);
    expect(runs).toEqual([{ path: "a.txt" }]);
    expect(registry.pendingApprovals()).toEqual([]);
    await session.shutdown();
  });

  it("a denial rejects the cell's promise with the reason, and the handler never runs", async () => {
    const { tool, runs } = guarded();
    const requests: PendingApproval[] = [];
    const { registry, session, exec } = await agent([tool], {
      onApprovalRequest: (request) => {
        requests.push(request);
        registry.deny(request.callId, "the user keeps a.txt");
      },
    });
    const answer = await exec(
      `try { await tools.delete_file({ path: "a.txt" }); } catch (error) { text(error); }`,
      10_000,
    );
    expect(header(answer)[0]).toBe("Script completed");
    expect(output(answer)).toEqual(["tools.delete_file was denied: the user keeps a.txt"]);
    expect(requests.map((request) => request.callId)).toEqual(["tool-1"]);
    expect(runs).toEqual([]);
    await session.shutdown();
  });

  it("terminating the cell ends the wait: the handler never runs and a late approve says why", async () => {
    const { tool, runs } = guarded();
    const { registry, session, exec, wait } = await agent([tool]);
    await exec(`await tools.delete_file({ path: "a.txt" });`);
    expect(header(await wait("1", { terminate: true }))[0]).toBe("Script terminated");
    await until(() => registry.pendingApprovals().length === 0);
    expect(() => registry.approve("tool-1")).toThrow(
      "tool-1 no longer waits for approval: its cell ended first (terminated, or lost with its daemon), and the call with it",
    );
    expect(() => registry.deny("tool-9", "no")).toThrow("no call tool-9 waits for approval");
    expect(runs).toEqual([]);
    await session.shutdown();
  });

  it("a cell with two calls pending names both; each is decided on its own", async () => {
    const { tool, runs } = guarded();
    const { registry, session, exec, wait } = await agent([tool]);
    const first = await exec(
      `const results = await Promise.allSettled([tools.delete_file({ path: "a" }), tools.delete_file({ path: "b" })]);
      text(results.map((r) => r.status === "fulfilled" ? r.value : r.reason).join(" | "));`,
    );
    expect(header(first)[1]).toBe("Waiting for approval: tools.delete_file (tool-1), tools.delete_file (tool-2)");
    registry.deny("tool-2", "keep b");
    expect(header(await wait("1"))[1]).toBe("Waiting for approval: tools.delete_file (tool-1)");
    registry.approve("tool-1");
    expect(output(await wait("1", { yield_time_ms: 10_000 }))).toEqual([
      "deleted a | tools.delete_file was denied: keep b",
    ]);
    expect(runs).toEqual([{ path: "a" }]);
    await session.shutdown();
  });

  it("needsApproval as a function decides per call, from input already checked", async () => {
    const seen: unknown[] = [];
    const { tool, runs } = guarded((input) => {
      seen.push(input);
      return (input as { path: string }).path.startsWith("/");
    });
    const { session, exec } = await agent([tool]);
    const answer = await exec(
      `text(await tools.delete_file({ path: "tmp.txt" }));
      try { await tools.delete_file({ path: 1 }); } catch (error) { text(error); }`,
      10_000,
    );
    expect(output(answer)).toEqual(["deleted tmp.txt", "tools.delete_file: input.path must be string"]);
    expect(seen).toEqual([{ path: "tmp.txt" }]);
    expect(runs).toEqual([{ path: "tmp.txt" }]);
    await session.shutdown();
  });

  it("calls of two cells with one id are told apart by the cell", async () => {
    const { tool, runs } = guarded();
    const { registry, session, exec } = await agent([tool]);
    await exec(`text(await tools.delete_file({ path: "a" }));`);
    await exec(`text(await tools.delete_file({ path: "b" }));`);
    expect(() => registry.approve("tool-1")).toThrow("tool-1 waits for approval in cells 1, 2: name the cell");
    registry.approve("tool-1", "2");
    await until(() => runs.length === 1);
    expect(runs).toEqual([{ path: "b" }]);
    await session.shutdown();
    expect(registry.pendingApprovals()).toEqual([]);
  });

  it("a call waiting for approval is lost with its daemon: the cell ends, and a late approve says so", async () => {
    const { tool, runs } = guarded();
    const { registry, session, exec } = await agent([tool]);
    await exec(`await tools.delete_file({ path: "a.txt" });`);
    expect(registry.pendingApprovals()).toHaveLength(1);
    daemonProcess(daemon.client())?.kill();
    await until(() => registry.pendingApprovals().length === 0);
    expect(() => registry.approve("tool-1")).toThrow("tool-1 no longer waits for approval: its cell ended first");
    expect(runs).toEqual([]);
    // The session lives on in a new daemon, where the cell is missing.
    const again = await exec(`text("back");`, 10_000);
    expect(output(again)).toEqual(["back"]);
    await session.shutdown();
  });

  it("an approval handler that throws denies the call instead of leaving it waiting", async () => {
    const { tool, runs } = guarded();
    const { registry, session, exec } = await agent([tool], {
      onApprovalRequest: () => {
        throw new Error("no terminal");
      },
    });
    const answer = await exec(`try { await tools.delete_file({ path: "a" }); } catch (error) { text(error); }`, 10_000);
    expect(output(answer)).toEqual(["tools.delete_file was denied: the approval request failed: no terminal"]);
    expect(registry.pendingApprovals()).toEqual([]);
    expect(runs).toEqual([]);
    await session.shutdown();
  });

  it("needsApproval of another type refuses the registry", () => {
    const tool = { name: "x", handler() {}, needsApproval: "yes" };
    expect(() => toolRegistry([tool as unknown as HostTool])).toThrow(
      "tool 0 (x): `needsApproval` must be a boolean or a function",
    );
  });
});
