// A message reader whose input ends once (its end, or a stop): what it read is delivered
// first, then its end listeners run, then, if asked, the connection is told it closed.
import { AbstractMessageReader } from "vscode-jsonrpc/node";

type State = "reading" | "ended";

export abstract class EndingMessageReader extends AbstractMessageReader {
  private state: State = "reading";
  private readonly endListeners: (() => void)[] = [];

  /**
   * @param closeAtEnd At end of input, close the connection (nothing more can be written, or a
   *   client whose daemon is gone), or leave it open so that what was read is still answered
   *   (a daemon whose host closed its stdin).
   */
  constructor(private readonly closeAtEnd: boolean) {
    super();
  }

  protected get reading(): boolean {
    return this.state === "reading";
  }

  /** Called once, when input ended or reading stopped, after every message read was delivered. */
  onEnd(listener: () => void): void {
    if (this.state === "ended") listener();
    else this.endListeners.push(listener);
  }

  /** Reads no more: later input is ignored, as after its end. */
  stop(): void {
    if (this.state === "reading") this.end();
  }

  /** Stops listening to the input. */
  protected abstract detach(): void;

  protected end(): void {
    this.state = "ended";
    this.detach();
    for (const listener of this.endListeners.splice(0)) listener();
    if (this.closeAtEnd) this.fireClose();
  }
}
