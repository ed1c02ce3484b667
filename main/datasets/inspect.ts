import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Metadata } from 'sharp';
import { firstLineOf } from '../../shared/errors.js';
import type { ColorMode, SkipReason } from '../../shared/types.js';
import { BmpError, decodeBmp } from './bmp.js';
import { decodeForMosaic, hasOnlyPlainChunks, mosaicCandidate, type RawImage } from './mosaic.js';
import { loadSharp } from '../common/sharp-loader.js';
import { hasImageExtension, sniff, sniffBytes, unsupportedFormatByName, type Sniffed } from './sniff.js';

/** What a file's content is, independent of the dataset's minimum size and of other files. */
export interface Inspection {
  hash: string | null;
  format: string | null;
  width: number | null;
  height: number | null;
  mode: ColorMode | null;
  /** Why the file cannot be used at all; null for a readable image. */
  problem: { reason: ContentReason; detail: string } | null;
  /** The decoded pixels, when asked for and the file is a mosaic candidate (see mosaic.ts). */
  pixels?: RawImage;
}

/** Reasons that depend on the file alone ('too-small' and 'duplicate' depend on the dataset). */
export type ContentReason = Exclude<SkipReason, 'too-small' | 'duplicate'>;

/**
 * Files up to this size are read into memory once and both hashed and decoded from that buffer;
 * larger ones are hashed as a stream and decoded from disk, so a 2 GB TIFF does not need 2 GB.
 */
const maxBufferedBytes = 64 * 1024 * 1024;
const smallFileBytes = 1024 * 1024;

/**
 * Big JPEGs are checked at 1/8 scale: libjpeg still reads every block (a cut-off file still
 * fails) but skips most of the inverse DCT, about four times faster on camera photos.
 */
const jpegShrinkCheckPixels = 4_000_000;

function problem(reason: ContentReason, detail: string): Inspection {
  return { hash: null, format: null, width: null, height: null, mode: null, problem: { reason, detail } };
}

export function unreadableDetail(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'The file disappeared during the scan. Rescan once the folder is complete.';
  if (code === 'EACCES' || code === 'EPERM')
    return 'Permission denied. Give GAN Studio read access to this file (or its folder) and rescan.';
  if (code === 'EISDIR') return 'This is a folder, not a file.';
  return `The file could not be read (${firstLineOf(err)}). Check the disk, then rescan.`;
}

/** The colour mode of a decodable image, as the dataset report groups them. */
export function colorModeOf(meta: Pick<Metadata, 'depth' | 'space' | 'hasAlpha'>): ColorMode {
  // More than 8 bits a sample (16-bit PNG/TIFF, float TIFF/HDR) goes first: it is converted
  // whatever its channels.
  if (meta.depth !== 'uchar' && meta.depth !== 'char') return '16-bit';
  if (meta.space === 'cmyk') return 'cmyk';
  if (meta.space === 'b-w' || meta.space === 'grey16') return meta.hasAlpha ? 'grey-alpha' : 'grey';
  return meta.hasAlpha ? 'rgba' : 'rgb';
}

async function readHead(absPath: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(absPath, 'r');
  try {
    const head = Buffer.alloc(Math.min(sniffBytes, bytes));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function hashStream(absPath: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(absPath, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Why sharp could not open a file, judged by what its first bytes said it was. */
function undecodable(sniffed: Sniffed, fileName: string, err: unknown): Inspection {
  const message = firstLineOf(err);
  if (/pixel limit/i.test(message)) {
    return problem(
      'unsupported-format',
      `The image is too large to decode safely (over 268 megapixels). Reduce it and rescan.`,
    );
  }
  if (sniffed.kind === 'image') {
    return problem(
      'corrupt',
      `The ${sniffed.label} data is damaged or cut short (${message}). Replace the file with a good copy.`,
    );
  }
  if (sniffed.kind === 'unsupported-image') {
    return problem(
      'unsupported-format',
      `${sniffed.label} images cannot be read by GAN Studio. Convert it to PNG or JPEG to use it.`,
    );
  }
  const byName = unsupportedFormatByName(fileName);
  if (byName)
    return problem(
      'unsupported-format',
      `${byName} images cannot be read by GAN Studio. Convert it to PNG or JPEG to use it.`,
    );
  if (hasImageExtension(fileName)) {
    return problem(
      'corrupt',
      `The file is named like an image but its content cannot be decoded. Replace it with a good copy.`,
    );
  }
  return problem('not-an-image', 'Not an image (its content is not in any image format).');
}

/**
 * Reads, hashes and test-decodes one file. Never throws for a bad file: every failure becomes a
 * problem with a reason, because one bad file must not stop a scan of thousands.
 *
 * A zero-byte file is 'corrupt' when its name promises an image (a failed copy or download) and
 * 'not-an-image' otherwise (an empty notes.txt is not a broken picture).
 */
export async function inspectFile(
  absPath: string,
  bytes: number,
  options: { keepPixels?: boolean } = {},
): Promise<Inspection> {
  const fileName = path.basename(absPath);
  if (bytes === 0) {
    return hasImageExtension(fileName)
      ? problem(
          'corrupt',
          'The file is empty (0 bytes), probably from a failed copy or download. Replace it with a good copy.',
        )
      : problem('not-an-image', 'Not an image (the file is empty).');
  }
  // Small files are read whole at once; bigger ones are sniffed first, so a 60 MB video beside
  // the photos is recognised from 4 KB instead of being read in full.
  let whole: Buffer | undefined;
  let sniffed: Sniffed;
  try {
    if (bytes <= smallFileBytes) {
      whole = await fs.readFile(absPath);
      sniffed = sniff(whole.subarray(0, sniffBytes), fileName);
    } else {
      sniffed = sniff(await readHead(absPath, bytes), fileName);
      if (sniffed.kind !== 'other' && bytes <= maxBufferedBytes) whole = await fs.readFile(absPath);
    }
  } catch (err) {
    return problem('unreadable', unreadableDetail(err));
  }
  if (sniffed.kind === 'other')
    return problem('not-an-image', `Not an image: the content is ${sniffed.label}.`);
  let hash: string;
  try {
    hash = whole ? createHash('sha1').update(whole).digest('hex') : await hashStream(absPath);
  } catch (err) {
    return problem('unreadable', unreadableDetail(err));
  }
  if (sniffed.decoder === 'bmp') return { ...inspectBmp(whole), hash };
  const input = whole ?? absPath;
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(input, { failOn: 'truncated' }).metadata();
  } catch (err) {
    return { ...undecodable(sniffed, fileName, err), hash };
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) {
    return {
      ...problem('corrupt', 'The image has no size in its header. Replace it with a good copy.'),
      hash,
    };
  }
  const mode = colorModeOf(meta);
  const keep =
    options.keepPixels && mosaicCandidate({ format: meta.format, mode, width, height }) ? whole : undefined;
  let pixels: RawImage | undefined;
  try {
    // A training cache is being built alongside: the full decode is the check and its pixels go
    // on to the cache, so the file is decoded once instead of twice.
    if (keep && hasOnlyPlainChunks(keep)) pixels = await decodeForMosaic(sharp, keep);
    else await checkDecodes(input, meta);
  } catch (err) {
    return {
      ...undecodable(
        sniffed.kind === 'unknown' ? { kind: 'image', label: meta.format.toUpperCase() } : sniffed,
        fileName,
        err,
      ),
      hash,
    };
  }
  return { hash, format: meta.format, width, height, mode, problem: null, ...(pixels ? { pixels } : {}) };
}

/**
 * A BMP, decoded in full by bmp.ts (libvips here has no BMP loader): the decode is the check.
 * `whole` is undefined for files over maxBufferedBytes, which are not decoded.
 */
function inspectBmp(whole: Buffer | undefined): Omit<Inspection, 'hash'> {
  if (!whole) {
    return problem(
      'unsupported-format',
      `BMP files over ${maxBufferedBytes / 1024 / 1024} MB cannot be read by GAN Studio. Convert it to PNG to use it.`,
    );
  }
  try {
    const { width, height, channels } = decodeBmp(whole);
    return { format: 'bmp', width, height, mode: channels === 4 ? 'rgba' : 'rgb', problem: null };
  } catch (err) {
    if (err instanceof BmpError)
      return problem(err.reason === 'corrupt' ? 'corrupt' : 'unsupported-format', err.message);
    throw err;
  }
}

/**
 * Decodes the pixel data to its end without keeping it: a header can be intact while the data is
 * cut short (an interrupted download), which only shows when the last rows are read. Asking for
 * the bottom-right pixel makes libvips decode every row before it but hold only a few at a time.
 */
async function checkDecodes(input: Buffer | string, meta: Metadata): Promise<void> {
  const sharp = await loadSharp();
  const image = sharp(input, { failOn: 'truncated' });
  if (meta.format === 'jpeg' && meta.width * meta.height >= jpegShrinkCheckPixels) {
    image.resize({ width: Math.max(1, Math.floor(meta.width / 8)) });
  } else {
    image.extract({ left: meta.width - 1, top: meta.height - 1, width: 1, height: 1 });
  }
  await image.raw().toBuffer();
}
