// The code of the project's markdown as written: every TypeScript snippet, and every JavaScript one
// that is a module, type-checked against the packages' sources and the real `openai` types.
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { codeBlocks, DOCUMENTS } from "./markdown.js";
import { ROOT } from "./workspace.js";

/** What the snippets leave to the reader: their host's own tools. */
const HOST = `
declare const hostTools: import("@codemode/client").HostTool[];
declare const hostToolDefinitions: import("@codemode/client").ToolDefinition[];
declare function runHostTool(
  call: import("@codemode/client").NestedToolCall,
  signal: AbortSignal,
): Promise<import("@codemode/client").JsonValue>;
`;

interface Snippet {
  name: string;
  /** Where the checker sees it: in the root, so that imports resolve as they would in a project. */
  path: string;
  code: string;
}

// A JavaScript block that neither imports nor exports is a cell: it runs in the sandbox, not in Node.
const isModule = (code: string) => /^(import|export) /m.test(code);

// An agent loop whose setup (and SDK) lives in an example file is checked there, and shown as is
// (packages/client/test/readme-examples.test.ts).
const checkedElsewhere = (code: string) => code.startsWith("// Type-checked with its setup in ");

const snippets: Snippet[] = DOCUMENTS.flatMap((document) =>
  codeBlocks(document, ["ts", "typescript", "js", "javascript"]).flatMap((block) => {
    const typescript = block.language.startsWith("t");
    if ((!typescript && !isModule(block.code)) || checkedElsewhere(block.code)) return [];
    const path = join(ROOT, `${document}.block-${block.index}.${typescript ? "ts" : "js"}`);
    return [{ name: block.name, path, code: block.code }];
  }),
);

/** Diagnostics of implicit `any`: plain JavaScript has no annotations to avoid them with. */
const IMPLICIT_ANY = new Set([7005, 7006, 7008, 7019, 7031, 7034]);

/** Type-checks every snippet in one program; the diagnostics of each, as text. */
function typeCheck(): Map<string, string[]> {
  const config = ts.parseJsonConfigFileContent(
    {
      extends: ["./tsconfig.base.json", "./tsconfig.check.json"],
      compilerOptions: { allowJs: true, checkJs: true, moduleDetection: "force" },
    },
    ts.sys,
    ROOT,
  );
  const virtual = new Map([[join(ROOT, "snippet-host.d.ts"), HOST], ...snippets.map((s) => [s.path, s.code] as const)]);
  const host = ts.createCompilerHost(config.options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = virtual.get(file);
    return text === undefined
      ? getSourceFile.call(host, file, language, ...rest)
      : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...virtual.keys()], config.options, host);
  const found = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName ?? "";
    if (file.endsWith(".js") && IMPLICIT_ANY.has(diagnostic.code)) continue;
    const position =
      diagnostic.file && diagnostic.start !== undefined
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
        : undefined;
    const where = position ? `${position.line + 1}:${position.character + 1}` : "";
    const message = `${where} TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    found.set(file, [...(found.get(file) ?? []), message]);
  }
  return found;
}

describe("the snippets of the README, docs/ and the packages' READMEs", () => {
  const diagnostics = typeCheck();

  it("are found", () => {
    expect(snippets.length).toBeGreaterThan(0);
  });

  it("leave nothing else with an error", () => {
    const others = [...diagnostics].filter(([file]) => !snippets.some((snippet) => snippet.path === file));
    expect(others).toEqual([]);
  });

  it.each(snippets)("$name type-checks", (snippet) => {
    expect(diagnostics.get(snippet.path) ?? []).toEqual([]);
  });
});
