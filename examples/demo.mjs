// Demo: a cell that calls two real host tools through the daemon, in a loop with Promise.all.
//   read_file — reads a file of this repository (host I/O the cell cannot do itself)
//   sha256    — hashes a text on the host
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CodeModeClient } from "@codemode/client";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

const tools = {
  async read_file({ path }) {
    const full = resolve(root, path);
    if (relative(root, full).startsWith("..")) throw new Error(`${path} is outside the repository`);
    const text = await readFile(full, "utf8");
    return { path, bytes: Buffer.byteLength(text), lines: text.split("\n").length, text };
  },
  async sha256({ text }) {
    return createHash("sha256").update(text).digest("hex");
  },
};

const enabledTools = [
  {
    name: "read_file",
    description: "Reads a text file of the repository.",
    inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
  {
    name: "sha256",
    description: "SHA-256 of a text, in hex.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  },
];

const source = `
const paths = ["package.json", "README.md", "pnpm-workspace.yaml", "tsconfig.base.json"];
const files = await Promise.all(paths.map((path) => tools.read_file({ path })));
const hashes = await Promise.all(files.map((file) => tools.sha256({ text: file.text })));
for (let i = 0; i < files.length; i++) {
  text(files[i].path + ": " + files[i].lines + " lines, " + files[i].bytes + " bytes, sha256 " + hashes[i].slice(0, 16));
}
text("total bytes: " + files.reduce((sum, file) => sum + file.bytes, 0));
`;

const client = await CodeModeClient.start();
const session = await client.openSession({
  delegate: {
    invokeTool: async (call) => {
      console.log(`  host ran ${call.tool.name} (${call.callId}) ${JSON.stringify(call.input).slice(0, 60)}`);
      return tools[call.tool.name](call.input);
    },
    notify: async (n) => console.log(`  notify: ${n.text}`),
  },
});

try {
  console.log("cell source:", source);
  const cell = await session.execute({ toolCallId: "demo-1", source, enabledTools });
  const outcome = await cell.initialResponse;
  console.log(`\ncell ${outcome.cellId} ${outcome.status}${outcome.errorText ? `: ${outcome.errorText}` : ""}`);
  for (const item of outcome.items) console.log(item.type === "text" ? `  ${item.text}` : `  [image ${item.detail}]`);
  if (outcome.status !== "completed" || outcome.errorText) process.exitCode = 1;
} finally {
  await session.shutdown();
  await client.close();
}
