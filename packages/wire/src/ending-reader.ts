// A message reader whose input ends once (its end, or a stop): what it read is delivered
// first, then its end listeners run, then, if asked, the connection is told it closed.
import { AbstractMessageReader, type Disposable } from "vscode-jsonrpc/node";

type State = "reading" | "ended";
type Listener = Parameters<NodeJS.EventEmitter["on"]>[1];

export abstract class EndingMessageReader extends AbstractMessageReader {
  private state: State = "reading";
  private readonly endListeners: (() => void)[] = [];
  private unsubscribe: (() => void) | undefined;

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

  /** Listens to the input's events until it ends, or the connection disposes of the reader. */
  protected subscribe(input: NodeJS.EventEmitter, listeners: Record<string, Listener>): Disposable {
    for (const [event, listener] of Object.entries(listeners)) input.on(event, listener);
    this.unsubscribe = () => {
      for (const [event, listener] of Object.entries(listeners)) input.off(event, listener);
    };
    return { dispose: () => this.unsubscribe?.() };
  }

  protected end(): void {
    this.state = "ended";
    this.unsubscribe?.();
    for (const listener of this.endListeners.splice(0)) listener();
    if (this.closeAtEnd) this.fireClose();
  }
}
