import {
  BatchNorm,
  Conv2D,
  ConvTranspose2D,
  Dense,
  LeakyReLU,
  ReLU,
  Reshape,
  Tanh,
  type Layer,
} from '../layers.js';
import { channels, stages, type ModelShape } from './shape.js';

/**
 * The DCGAN family (Radford et al. 2015), NHWC, for 32, 64 and 128 px. Each resolution doubling
 * adds one up-sampling block to G and one down-sampling block to D, with channels doubling
 * towards the 4×4 end. Base width 64 channels × `width`.
 *
 * For 32 px, width 1, latent 100: G has 1,073,027 parameters, D 663,361.
 */

const kernel = 4;
const stride = 2;

export function buildDcganGenerator({ resolution, width, latentSize }: ModelShape): Layer[] {
  const n = stages(resolution);
  const top = channels(width, n - 1);
  const layers: Layer[] = [
    new Dense('g/dense', latentSize, 4 * 4 * top, true), // [N, latent] → [N, 4·4·top]
    new Reshape([4 * 4 * top], [4, 4, top]), // → [N, 4, 4, top]
    new BatchNorm('g/bn0', top),
    new ReLU(),
  ];
  let size = 4;
  for (let i = n - 1; i >= 1; i--) {
    // [N, s, s, ch(i)] → [N, 2s, 2s, ch(i−1)]
    const inC = channels(width, i);
    const outC = channels(width, i - 1);
    size *= 2;
    layers.push(
      new ConvTranspose2D(`g/convt${n - i}`, kernel, stride, inC, outC, false),
      new BatchNorm(`g/bn${n - i}`, outC),
      new ReLU(),
    );
  }
  // [N, res/2, res/2, ch(0)] → [N, res, res, 3] in (−1, 1)
  layers.push(new ConvTranspose2D('g/out', kernel, stride, channels(width, 0), 3, true), new Tanh());
  size *= 2;
  if (size !== resolution) throw new Error('Generator size mismatch.');
  return layers;
}

export function buildDcganDiscriminator({ resolution, width }: ModelShape): Layer[] {
  const n = stages(resolution);
  // [N, res, res, 3] → [N, res/2, res/2, ch(0)]; no batch norm on the first layer (DCGAN).
  const layers: Layer[] = [
    new Conv2D('d/conv0', kernel, stride, 3, channels(width, 0), true),
    new LeakyReLU(channels(width, 0)),
  ];
  for (let i = 1; i < n; i++) {
    // [N, s, s, ch(i−1)] → [N, s/2, s/2, ch(i)]
    const inC = channels(width, i - 1);
    const outC = channels(width, i);
    layers.push(
      new Conv2D(`d/conv${i}`, kernel, stride, inC, outC, false),
      new BatchNorm(`d/bn${i}`, outC),
      new LeakyReLU(outC),
    );
  }
  const top = channels(width, n - 1);
  layers.push(
    new Reshape([4, 4, top], [4 * 4 * top]), // [N, 4, 4, top] → [N, 4·4·top]
    new Dense('d/dense', 4 * 4 * top, 1, true), // → [N, 1] logits
  );
  return layers;
}
