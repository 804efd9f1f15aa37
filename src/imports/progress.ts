/** A progress line on stderr for long-running commands: phase, bar, count, rate. */
export class Progress {
  private readonly started = Date.now();
  private last = 0;
  private lastDone = 0;

  constructor(
    private readonly phase: string,
    private readonly total: number,
  ) {
    this.render(0);
  }

  update(done: number): void {
    const now = Date.now();
    // A terminal gets a live bar; a log file (CI) a line per 10 %.
    const step = process.stderr.isTTY ? now - this.last >= 200 : Math.floor((done / this.total) * 10) > Math.floor((this.lastDone / this.total) * 10);
    if (!step && done < this.total) return;
    this.last = now;
    this.lastDone = done;
    this.render(done);
  }

  done(): void {
    this.render(this.total);
    process.stderr.write('\n');
  }

  private render(done: number): void {
    const width = 30;
    const share = this.total ? Math.min(1, done / this.total) : 1;
    const bar = '█'.repeat(Math.round(share * width)).padEnd(width, '░');
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const line = `${this.phase.padEnd(22)} ${bar} ${String(Math.round(share * 100)).padStart(3)}%  ${done.toLocaleString('en')}/${this.total.toLocaleString('en')}  ${rate.toLocaleString('en')}/s  ${seconds.toFixed(1)}s`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
  }
}
