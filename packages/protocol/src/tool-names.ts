/**
 * The name a tool has on a cell's `tools` object: every char not valid in an ASCII JS
 * identifier becomes `_` (a leading digit too; empty → `_`). Per UTF-16 code unit, so an
 * astral char becomes `__`. The daemon builds `tools` with it and the model-facing layer
 * declares the same names.
 */
export function jsToolName(name: string): string {
  if (name === "") return "_";
  let result = "";
  for (let i = 0; i < name.length; i++) {
    const char = name.charAt(i);
    const valid = /[A-Za-z_$]/.test(char) || (i > 0 && /[0-9]/.test(char));
    result += valid ? char : "_";
  }
  return result;
}
