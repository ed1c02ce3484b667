import type { MethodInput } from '../../../../shared/api.js';
import type { GenerationJob } from '../../../../shared/types.js';
import { studio } from '../api/client.js';

/**
 * The generated data sets: jobs writing a generator's images to a folder, newest first, kept up
 * to date from the studio's reports. Errors are the caller's to show.
 */
export class GenerationJobs {
  #jobs = $state.raw<GenerationJob[]>([]);

  get jobs(): GenerationJob[] {
    return this.#jobs;
  }
  /** The newest job: the one the explorer shows. */
  get job(): GenerationJob | null {
    return this.#jobs[0] ?? null;
  }

  /** Every job the studio knows of, replacing what was listed. */
  set(jobs: GenerationJob[]): void {
    this.#jobs = jobs;
  }

  /** Follows jobs started (here or elsewhere) and their progress; returns what stops following. */
  watch(): () => void {
    const offs = [
      studio.on('latent.job', (e) => this.put(e.job)),
      studio.on('latent.progress', (e) => {
        this.#jobs = this.#jobs.map((j) =>
          j.id === e.jobId
            ? { ...j, done: e.done, imagesPerSecond: e.imagesPerSecond, etaSeconds: e.etaSeconds }
            : j,
        );
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

  /** Lists a job first, in place of an older copy of it (its event may arrive before its answer). */
  private put(job: GenerationJob): void {
    this.#jobs = [job, ...this.#jobs.filter((j) => j.id !== job.id)];
  }
}
