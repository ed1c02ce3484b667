import { AvgPool, Sigmoid, SkipExcite, Upsample2x } from '../blocks.js';
import { BatchNorm, Conv2D, Dense, LeakyReLU, ReLU, Reshape, Tanh, type Layer } from '../layers.js';
import { channels, stages, type ModelShape } from './shape.js';

/**
 * The small-data family, after FastGAN (Liu et al., ICLR 2021) and SN-GAN (Miyato et al. 2018),
 * cut to what trains well in minutes on a CPU and on a GPU alike, NHWC, 32 to 256 px:
 *
 * - G up-samples by nearest neighbour then a 3×3 convolution (no transposed convolutions, so no
 *   checkerboard), with batch norm and ReLU, from a 4×4 start to the image, and a 3×3 conv to RGB.
 * - Skip-layer excitation: the 4×4 map gates the channels of the last map before the image, the
 *   8×8 map those of one four times its side, and so on while the ratio is at least 4 (two gates
 *   at 64 and 128 px, three at 256): coarse layout steers fine detail directly.
 * - D is a strided-convolution stack with spectral norm on every layer and no batch norm, so it
 *   stays smooth on a small dataset (the family trains with the hinge loss and DiffAugment).
 *
 * Channels double towards 4×4 from 64 × width next to the image, capped at 8 × that.
 */

const cap = 8;

function up(name: string, inC: number, outC: number): Layer[] {
  return [
    new Upsample2x(),
    new Conv2D(`${name}/conv`, 3, 1, inC, outC, false),
    new BatchNorm(`${name}/bn`, outC),
    new ReLU(),
  ];
}

/** The gate from a map of side `from` (at least 4) and `inC` channels to `outC` channels. */
function excitation(name: string, from: number, inC: number, outC: number): Layer[] {
  return [
    new AvgPool(from / 4), // [N, from, from, inC] → [N, 4, 4, inC]
    new Reshape([4, 4, inC], [16 * inC]),
    new Dense(`${name}/squeeze`, 16 * inC, outC, true),
    new LeakyReLU(outC, 0.1),
    new Dense(`${name}/excite`, outC, outC, true),
    new Sigmoid(),
    new Reshape([outC], [1, 1, outC]),
  ];
}

/**
 * The blocks from side `from` to side `to` (each doubling), gated by the map at `from` when `to`
 * is at least four times its side; inside, the next pair (2·from → to/2) is gated the same way.
 */
function upStack(from: number, to: number, resolution: number, width: number): Layer[] {
  const chAt = (side: number) => channels(width, Math.log2(resolution / side), cap);
  const block = (side: number) => up(`g/up${side}`, chAt(side / 2), chAt(side));
  if (to / from < 4) {
    const layers: Layer[] = [];
    for (let side = from * 2; side <= to; side *= 2) layers.push(...block(side));
    return layers;
  }
  const inner = [...block(from * 2), ...upStack(from * 2, to / 2, resolution, width), ...block(to)];
  return [new SkipExcite(inner, excitation(`g/sle${from}-${to}`, from, chAt(from), chAt(to)))];
}

export function buildFastganGenerator({ resolution, width, latentSize }: ModelShape): Layer[] {
  const n = stages(resolution);
  const top = channels(width, n, cap);
  return [
    new Dense('g/dense', latentSize, 16 * top, false), // [N, latent] → [N, 4·4·top]
    new Reshape([16 * top], [4, 4, top]),
    new BatchNorm('g/bn0', top),
    new ReLU(),
    ...upStack(4, resolution, resolution, width), // → [N, res, res, 64·width]
    new Conv2D('g/out', 3, 1, channels(width, 0, cap), 3, true),
    new Tanh(),
  ];
}

export function buildFastganDiscriminator({ resolution, width }: ModelShape): Layer[] {
  const n = stages(resolution);
  const layers: Layer[] = [
    new Conv2D('d/conv0', 4, 2, 3, channels(width, 0, cap), true, true),
    new LeakyReLU(channels(width, 0, cap)),
  ];
  for (let i = 1; i < n; i++) {
    const inC = channels(width, i - 1, cap);
    const outC = channels(width, i, cap);
    layers.push(new Conv2D(`d/conv${i}`, 4, 2, inC, outC, true, true), new LeakyReLU(outC));
  }
  const top = channels(width, n - 1, cap);
  layers.push(new Reshape([4, 4, top], [16 * top]), new Dense('d/dense', 16 * top, 1, true, true));
  return layers;
}
