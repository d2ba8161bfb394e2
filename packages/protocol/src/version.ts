/** Version of the wire protocol; `initialize` refuses a different major version. */
export const PROTOCOL_VERSION = "1.0";

export function protocolMajor(version: string): string {
  return version.split(".")[0] ?? version;
}
