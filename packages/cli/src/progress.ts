/**
 * `run`'s live progress on stderr: a cli-progress bar of succeeded pods against completions when stderr
 * is a terminal, otherwise one plain status line per change. Pod log lines go to stdout through
 * `writeLog`, which keeps the bar from being torn when both streams share a terminal.
 */
import type { Job } from '@jobfleet/kube';
import { MultiBar, Presets, type GenericBar } from 'cli-progress';

export interface JobProgress {
  update(job: Job): void;
  writeLog(line: string): void;
  stop(): void;
}

export interface ProgressStreams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function createJobProgress(job: Job, streams: ProgressStreams = { stdout: process.stdout, stderr: process.stderr }): JobProgress {
  return streams.stderr.isTTY ? new BarProgress(job, streams) : new LineProgress(streams);
}

/** `echo-job: 1 active, 0 succeeded, 0 failed` */
export function progressLine(job: Job): string {
  const { active = 0, succeeded = 0, failed = 0 } = job.status ?? {};
  return `${job.metadata.name ?? ''}: ${active} active, ${succeeded} succeeded, ${failed} failed`;
}

/** How many successes finish the Job: completions, or 1 for a work queue (completions unset). */
export function completionTarget(job: Job): number {
  return job.spec.completions ?? 1;
}

class LineProgress implements JobProgress {
  private last = '';

  constructor(private readonly streams: ProgressStreams) {}

  update(job: Job): void {
    const line = progressLine(job);
    if (line === this.last) return;
    this.last = line;
    this.streams.stderr.write(`${line}\n`);
  }

  writeLog(line: string): void {
    this.streams.stdout.write(`${line}\n`);
  }

  stop(): void {}
}

class BarProgress implements JobProgress {
  private readonly bars: MultiBar;
  /** MultiBar.create really returns a GenericBar, whose render(force) redraws after a log line. */
  private readonly bar: GenericBar;

  constructor(
    job: Job,
    private readonly streams: ProgressStreams,
  ) {
    this.bars = new MultiBar(
      {
        stream: streams.stderr,
        format: `${job.metadata.name ?? ''} [{bar}] {value}/{total} succeeded | {active} active | {failed} failed | {duration_formatted}`,
        hideCursor: false,
        clearOnComplete: false,
        gracefulExit: false,
        barsize: 30,
      },
      Presets.shades_classic,
    );
    this.bar = this.bars.create(completionTarget(job), 0, { active: 0, failed: 0 });
  }

  update(job: Job): void {
    const { active = 0, succeeded = 0, failed = 0 } = job.status ?? {};
    this.bar.setTotal(completionTarget(job));
    this.bar.update(succeeded, { active, failed });
  }

  writeLog(line: string): void {
    if (!this.streams.stdout.isTTY) {
      this.streams.stdout.write(`${line}\n`);
      return;
    }
    this.streams.stderr.write('\r\x1b[2K');
    this.streams.stdout.write(`${line}\n`);
    this.bar.render(true);
  }

  stop(): void {
    this.bars.stop();
  }
}
