/** The name a tool has on the cell's `tools` object: every char not valid in an ASCII JS identifier becomes `_`. */
export function jsToolName(name: string): string {
  if (name === "") return "_";
  let result = "";
  for (let i = 0; i < name.length; i++) {
    const char = name[i] as string;
    const valid = /[A-Za-z_$]/.test(char) || (i > 0 && /[0-9]/.test(char));
    result += valid ? char : "_";
  }
  return result;
}
