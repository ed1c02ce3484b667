/**
 * Which runs train now and which wait their turn: at most `slots` at once (one per spare core),
 * the rest in the order they were asked for. A run holds its slot from the moment it is launched
 * (its cache may still be building) until `done`.
 */
export class RunQueue {
  private readonly waiting: string[] = [];
  private readonly running = new Set<string>();
  private closed = false;

  constructor(
    private readonly slots: number,
    private readonly launch: (runId: string) => void,
  ) {}

  add(runId: string): void {
    this.waiting.push(runId);
    this.pump();
  }

  /** Takes a waiting run out of the line; false if it was not waiting. */
  remove(runId: string): boolean {
    const index = this.waiting.indexOf(runId);
    if (index < 0) return false;
    this.waiting.splice(index, 1);
    return true;
  }

  isWaiting(runId: string): boolean {
    return this.waiting.includes(runId);
  }

  isRunning(runId: string): boolean {
    return this.running.has(runId);
  }

  /** Every run this queue holds, training or waiting. */
  *ids(): Iterable<string> {
    yield* this.running;
    yield* this.waiting;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** The run left its slot (it ended, or could not start): the next one in line starts. */
  done(runId: string): void {
    this.running.delete(runId);
    this.pump();
  }

  /** Nothing more starts; the runs waiting are dropped (they stay queued in the store). */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.slots && this.waiting.length > 0) {
      const runId = this.waiting.shift()!;
      this.running.add(runId);
      this.launch(runId);
    }
  }
}
