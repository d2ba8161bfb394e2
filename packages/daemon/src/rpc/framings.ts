/** The message framings the daemon speaks (`--framing`). */
export const FRAMINGS = ["content-length", "ndjson"] as const;
export type Framing = (typeof FRAMINGS)[number];
