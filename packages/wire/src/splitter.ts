// What cutting a byte stream into messages yields, whatever the framing.

/** One step of cutting: bytes used up, and a message body, an error to answer, or a note to log. */
export interface Piece {
  consumed: number;
  /** A message body: a view of the read buffer, valid until the bytes are consumed. */
  body?: Buffer;
  /** Damaged input that is answered with an error (id null). */
  error?: string;
  /** Input skipped while looking for the next message: logged, not answered (it has no id). */
  skipped?: string;
}

/** Cuts a byte stream into message bodies; `undefined` when more bytes are needed. */
export interface Splitter {
  next(buffer: Buffer): Piece | undefined;
  /** At end of input: what is left of the buffer (a last line without its newline is a message). */
  finish(buffer: Buffer): Piece | undefined;
}

/** The first bytes of `bytes`, printable, for log lines about input that is not understood. */
export function preview(bytes: Buffer): string {
  return JSON.stringify(bytes.toString("latin1", 0, Math.min(bytes.length, 40)));
}
