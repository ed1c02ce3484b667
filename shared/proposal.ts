import { presetConfig, type ModelFamily, type Resolution, type TrainConfigPatch } from './config.js';
import type { BackendStatus, DatasetReport } from './types.js';

/**
 * The settings the studio proposes for what the user wants (a preset: a first look, a good
 * result, the most detail), the dataset and the machine, with the reasons in words. The Train
 * form shows the reasons beside the settings; the CLI prints them; `bench quality` trains what
 * is proposed for its folder. The numbers come from `bench quality` and the speed calibration:
 * on one CPU thread the small-data family at width 0.25 and batch 32 learns a 64 px folder of a
 * few thousand images far faster per minute than the DCGAN presets did.
 */

export interface ProposalContext {
  /** Usable images in the dataset. */
  datasetSize: number;
  /** A GPU backend (webgpu, or native TensorFlow with CUDA) is available here. */
  gpu: boolean;
  /**
   * The side most images have (typicalSide), or null for vector images, which render sharp at
   * any size: a resolution above it only learns up-scaled pixels.
   */
  typicalSide?: number | null;
}

export interface Proposal {
  config: TrainConfigPatch;
  /** One sentence per choice, for the form and the CLI. */
  reasons: string[];
}

/** Below this many images a folder is small data: the family and augmentation for it matter most. */
const smallData = 5000;

const resolutionFor: Record<string, { cpu: Resolution; gpu: Resolution }> = {
  quick: { cpu: 32, gpu: 64 },
  standard: { cpu: 64, gpu: 128 },
  detailed: { cpu: 128, gpu: 256 },
};

/** Width and batch that keep a step short on each kind of machine, by resolution. */
function capacity(resolution: number, gpu: boolean): { width: number; batchSize: number } {
  if (gpu) return resolution >= 256 ? { width: 0.25, batchSize: 32 } : { width: 0.5, batchSize: 64 };
  return resolution >= 128 ? { width: 0.125, batchSize: 16 } : { width: 0.25, batchSize: 32 };
}

export function proposeSettings(preset: string, context: ProposalContext): Proposal {
  const base = presetConfig(preset);
  const where = context.gpu ? 'gpu' : 'cpu';
  const reasons: string[] = [];
  const model: ModelFamily = 'fastgan';
  reasons.push(
    context.datasetSize < smallData
      ? `FastGAN-lite: ${context.datasetSize.toLocaleString('en')} images is a small dataset, and this family learns shapes from few images (skip-layer excitation, a spectrally normalised discriminator).`
      : 'FastGAN-lite: it learns more per minute than DCGAN on folders of any size here.',
  );
  let resolution: Resolution = resolutionFor[preset]?.[where] ?? base.resolution;
  const side = context.typicalSide;
  if (side !== undefined && side !== null && side < resolution) {
    const fitting = ([32, 64, 128, 256] as const).filter((r) => r <= Math.max(32, side));
    resolution = fitting.at(-1) ?? 32;
    reasons.push(
      `${resolution} px: most images are about ${side} px, and a larger size would only learn enlarged pixels.`,
    );
  } else {
    reasons.push(
      context.gpu
        ? `${resolution} px: a GPU backend is available, so ${resolution} px trains in reasonable time.`
        : `${resolution} px: training runs on the CPU here (no GPU backend found), where ${resolution} px is what fits ${preset === 'quick' ? 'a first look' : preset === 'detailed' ? 'the most detail in hours' : 'a good result in an hour or two'}.`,
    );
  }
  const { width, batchSize } = capacity(resolution, context.gpu);
  reasons.push(
    `Width ${width} and batch ${batchSize}: ${context.gpu ? 'enough to keep the GPU busy' : 'short steps on the CPU, so the model sees many batches in the time'}.`,
  );
  const augment = context.datasetSize < smallData;
  reasons.push(
    augment
      ? 'DiffAugment on: with few images the discriminator would otherwise memorise them and training would collapse.'
      : 'DiffAugment automatic: off for a folder this large, where the discriminator cannot memorise it.',
  );
  return {
    config: {
      model,
      resolution,
      width,
      batchSize,
      loss: 'hinge',
      diffAugment: augment ? 'on' : 'auto',
      steps: base.steps,
    },
    reasons,
  };
}

/**
 * The side most of a dataset's images have (the upper bound of the median size bucket of the
 * scan's report), or null when most are vector images (SVG), which have no pixel size.
 */
export function typicalSide(report: DatasetReport): number | null {
  const svg = report.formats['svg'] ?? 0;
  if (svg * 2 > report.usable) return null;
  const total = report.sizes.reduce((n, b) => n + b.count, 0);
  let seen = 0;
  for (const bucket of report.sizes) {
    seen += bucket.count;
    if (seen * 2 >= total) {
      const bounds = bucket.label.match(/\d+/g)?.map(Number) ?? [];
      return bounds.at(-1) ?? null;
    }
  }
  return null;
}

/** Whether the machine has a GPU backend that loads (from app.info's probe). */
export function hasGpuBackend(backends: readonly BackendStatus[]): boolean {
  return backends.some((b) => b.available && (b.name === 'webgpu' || b.name === 'tensorflow'));
}
