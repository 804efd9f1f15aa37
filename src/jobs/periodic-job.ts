import type { Logger } from 'pino';
import { jobContext } from './job-context.js';

/**
 * Runs `work` every `intervalMs`. The timer is unref'd so it never keeps the process alive; a run
 * still going when the next tick comes is not doubled; stop() waits for a run in flight.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    private readonly work: () => Promise<Record<string, unknown> | null>,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs).unref();
    void this.runOnce();
  }

  /** One run now, unless one is going (then that one is awaited). Never throws: failures are logged. */
  runOnce(): Promise<void> {
    this.running ??= jobContext
      .run(this.name, () => this.work())
      .then((result) => {
        if (result) this.log.info(result, `${this.name} done`);
      })
      .catch((error: unknown) => this.log.error({ err: error }, `${this.name} failed`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
