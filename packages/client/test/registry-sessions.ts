// For tests of host tools over the real daemon: a client started before a file's tests and
// closed after, sessions whose delegate is a registry of host tools, and a tool to call.
import { CodeModeClient, type HostTool, type ToolRegistryOptions, toolRegistry } from "@codemode/client";
import { afterAll, beforeAll } from "vitest";

/** `a * b`, with an inputSchema requiring two numbers and no outputSchema. */
export const multiply: HostTool = {
  name: "multiply",
  description: "a times b",
  inputSchema: {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
  },
  handler: (input) => {
    const { a, b } = input as { a: number; b: number };
    return a * b;
  },
};

/** Registers the client's start and close with the file's hooks. */
export function registrySessions() {
  let started: CodeModeClient | undefined;
  beforeAll(async () => {
    started = await CodeModeClient.start();
  });
  afterAll(async () => {
    await started?.close();
  });
  const client = () => {
    if (!started) throw new Error("the client starts before the tests");
    return started;
  };
  return {
    client,
    /** A session whose delegate is the registry of `tools`. */
    async open(tools: HostTool[], options?: ToolRegistryOptions) {
      const registry = toolRegistry(tools, options);
      const session = await client().openSession({ delegate: registry });
      return { registry, session };
    },
  };
}
