// Bundles the compiled daemon into a few files, so that it starts fast: Node loads one file
// in place of a hundred modules (zod alone is most of them), and the small entry starts the
// first engine worker before the rest of the server is even read. Run after `tsc`.
import { readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const dist = new URL("../dist/", import.meta.url).pathname;

// Chunk names carry a hash of their content: drop the previous build's.
for (const name of readdirSync(dist)) if (name.startsWith("chunk-")) rmSync(`${dist}${name}`);

await build({
  entryPoints: {
    // The bin; the engine worker it starts sits beside it, where `new URL("./engine-worker.js",
    // import.meta.url)` finds it, as the shared chunks do (each resolves `../package.json`).
    "codemode-daemon": `${dist}bin.js`,
    "engine-worker": `${dist}engine/engine-worker.js`,
  },
  outdir: dist,
  // Every shared or lazily loaded piece is a chunk-*: the cleanup above finds them all.
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // QuickJS's build locates its .wasm file beside its own module: it stays a package import.
  external: ["@jitl/quickjs-wasmfile-release-sync", "@jitl/quickjs-wasmfile-debug-sync"],
  // vscode-jsonrpc is CommonJS and requires Node's modules; an ES module has no `require`.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
