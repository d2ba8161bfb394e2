// Node keeps a timer's delay only up to 2^31 − 1 ms (about 24.8 days) and fires a longer one
// at once; every timer the daemon arms for a cell (its timers, yield deadlines) goes through
// this, so that a longer delay means "not for 24.8 days" rather than "now".

export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export const timerDelay = (ms: number): number => Math.min(ms, MAX_TIMER_DELAY_MS);
