import type { HealthWarning } from '../../../shared/types.js';

/**
 * Watches a run's numbers for the ways GAN training goes wrong and says so in plain words, with
 * what to try — early enough to act on, from what the user sees: the sample grids' diversity and
 * the trend of D(G(z)) and G's loss. Pure: fed each step's numbers and each sample grid's
 * diversity by the worker session, it returns the notices to post: a warning when a condition
 * starts, and a `cleared` notice when the run has recovered from it.
 *
 * - The discriminator winning: D(G(z)) stays near 0 while G's loss climbs — G gets little useful
 *   gradient (the classic failure on small data). On its own a phase many runs pass through, so
 *   it needs a stretch of steps.
 * - Mode collapse: the fixed-latent sample grid's images become alike (gridDiversity). An
 *   untrained generator's images are alike too, so low diversity counts as collapse only once
 *   the grid has been more varied, or while D is winning (the generator then has nowhere to go).
 * - Divergence on its way: losses exploding for a stretch (a NaN or ∞ ends the run anyway).
 * - A dataset small for its resolution.
 *
 * The thresholds were set on recorded runs on real image folders
 * (test/training/engine/fixtures/): they fire on those that collapsed and stay quiet on the
 * healthy ones.
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

type Code = HealthWarning['code'];
type Text = Pick<HealthWarning, 'title' | 'message' | 'advice'>;

/** Steps over which D(G(z)) and G's loss are averaged: the trend, not one batch's noise. */
const trendSpan = 20;
/** Warm-up: the first steps of every run swing widely while D and G find their footing. */
const fromStep = 40;
/**
 * D(G(z)) trending below this while G's loss climbs: D is ahead, and a grid of alike samples
 * then is collapse rather than a generator that has not learnt yet.
 */
const ahead = 0.15;
/** D(G(z)) trending below this: D rejects nearly every generated image. */
const rejected = 0.1;
/** ...and above this again, D no longer does. */
const accepted = 0.2;
/** G's loss trend this far above its lowest of the last `climbWindow` steps is climbing. */
const climb = 1;
const climbWindow = 150;
/** Steps D must keep winning before it is said: a short dip is a normal part of the game. */
const winningFor = 30;
/** Grid diversity under this is samples alike (real images score about 1). */
const alike = 0.2;
/** ...and over this, varied again. */
const varied = 0.3;
/** A grid once this much more varied than now lost its variety, rather than never had it. */
const lostVariety = 1.6;
/** Losses beyond this for several points are exploding. */
const exploding = 100;
const smallDataset = 1000;

/** An exponential moving average over a span of steps, the same however sparsely it is fed. */
class Trend {
  value: number | null = null;
  private step = 0;

  constructor(private readonly span: number) {}

  add(step: number, x: number): number {
    const share = this.value === null ? 1 : 1 - Math.exp(-Math.max(step - this.step, 1) / this.span);
    this.value = this.value === null ? x : this.value + share * (x - this.value);
    this.step = step;
    return this.value;
  }
}

export class HealthMonitor {
  private readonly active = new Set<Code>();
  private readonly logFake = new Trend(trendSpan);
  private readonly gLoss = new Trend(trendSpan);
  /** G's loss trend at recent steps, to tell a climb from a level. */
  private readonly gHistory: { step: number; value: number }[] = [];
  /** The step since which D has been winning, or null. */
  private winningSince: number | null = null;
  /** Whether D is ahead now (see `ahead`). */
  private dAhead = false;
  private lowGrids = 0;
  private mostVaried = 0;
  private explodingPoints = 0;

  constructor(private readonly options: Options) {}

  /** Warnings that hold from the start (the dataset's size). */
  start(step: number): HealthWarning[] {
    const { datasetSize, resolution, augmenting } = this.options;
    if (datasetSize >= smallDataset) return [];
    return this.raise('small-dataset', step, {
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
    });
  }

  observe(m: StepNumbers): HealthWarning[] {
    // Averaged in logs (a geometric mean): D(G(z)) lives near 0 when D wins, where one batch at
    // 0.3 would pull an arithmetic mean of a stretch at 0.02 out of the range that matters.
    const fake = Math.exp(this.logFake.add(m.step, Math.log(Math.max(m.dFakeAfter, 1e-6))));
    const g = this.gLoss.add(m.step, m.gLoss);
    this.gHistory.push({ step: m.step, value: g });
    while (this.gHistory[0]!.step < m.step - climbWindow) this.gHistory.shift();
    return [...this.checkExploding(m), ...this.checkDiscriminator(m.step, fake, g)];
  }

  observeDiversity(step: number, diversity: number): HealthWarning[] {
    const before = this.mostVaried;
    this.mostVaried = Math.max(this.mostVaried, diversity);
    if (diversity >= varied) {
      this.lowGrids = 0;
      return this.clear('mode-collapse', step, {
        title: 'The samples vary again',
        message: `The sample grid's images differ ${percent(diversity)} as much as training images do.`,
      });
    }
    this.lowGrids = diversity < alike ? this.lowGrids + 1 : 0;
    // Twice running: one grid may be chance.
    if (this.lowGrids < 2 || step < fromStep) return [];
    // An untrained generator's grid scores ~0.2 and drops as it starts learning: not variety.
    const lost = before >= varied && before >= lostVariety * diversity;
    if (!lost && !this.dAhead) return [];
    return this.raise('mode-collapse', step, {
      title: 'The samples look alike: mode collapse',
      message:
        `The sample grid's images differ only ${percent(diversity)} as much as training images do` +
        (lost ? ` (${percent(before)} at best before)` : '') +
        ': the generator makes nearly the same image whatever the latent vector.',
      advice:
        'Resume from an earlier checkpoint whose samples varied, with a lower generator learning rate; ' +
        'or start again with the hinge loss, DiffAugment on, or the FastGAN-lite model.',
    });
  }

  private checkExploding(m: StepNumbers): HealthWarning[] {
    const big = Math.abs(m.dLoss) > exploding || Math.abs(m.gLoss) > exploding;
    this.explodingPoints = big ? this.explodingPoints + 1 : 0;
    if (!big) {
      return this.clear('divergence', m.step, {
        title: 'The losses are back in range',
        message: `D's loss is ${m.dLoss.toPrecision(3)} and G's ${m.gLoss.toPrecision(3)}.`,
      });
    }
    if (this.explodingPoints < 5) return [];
    return this.raise('divergence', m.step, {
      title: 'The losses are exploding',
      message: `D's loss is ${m.dLoss.toPrecision(3)} and G's ${m.gLoss.toPrecision(3)}: training is diverging.`,
      advice: 'Pause, lower both learning rates (halve them), and continue from the last checkpoint.',
    });
  }

  private checkDiscriminator(step: number, fake: number, g: number): HealthWarning[] {
    const lowest = Math.min(...this.gHistory.map((h) => h.value));
    // Recovered: D(G(z)) is back up, or off the floor with G's loss no longer climbing.
    if (fake >= accepted || (fake >= rejected && g < lowest + climb / 2)) {
      this.winningSince = null;
      this.dAhead = false;
      return this.clear('discriminator-winning', step, {
        title: 'The discriminator no longer wins outright',
        message: `D(G(z)) is back up to ${fake.toFixed(2)}: G is learning from D again.`,
      });
    }
    const climbing = step >= fromStep && g >= lowest + climb;
    this.dAhead = climbing && fake < ahead;
    const winning = climbing && fake < rejected;
    if (winning) this.winningSince ??= step;
    // Once said, it holds until D(G(z)) is back up; before, the stretch must be unbroken.
    else if (!this.active.has('discriminator-winning')) this.winningSince = null;
    if (this.winningSince === null || step - this.winningSince < winningFor) return [];
    return this.raise('discriminator-winning', step, {
      title: 'The discriminator is winning',
      message:
        `D(G(z)) has fallen to ${fake.toFixed(3)} while G's loss climbed from ${lowest.toFixed(2)} to ${g.toFixed(2)}: ` +
        'D rejects every generated image, and G learns little from that. Mode collapse often follows.',
      advice:
        "Lower D's learning rate (or raise G's), turn DiffAugment on, or start again with the hinge loss " +
        'or the FastGAN-lite model.',
    });
  }

  private raise(code: Code, step: number, text: Text): HealthWarning[] {
    if (this.active.has(code)) return [];
    this.active.add(code);
    return [{ code, step, ...text }];
  }

  private clear(code: Code, step: number, text: Omit<Text, 'advice'>): HealthWarning[] {
    if (!this.active.delete(code)) return [];
    return [{ code, step, ...text, advice: '', cleared: true }];
  }
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
