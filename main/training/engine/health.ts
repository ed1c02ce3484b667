import type { HealthWarning } from '../../../shared/types.js';

/**
 * Watches a run's numbers for the ways GAN training goes wrong and says so in plain words, with
 * what to try. Pure: fed each step's metrics and each sample grid's diversity by the worker
 * session, it returns a warning when one starts (once, until the condition clears).
 *
 * - The discriminator winning: D(G(z)) stays near 0 while G's loss climbs — G gets no useful
 *   gradient (the classic failure of the original minimax loss, still common on small data).
 * - Mode collapse: the fixed-latent sample grid's images become alike (gridDiversity).
 * - Divergence on its way: losses exploding for a stretch (a NaN or ∞ ends the run anyway).
 * - A dataset small for its resolution.
 */

export interface StepNumbers {
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean σ(D(G(z))) in G's step. */
  dFakeAfter: number;
}

interface Options {
  datasetSize: number;
  resolution: number;
  augmenting: boolean;
}

/** The stretch of steps a trend is judged over. */
const window = 200;
/** A grid diversity below this, twice running, is collapse (real images score about 1). */
const collapsed = 0.3;
const recovered = 0.5;
/** Grids before this step show an untrained generator, whose images are alike anyway. */
const diversityFromStep = 300;
/** D(G(z)) below this over the window: D rejects every generated image. */
const rejected = 0.05;
/** Losses beyond this for several points are exploding. */
const exploding = 100;
const smallDataset = 1000;

export class HealthMonitor {
  private readonly recent: StepNumbers[] = [];
  private readonly active = new Set<HealthWarning['code']>();
  private lowDiversity = 0;
  private explodingPoints = 0;

  constructor(private readonly options: Options) {}

  /** Warnings that hold from the start (the dataset's size). */
  start(step: number): HealthWarning[] {
    const { datasetSize, resolution, augmenting } = this.options;
    if (datasetSize >= smallDataset) return [];
    return [
      this.raise('small-dataset', step, {
        title: `${datasetSize} images is a small dataset for ${resolution} px`,
        message:
          'GANs usually need thousands of images. With few, the discriminator soon memorises them and ' +
          'the generator may copy training images instead of making new ones. ' +
          (augmenting
            ? 'DiffAugment is on for this run, which helps a great deal.'
            : 'DiffAugment is off for this run.'),
        advice:
          (augmenting ? '' : 'Turn DiffAugment on. ') +
          'Add images if you can, or train at a lower resolution; check the latent explorer for copies.',
      }),
    ].filter((w): w is HealthWarning => w !== null);
  }

  observe(m: StepNumbers): HealthWarning | null {
    this.recent.push(m);
    while (this.recent.length > 0 && (this.recent[0]?.step ?? 0) < m.step - window) this.recent.shift();
    return this.checkExploding(m) ?? this.checkDiscriminator(m.step);
  }

  observeDiversity(step: number, diversity: number): HealthWarning | null {
    if (step < diversityFromStep) return null;
    if (diversity >= recovered) {
      this.lowDiversity = 0;
      this.active.delete('mode-collapse');
      return null;
    }
    this.lowDiversity = diversity < collapsed ? this.lowDiversity + 1 : 0;
    if (this.lowDiversity < 2) return null;
    return this.raise('mode-collapse', step, {
      title: 'The samples look alike: possible mode collapse',
      message:
        `The sample grid's images differ ${Math.round(diversity * 100)}% as much as training images do. ` +
        'The generator may be producing a few images whatever the latent vector.',
      advice:
        'Try the hinge loss, a lower generator learning rate, or DiffAugment; resume from an earlier checkpoint if the samples were better there.',
    });
  }

  private checkExploding(m: StepNumbers): HealthWarning | null {
    const big = Math.abs(m.dLoss) > exploding || Math.abs(m.gLoss) > exploding;
    this.explodingPoints = big ? this.explodingPoints + 1 : 0;
    if (!big) this.active.delete('divergence');
    if (this.explodingPoints < 5) return null;
    return this.raise('divergence', m.step, {
      title: 'The losses are exploding',
      message: `D's loss is ${m.dLoss.toPrecision(3)} and G's ${m.gLoss.toPrecision(3)}: training is diverging.`,
      advice: 'Pause, lower both learning rates (halve them), and continue from the last checkpoint.',
    });
  }

  private checkDiscriminator(step: number): HealthWarning | null {
    const points = this.recent;
    const first = points[0];
    const last = points[points.length - 1];
    if (first === undefined || last === undefined) return null;
    const meanFake = points.reduce((s, p) => s + p.dFakeAfter, 0) / points.length;
    if (meanFake > 4 * rejected) this.active.delete('discriminator-winning');
    // A sustained stretch: most of a window, with enough points to call it a trend.
    if (last.step - first.step < window * 0.75 || points.length < 8) return null;
    const third = Math.max(1, Math.floor(points.length / 3));
    const mean = (xs: StepNumbers[]) => xs.reduce((s, p) => s + p.gLoss, 0) / xs.length;
    const climbing = mean(points.slice(-third)) > mean(points.slice(0, third)) + 0.5;
    if (meanFake >= rejected || !climbing) return null;
    return this.raise('discriminator-winning', step, {
      title: 'The discriminator is winning',
      message:
        `D(G(z)) has stayed near 0 (${meanFake.toFixed(3)}) while G's loss climbed to ${last.gLoss.toFixed(2)}: ` +
        'D rejects every generated image, and G learns little from that.',
      advice:
        "Lower D's learning rate (or raise G's), turn DiffAugment on for a small dataset, or try the hinge loss.",
    });
  }

  private raise(
    code: HealthWarning['code'],
    step: number,
    text: Pick<HealthWarning, 'title' | 'message' | 'advice'>,
  ): HealthWarning | null {
    if (this.active.has(code)) return null;
    this.active.add(code);
    return { code, step, ...text };
  }
}
