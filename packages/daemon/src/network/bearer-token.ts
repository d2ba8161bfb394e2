// The network listener's bearer token (RFC 6750): read once at start, from `--token-file` or
// the CODEMODE_TOKEN environment variable, and checked on each WebSocket upgrade in constant
// time over SHA-256 digests, so that neither the token's text nor its length leaks.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { TOKEN_ENV } from "@codemode/protocol";

/** The token as configured: the file's text without a trailing newline (the flag wins over the environment). */
export function readToken(file: string | undefined, environment: NodeJS.ProcessEnv): string {
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new Error(`cannot read --token-file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else token = environment[TOKEN_ENV];
  if (token === undefined) throw new Error(`--listen needs a bearer token: --token-file <path> or ${TOKEN_ENV}`);
  if (token === "") throw new Error(`the bearer token is empty (${file === undefined ? TOKEN_ENV : file})`);
  return token;
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** Checks `Authorization` headers against one token. */
export class BearerToken {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** Whether the header is `Bearer <token>` (the scheme in any case, as HTTP's are). */
  accepts(authorization: string | undefined): boolean {
    const credentials = /^bearer +(.+?) *$/i.exec(authorization ?? "")?.[1];
    return credentials !== undefined && timingSafeEqual(digest(credentials), this.expected);
  }
}
