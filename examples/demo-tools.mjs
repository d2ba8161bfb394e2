// Host tools for the demo, in the shape `codemode run --tools` loads: the default export is an
// array of { name, description, inputSchema, outputSchema?, handler }.
//   read_file — reads a file of this repository (host I/O the cell cannot do itself)
//   sha256    — hashes a text on the host
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

export default [
  {
    name: "read_file",
    description: "Reads a text file of the repository.",
    inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    outputSchema: {
      type: "object",
      properties: {
        path: { type: "string" },
        bytes: { type: "number" },
        lines: { type: "number" },
        text: { type: "string" },
      },
      required: ["path", "bytes", "lines", "text"],
    },
    async handler({ path }) {
      const full = resolve(root, path);
      if (relative(root, full).startsWith("..")) throw new Error(`${path} is outside the repository`);
      const text = await readFile(full, "utf8");
      return { path, bytes: Buffer.byteLength(text), lines: text.split("\n").length, text };
    },
  },
  {
    name: "sha256",
    description: "SHA-256 of a text, in hex.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    outputSchema: { type: "string" },
    async handler({ text }) {
      return createHash("sha256").update(text).digest("hex");
    },
  },
];
