import type { ColorMode } from '../../shared/types.js';
import type { RenderOptions } from './image-pipeline.js';
import type { SharpFactory } from '../common/sharp-loader.js';

/**
 * Many small images cost more in per-call overhead than in pixels: a sharp call costs about
 * 1.5 ms however small its image. So decoded images of one shape are stacked into one tall image,
 * rendered with one sharp call, and cut apart again, each tile exactly as cachePipeline renders
 * its file alone:
 *
 * - Each tile is framed by rows that stand in for what libvips' resize sees beyond an image's
 *   top and bottom edges. Its kernel reduce repeats the edge row of what it is given; from a
 *   factor of 4 on, libvips first box-shrinks by half the factor, so the edge row it repeats is
 *   the average of the first (last) `block` rows — repeating that block of rows gives the same.
 * - Each tile starts at a whole output row (its offset a multiple of the factor), so every
 *   output row is computed with exactly the kernel weights and input rows it has alone, and the
 *   frames reach further than the kernel.
 * - Only whole vertical factors for which that holds: 1, 2, 3 and even factors from 4 (an odd
 *   one from 5 leaves a fractional reduce after the box shrink). Horizontally every tile is the
 *   image's own width, so any downscale factor works. Nothing is enlarged.
 *
 * Only plain small PNGs are decoded for mosaics (see mosaicCandidate and hasOnlyPlainChunks):
 * JPEG and WebP are shrunk while they load, which a mosaic of full-size pixels cannot repeat.
 * The cache build also compares the first tiles of each shape with renderForCache of the same
 * files before it trusts the rest (see cache-render.ts), so a libvips that works differently
 * only costs the speed.
 */

/** Images above this many pixels are rendered alone: their pixels, not the call, dominate. */
export const mosaicMaxPixels = 512 * 512;
/** Input bytes of one mosaic: bounds the memory of a batch. */
export const mosaicMaxBytes = 8 * 1024 * 1024;

/** 8-bit modes that libvips decodes to plain samples; 16-bit and CMYK are converted on the way. */
const plainModes: ReadonlySet<ColorMode> = new Set(['rgb', 'rgba', 'grey', 'grey-alpha']);

/** Whether what the scan found of a file makes it worth decoding for a mosaic. */
export function mosaicCandidate(file: {
  format?: string | null;
  mode?: ColorMode | null;
  width?: number | null;
  height?: number | null;
}): boolean {
  if (file.format !== 'png' || !file.mode || !plainModes.has(file.mode)) return false;
  return (file.width ?? Infinity) * (file.height ?? Infinity) <= mosaicMaxPixels;
}

/**
 * PNG chunks that do not change the pixels libvips decodes. A file with any other chunk (iCCP,
 * eXIf orientation, APNG frames, anything unknown) is rendered alone, so a colour profile or a
 * rotation can never be lost in a mosaic.
 */
const plainChunks = new Set([
  'IHDR',
  'PLTE',
  'tRNS',
  'IDAT',
  'IEND',
  'tEXt',
  'zTXt',
  'iTXt',
  'pHYs',
  'tIME',
  'bKGD',
  'sBIT',
  'hIST',
  'sPLT',
]);

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether a PNG's chunks (their headers only; no pixel is read here) are all plain ones. */
export function hasOnlyPlainChunks(png: Buffer): boolean {
  if (png.length < 8 || !png.subarray(0, 8).equals(pngSignature)) return false;
  let at = 8;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (!plainChunks.has(type)) return false;
    if (type === 'IEND') return true;
    at += 12 + length;
  }
  return false; // cut short: renderForCache reports it
}

/** A decoded image: sharp's raw samples, rows top to bottom. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * sharp's full decode of a file's bytes, as a mosaic takes it. Decoding every row also proves the
 * file is whole ('truncated' fails), so the scan uses this as its integrity check for candidates.
 */
export async function decodeForMosaic(sharp: SharpFactory, file: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(file, { failOn: 'truncated', autoOrient: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  if (data.length !== width * height * channels) {
    throw new Error(`unexpected decode ${width}×${height}×${channels} in ${data.length} bytes`);
  }
  return { data, width, height, channels };
}

export interface MosaicPlan {
  /** Images with equal keys can share a mosaic. */
  key: string;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** Vertical shrink factor: 1, 2, 3 or an even number. */
  vshrink: number;
  /** Rows libvips box-shrinks together before its kernel reduce (1: none). */
  block: number;
  /** Rows framing each tile above and below: a multiple of vshrink beyond the kernel's reach. */
  pad: number;
}

function tileable(v: number): boolean {
  return v === 1 || v === 2 || v === 3 || (Number.isInteger(v) && v >= 4 && v % 2 === 0);
}

/** How a decoded image of this shape is rendered in a mosaic, or undefined to render it alone. */
export function mosaicPlan(
  image: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
  options: RenderOptions,
): MosaicPlan | undefined {
  const { width, height, channels } = image;
  const { resolution, crop } = options;
  if (width * height > mosaicMaxPixels) return undefined;
  // sharp's shrink factors for this fit (ResolveShrink): cover takes the smaller, fill each.
  const h = width / resolution;
  const v = height / resolution;
  let vshrink: number;
  let hshrink: number;
  if (crop === 'center') hshrink = vshrink = Math.min(h, v);
  else if (crop === 'stretch') [hshrink, vshrink] = [h, v];
  else if (width === height)
    hshrink = vshrink = h; // 'pad' of a square: no letterbox to add
  else return undefined;
  if (hshrink < 1 || !tileable(vshrink) || height % vshrink !== 0) return undefined;
  return {
    key: `${width}x${height}x${channels}`,
    width,
    height,
    channels,
    vshrink,
    // libvips' reduce takes the integer part of factor / 2 (its "gap") as a box shrink first.
    block: vshrink >= 4 ? vshrink / 2 : 1,
    pad: 8 * vshrink,
  };
}

/**
 * Renders images of one plan in one sharp call; returns each as resolution²×3 bytes, exactly as
 * renderForCache would. Throws if the output is not the shape the plan promises.
 */
export async function renderMosaic(
  sharp: SharpFactory,
  plan: MosaicPlan,
  images: readonly Buffer[],
  options: RenderOptions,
): Promise<Buffer[]> {
  const { width, height, channels, vshrink, block, pad } = plan;
  const { resolution, crop, background } = options;
  const rowBytes = width * channels;
  const tileRows = height + 2 * pad;
  const mosaic = Buffer.allocUnsafe(images.length * tileRows * rowBytes);
  images.forEach((data, i) => {
    if (data.length !== height * rowBytes) throw new Error('image does not match its mosaic plan');
    // The first (last) `block` rows, repeated above (below): pad is a multiple of block.
    const head = data.subarray(0, block * rowBytes);
    const tail = data.subarray(data.length - block * rowBytes);
    let at = i * tileRows * rowBytes;
    for (let r = 0; r < pad; r += block) at += head.copy(mosaic, at);
    at += data.copy(mosaic, at);
    for (let r = 0; r < pad; r += block) at += tail.copy(mosaic, at);
  });
  const mosaicRows = images.length * tileRows;
  // The same factors as the image alone: 'outside' keeps cover's smaller factor on both axes
  // without cropping (tiles are cropped below); 'fill' takes each axis's own.
  const { data, info } = await sharp(mosaic, { raw: { width, height: mosaicRows, channels } })
    .flatten({ background })
    .resize(resolution, mosaicRows / vshrink, { fit: crop === 'center' ? 'outside' : 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const outRows = height / vshrink;
  if (
    info.channels !== 3 ||
    info.height !== mosaicRows / vshrink ||
    info.width < resolution ||
    outRows < resolution
  )
    throw new Error(`unexpected mosaic output ${info.width}×${info.height}×${info.channels}`);
  if (crop !== 'center' && (info.width !== resolution || outRows !== resolution))
    throw new Error(`unexpected mosaic tile ${info.width}×${outRows}`);
  // sharp's centre crop (CalculateCrop): the odd pixel goes to the left and top.
  const left = Math.floor((info.width - resolution + 1) / 2);
  const top = Math.floor((outRows - resolution + 1) / 2);
  const outRowBytes = info.width * 3;
  return images.map((_, i) => {
    const tile = Buffer.allocUnsafe(resolution * resolution * 3);
    const first = ((i * tileRows + pad) / vshrink + top) * outRowBytes + left * 3;
    for (let y = 0; y < resolution; y++) {
      const from = first + y * outRowBytes;
      data.copy(tile, y * resolution * 3, from, from + resolution * 3);
    }
    return tile;
  });
}
