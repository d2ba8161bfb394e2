// The project's markdown, and the fenced code blocks in it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Lexer, type Tokens, walkTokens } from "marked";
import { ROOT } from "./workspace.js";

/** Every markdown file of the project: the README, docs/, and each package's README. */
export const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => `docs/${file}`),
  ...readdirSync(join(ROOT, "packages"))
    .map((pkg) => `packages/${pkg}/README.md`)
    .filter((file) => existsSync(join(ROOT, file))),
];

export interface CodeBlock {
  /** `<document> <language> block <n>`, n counting the document's blocks of those languages. */
  name: string;
  document: string;
  index: number;
  language: string;
  code: string;
}

/** The fenced code blocks of `document` whose language (the info string's first word) is one of `languages`. */
export function codeBlocks(document: string, languages: string[]): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  walkTokens(Lexer.lex(readFileSync(join(ROOT, document), "utf8")), (token) => {
    const language = token.type === "code" ? ((token as Tokens.Code).lang?.split(" ")[0] ?? "") : "";
    if (!languages.includes(language)) return;
    const index = blocks.length + 1;
    blocks.push({
      name: `${document} ${language} block ${index}`,
      document,
      index,
      language,
      code: (token as Tokens.Code).text,
    });
  });
  return blocks;
}
