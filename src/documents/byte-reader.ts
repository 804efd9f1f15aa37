/** Reads a stream of chunks in order, a few bytes or a long run at a time, holding one chunk at most. */
export class ByteReader {
  /** Offset in the file of the next byte to be read. */
  position = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private at = 0;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(chunks: AsyncIterable<Buffer>) {
    this.chunks = chunks[Symbol.asyncIterator]();
  }

  /** Makes at least `n` bytes available unless the stream ends first; false then. */
  private async want(n: number): Promise<boolean> {
    while (this.buffer.length - this.at < n) {
      const next = await this.chunks.next();
      if (next.done) return false;
      this.buffer = this.at < this.buffer.length ? Buffer.concat([this.buffer.subarray(this.at), next.value]) : next.value;
      this.at = 0;
    }
    return true;
  }

  /** The next byte, or -1 at the end. */
  async byte(): Promise<number> {
    if (!(await this.want(1))) return -1;
    this.position++;
    return this.buffer[this.at++];
  }

  /** Exactly `n` bytes (n is small: a header), or null when the stream ends first. */
  async take(n: number): Promise<Buffer | null> {
    if (!(await this.want(n))) return null;
    const bytes = this.buffer.subarray(this.at, this.at + n);
    this.at += n;
    this.position += n;
    return bytes;
  }

  /** Passes over `n` bytes, handing each piece to `each`; false when the stream ends first. */
  async skip(n: number, each?: (bytes: Buffer) => void): Promise<boolean> {
    while (n > 0) {
      if (!(await this.want(1))) return false;
      const piece = this.buffer.subarray(this.at, this.at + Math.min(n, this.buffer.length - this.at));
      each?.(piece);
      this.at += piece.length;
      this.position += piece.length;
      n -= piece.length;
    }
    return true;
  }

  /** Passes over bytes up to the next `value`, which is consumed; false when there is none. */
  async skipPast(value: number): Promise<boolean> {
    for (;;) {
      if (!(await this.want(1))) return false;
      const found = this.buffer.indexOf(value, this.at);
      const until = found === -1 ? this.buffer.length : found + 1;
      this.position += until - this.at;
      this.at = until;
      if (found !== -1) return true;
    }
  }

  async atEnd(): Promise<boolean> {
    return !(await this.want(1));
  }
}
