/** Where progress goes: stderr, so stdout stays the command's result (a table or one JSON document). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const formatCount = (value: number | string): string => (typeof value === 'number' ? value.toLocaleString('en-US') : value);

/**
 * A labelled status line for steps that take more than a moment: on a terminal one line rewritten in place (label,
 * counts, elapsed seconds), at most ten times a second; elsewhere a plain line each time the label changes, so CI
 * logs show each stage without a flood.
 */
export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private lastLabel = '';
  private shown = false;

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly interactive: boolean = Boolean(stream.isTTY),
  ) {}

  /** Seconds since this progress began. */
  seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Seconds since this progress began, as text with one decimal. */
  elapsed(): string {
    return `${this.seconds().toFixed(1)} s`;
  }

  update(label: string, facts: Readonly<Record<string, number | string>> = {}): void {
    const text = [label, ...Object.entries(facts).map(([name, value]) => `${formatCount(value)} ${name}`), this.elapsed()].join('  ');
    if (!this.interactive) {
      if (label !== this.lastLabel) this.stream.write(`${text}\n`);
      this.lastLabel = label;
      return;
    }
    const now = Date.now();
    if (label === this.lastLabel && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.lastLabel = label;
    const width = (this.stream.columns ?? 80) - 1;
    this.stream.write(`\r${text.slice(0, width)}\x1b[K`);
    this.shown = true;
  }

  /** A line that stays (a finished step, a warning), printed above the status line. */
  log(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
  }

  /** Removes the status line, so what follows starts on a clean line. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** A progress that prints nothing, for library calls and tests. */
export const silentProgress = (): Progress => new Progress({ write: () => true }, false);
