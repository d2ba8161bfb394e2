// `exec` and `wait` as Vercel AI SDK (v6) tools: ready `tool()` objects that run cells in a
// code mode session and answer with what the model reads.
export { type CodeModeToolSet, codeModeTools } from "./code-mode-tools.js";
