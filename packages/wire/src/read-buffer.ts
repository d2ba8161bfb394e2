// The bytes read from the peer and not yet cut into messages. It grows by doubling and
// reuses its space, so a message that arrives in thousands of chunks costs time linear in its
// size (appending with Buffer.concat copies everything held on every chunk: a 32 MiB message
// took seconds of the main thread).

const INITIAL_BYTES = 64 * 1024;

export class ReadBuffer {
  private bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  private start = 0;
  private end = 0;

  /** The bytes held, as a view (valid until the next `append`). */
  get view(): Buffer {
    return this.bytes.subarray(this.start, this.end);
  }

  append(chunk: Buffer): void {
    if (this.end + chunk.length > this.bytes.length) this.makeRoom(chunk.length);
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
  }

  /** Drops the first `count` bytes held. */
  consume(count: number): void {
    this.start += count;
    if (this.start < this.end) return;
    this.start = 0;
    this.end = 0;
    // A large message is gone: do not keep its space.
    if (this.bytes.length > INITIAL_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  private makeRoom(extra: number): void {
    const held = this.end - this.start;
    const needed = held + extra;
    const target =
      needed <= this.bytes.length ? this.bytes : Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(target, 0, this.start, this.end);
    this.bytes = target;
    this.start = 0;
    this.end = held;
  }
}
