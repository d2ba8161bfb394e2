// What the daemon does once the host's input ends (or it sent `exit`): every message already
// read is handled in order and answered; cells that need nothing from the host may finish
// within a grace, then every cell left is terminated (its observer gets its items); once every
// answer is written, the process exits (code 0 if `shutdown` was among the messages).
import type { Wire } from "@codemode/wire";
import type { Logger } from "../logger.js";

/** After the grace's terminations, how long answers may take before the daemon exits regardless. */
const LAST_ANSWERS_MS = 2_000;

export interface EndOfInput {
  wire: Wire;
  /** Stops every cell of the connection's sessions. */
  shutdown(): Promise<void>;
  logger: Logger;
  graceMs: number;
  /** The exit code once every answer is written. */
  code(): number;
  exit(code: number): void;
}

export async function finishAfterInput({ wire, shutdown, logger, graceMs, code, exit }: EndOfInput): Promise<void> {
  let lastCall: NodeJS.Timeout | undefined;
  const grace = setTimeout(() => {
    logger.log("info", "input ended: terminating the cells still running", { graceMs });
    void shutdown();
    lastCall = setTimeout(() => {
      logger.log("error", "input ended: exiting with answers still due");
      exit(code());
    }, LAST_ANSWERS_MS);
  }, graceMs);
  await wire.allAnswered();
  clearTimeout(grace);
  clearTimeout(lastCall);
  // The notifications that follow answers (`cell/closed`) are sent from setImmediate.
  await new Promise((resolve) => setImmediate(resolve));
  await wire.writer.flushed();
  exit(code());
}
