import fs from 'node:fs/promises';
import type { Sharp } from 'sharp';
import type { CropMode } from '../../shared/config.js';
import { decodeBmp } from './bmp.js';
import type { SharpFactory } from '../common/sharp-loader.js';

export interface RenderOptions {
  resolution: number;
  crop: CropMode;
  background: { r: number; g: number; b: number };
}

export interface RenderSource {
  absPath: string;
  /** sharp's format name as the scan found it; 'bmp' is decoded by bmp.ts, not libvips. */
  format?: string | null;
  /** Set for SVG files: their intrinsic size, to rasterise them sharp at the target size. */
  svg?: { width: number; height: number };
}

/**
 * A file opened for sharp: EXIF orientation applied, damage an error ('truncated'), an SVG
 * rasterised so its shorter side gets `svgSide` pixels. libvips here has no BMP loader, so a
 * BMP is decoded by bmp.ts and handed over as raw pixels; everything after is the same.
 */
export async function openImage(sharp: SharpFactory, source: RenderSource, svgSide: number): Promise<Sharp> {
  if (source.format === 'bmp') {
    const { data, width, height, channels } = decodeBmp(await fs.readFile(source.absPath));
    return sharp(data, { raw: { width, height, channels } });
  }
  return sharp(source.absPath, {
    failOn: 'truncated',
    autoOrient: true,
    ...(source.svg ? { density: svgDensity(source.svg, svgSide) } : {}),
  });
}

const fits = { center: 'cover', pad: 'contain', stretch: 'fill' } as const;

/** librsvg renders at 72 dpi by default; sharp accepts densities from 1 to 100,000. */
export function svgDensity(svg: { width: number; height: number }, resolution: number): number {
  const shorter = Math.max(1, Math.min(svg.width, svg.height));
  return Math.min(100_000, Math.max(1, (72 * resolution) / shorter));
}

/**
 * The one sharp pipeline that turns a source image into a training image: EXIF orientation
 * applied; transparency composited on the background (flatten runs before the resize in sharp,
 * so edges blend with the background, not with black); resized to resolution² — 'center' crops
 * the middle (cover), 'pad' letterboxes with the background (contain), 'stretch' distorts (fill);
 * grey expanded, CMYK and 16-bit converted to 8-bit sRGB; raw RGB out.
 *
 * An SVG is rasterised at the density that makes its shorter side the target resolution, so a
 * 24 px icon becomes a sharp 128 px image rather than a blurred upscale.
 *
 * renderMosaic (mosaic.ts) runs the same operations on many decoded images at once: a change here
 * needs the same change there (the cache build would otherwise find the two differ and fall back
 * to this pipeline alone, losing the speed).
 */
export async function cachePipeline(
  sharp: SharpFactory,
  source: RenderSource,
  options: RenderOptions,
): Promise<Sharp> {
  const { resolution, crop, background } = options;
  const input = await openImage(sharp, source, resolution);
  return input
    .flatten({ background })
    .resize(resolution, resolution, { fit: fits[crop], position: 'centre', background })
    .removeAlpha()
    .toColourspace('srgb')
    .raw();
}

/** Renders one source to exactly resolution×resolution×3 bytes, or throws saying why not. */
export async function renderForCache(
  sharp: SharpFactory,
  source: RenderSource,
  options: RenderOptions,
): Promise<Buffer> {
  const pipeline = await cachePipeline(sharp, source, options);
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  const expected = options.resolution * options.resolution * 3;
  if (info.channels !== 3 || data.length !== expected) {
    throw new Error(
      `unexpected output ${info.width}×${info.height}×${info.channels} (wanted ${options.resolution}×${options.resolution}×3)`,
    );
  }
  return data;
}
