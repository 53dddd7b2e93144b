/**
 * Buffered line output for commands that print a lot (decode): lines are joined into chunks and written with
 * backpressure, and a closed pipe (`flowlens decode x | head`) ends the output quietly instead of raising EPIPE.
 */
import type { Writable } from "node:stream";

const CHUNK_BYTES = 64 * 1024;

/** Collects lines and writes them to `stream` in chunks of about 64 KiB. */
export class LineWriter {
  private pending: string[] = [];
  private pendingLength = 0;
  /** True once the reader went away (EPIPE); further lines are dropped. */
  closed = false;

  constructor(private readonly stream: Writable) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") this.closed = true;
      else throw e;
    });
  }

  /** Queues one line (without its newline); flushes when the chunk is full. */
  async line(text: string): Promise<void> {
    if (this.closed) return;
    this.pending.push(text);
    this.pendingLength += text.length + 1;
    if (this.pendingLength >= CHUNK_BYTES) await this.flush();
  }

  /** Writes everything queued and waits for the stream to accept it. */
  async flush(): Promise<void> {
    if (this.pending.length === 0 || this.closed) return;
    const chunk = `${this.pending.join("\n")}\n`;
    this.pending = [];
    this.pendingLength = 0;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off("drain", done);
          this.stream.off("close", done);
          resolve();
        };
        this.stream.on("drain", done);
        this.stream.on("close", done);
      });
    }
  }
}
