import type { TrainConfig } from '../../../shared/config.js';
import type { Layer } from './layers.js';
import { buildDcganDiscriminator, buildDcganGenerator } from './models/dcgan.js';
import { buildFastganDiscriminator, buildFastganGenerator } from './models/fastgan.js';
import type { ModelShape } from './models/shape.js';

export type { ModelShape } from './models/shape.js';

/**
 * The model families (models/), each a pair of layer stacks built from the run's shape. The
 * trainer, checkpoints, the latent explorer, exports, compare and continue take any of them.
 */
const families = {
  dcgan: { generator: buildDcganGenerator, discriminator: buildDcganDiscriminator },
  fastgan: { generator: buildFastganGenerator, discriminator: buildFastganDiscriminator },
} satisfies Record<ModelShape['family'], { generator: Builder; discriminator: Builder }>;

type Builder = (shape: ModelShape) => Layer[];

/** The shape fields of a run's config. */
export function modelShape(
  config: Pick<TrainConfig, 'model' | 'resolution' | 'width' | 'latentSize'>,
): ModelShape {
  return {
    family: config.model,
    resolution: config.resolution,
    width: config.width,
    latentSize: config.latentSize,
  };
}

export function buildGenerator(shape: ModelShape): Layer[] {
  return families[shape.family].generator(shape);
}

export function buildDiscriminator(shape: ModelShape): Layer[] {
  return families[shape.family].discriminator(shape);
}

export function countParams(layers: Layer[]): number {
  return layers
    .flatMap((l) => l.params)
    .filter((p) => !p.state)
    .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
