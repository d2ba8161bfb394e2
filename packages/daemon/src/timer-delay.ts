// Every timer the daemon arms for a cell (its timers, yield deadlines) goes through this, so
// that a delay past Node's maximum means "not for 24.8 days" rather than "now".
import { MAX_TIMER_DELAY_MS } from "@codemode/protocol/defaults";

export const timerDelay = (ms: number): number => Math.min(ms, MAX_TIMER_DELAY_MS);
