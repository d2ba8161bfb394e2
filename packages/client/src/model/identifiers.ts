// JavaScript names in declarations: which property names can go unquoted, and the tool names
// the cell sees on `tools` (defined once, in the protocol package).

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `name` can be written bare (`{ name: T }`) rather than quoted in TypeScript. */
export function isJsIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export { jsToolName } from "@codemode/protocol";
