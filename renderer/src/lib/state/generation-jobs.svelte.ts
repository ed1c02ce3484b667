import type { MethodInput } from '../../../../shared/api.js';
import type { EventPayloads } from '../../../../shared/events.js';
import type { GenerationJob } from '../../../../shared/types.js';
import { studio } from '../api/client.js';

type Progress = EventPayloads['latent.progress'];

/** With a job's progress applied. */
function withProgress(job: GenerationJob, p: Progress): GenerationJob {
  return { ...job, done: p.done, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds };
}

/**
 * Whether `a` is a later report of a job than `b`. The start answer, the job's events and its
 * progress travel apart (an HTTP answer, a socket), so an older copy may arrive last: an ended
 * job is never taken back to running, nor a count back down.
 */
function isLater(a: GenerationJob, b: GenerationJob): boolean {
  if ((a.status === 'running') !== (b.status === 'running')) return a.status !== 'running';
  return a.done >= b.done;
}

/**
 * The generated data sets: jobs writing a generator's images to a folder, newest first, kept up
 * to date from the studio's reports. Errors are the caller's to show.
 */
export class GenerationJobs {
  #jobs = $state.raw<GenerationJob[]>([]);
  /**
   * Progress of jobs not listed yet, by job id: heard before the job's start answer or before the
   * list asked for at load came back.
   */
  readonly #early = new Map<string, Progress>();

  get jobs(): GenerationJob[] {
    return this.#jobs;
  }

  /** The newest job of a run: the one the explorer shows for it (another run's is not its news). */
  jobOf(runId: string | null): GenerationJob | null {
    return this.#jobs.find((j) => j.runId === runId) ?? null;
  }

  /**
   * Every job the studio knows of, as listed when asked. Reports heard meanwhile may be later
   * (those are kept), or be of a job started since (it stays listed).
   */
  set(jobs: GenerationJob[]): void {
    const listed = new Set(jobs.map((j) => j.id));
    const since = this.#jobs.filter((j) => !listed.has(j.id));
    this.#jobs = [...since, ...jobs.map((job) => this.#latest(job))];
  }

  /** Follows jobs started (here or elsewhere) and their progress; returns what stops following. */
  watch(): () => void {
    const offs = [
      studio.on('latent.job', (e) => this.put(e.job)),
      studio.on('latent.progress', (e) => {
        const job = this.#jobs.find((j) => j.id === e.jobId);
        if (!job) {
          this.#early.set(e.jobId, e);
          return;
        }
        if (job.status === 'running' && e.done >= job.done) {
          this.#jobs = this.#jobs.map((j) => (j.id === e.jobId ? withProgress(j, e) : j));
        }
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  async start(input: MethodInput<'latent.generate'>): Promise<void> {
    this.put(await studio.call('latent.generate', input));
  }

  async cancel(jobId: string): Promise<void> {
    await studio.call('latent.cancel', { jobId });
  }

  /** Lists a job first, in place of an older copy of it. */
  private put(job: GenerationJob): void {
    const latest = this.#latest(job);
    this.#jobs = [latest, ...this.#jobs.filter((j) => j.id !== job.id)];
  }

  /** The latest of a report of a job, the copy listed, and progress heard before either. */
  #latest(job: GenerationJob): GenerationJob {
    const early = this.#early.get(job.id);
    this.#early.delete(job.id);
    const latest =
      early && job.status === 'running' && early.done > job.done ? withProgress(job, early) : job;
    const known = this.#jobs.find((j) => j.id === job.id);
    return known && isLater(known, latest) ? known : latest;
  }
}
