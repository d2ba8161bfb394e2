// Newline-delimited JSON output (one message per line, as MCP's stdio transport).
import { AbstractMessageWriter, type Message } from "vscode-jsonrpc/node";

export class NdjsonMessageWriter extends AbstractMessageWriter {
  constructor(private readonly output: NodeJS.WritableStream) {
    super();
    output.on("error", (error: Error) => this.fireError(error));
    output.on("close", () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.output.write(`${JSON.stringify(message)}\n`, (error) => {
        if (error) {
          this.fireError(error, message);
          reject(error);
        } else resolve();
      });
    });
  }

  end(): void {}
}
