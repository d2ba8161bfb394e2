// Learned result types over the real daemon: a session learns the type of results of tools
// without an outputSchema and the next exec description declares it, marked as observed.
import type { HostTool } from "@codemode/client";
import { createCodeModeTools } from "@codemode/client/model";
import { expect, it } from "vitest";
import { OBSERVED_TYPE_NOTE, toolDeclaration } from "../src/model/tool-description.js";
import { registrySessions } from "./registry-sessions.js";

const daemon = registrySessions();

const results: unknown[] = [];
const TOOLS: HostTool[] = [
  { name: "get_user", handler: () => results.shift() },
  {
    name: "count",
    outputSchema: { type: "number" },
    handler: () => "not a number, but declared as one",
  },
];

/** The declaration of `name` in exec's description. */
function declarationIn(description: string, name: string): string {
  const section = description.split(`### \`${name}\``)[1] ?? "";
  return section.split("```ts\n")[1]?.split("\n```")[0] ?? "";
}

async function agent() {
  const { registry, session } = await daemon.open(TOOLS);
  const codeMode = createCodeModeTools(session, { tools: registry.definitions });
  let calls = 0;
  const exec = (code: string) => codeMode.handle({ name: "exec", callId: `call_${++calls}`, input: code });
  return { session, codeMode, exec };
}

it("the next exec description declares the type observed in earlier results, marked as observed", async () => {
  const { session, codeMode, exec } = await agent();
  expect(declarationIn(codeMode.exec.description, "get_user")).toBe(
    "declare const tools: { get_user(args: unknown): Promise<unknown>; };",
  );
  results.push({ id: 1, name: "Ada", roles: ["admin"] }, { id: 2, name: "Bob", roles: [], email: "b@x" });
  await exec(`await tools.get_user(); await tools.get_user(); await tools.count();`);
  expect(declarationIn(codeMode.exec.description, "get_user")).toBe(
    `${OBSERVED_TYPE_NOTE}\ndeclare const tools: { get_user(args: unknown): Promise<{ email?: string; id: number; name: string; roles: Array<string>; }>; };`,
  );
  // A declared outputSchema always wins, whatever the results were.
  expect(declarationIn(codeMode.definitions[0].description, "count")).toBe(
    "declare const tools: { count(args: unknown): Promise<number>; };",
  );
  await session.shutdown();
});

it("the type is learned from the first results only, so it stays stable", async () => {
  const { session, codeMode, exec } = await agent();
  results.push(...Array.from({ length: 8 }, (_, id) => ({ id })), { id: "late", extra: true });
  await exec(`for (let i = 0; i < 9; i++) await tools.get_user();`);
  const declaration = declarationIn(codeMode.exec.description, "get_user");
  expect(declaration).toContain("Promise<{ id: number; }>");
  await exec(`await tools.get_user();`);
  expect(declarationIn(codeMode.exec.description, "get_user")).toBe(declaration);
  await session.shutdown();
});

it("each session learns on its own", async () => {
  const first = await agent();
  results.push({ a: 1 });
  await first.exec(`await tools.get_user();`);
  const second = await agent();
  expect(declarationIn(second.codeMode.exec.description, "get_user")).not.toContain(OBSERVED_TYPE_NOTE);
  expect(declarationIn(first.codeMode.exec.description, "get_user")).toContain("{ a: number; }");
  await first.session.shutdown();
  await second.session.shutdown();
});

it("a learned type too long to declare is left out", () => {
  const properties = Object.fromEntries(
    Array.from({ length: 16 }, (_, i) => [`property_with_a_long_name_${i}`, { type: "string" }]),
  );
  const object = { type: "object", properties };
  const wide = { type: "object", properties: { a: object, b: object, c: object, d: object } };
  expect(toolDeclaration({ name: "t", observedOutputSchema: wide })).toBe(
    "declare const tools: { t(args: unknown): Promise<unknown>; };",
  );
});
