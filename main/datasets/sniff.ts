/**
 * Content sniffing: what a file is, judged by its first bytes rather than its name. Real folders
 * hold text files named .jpg, sound files and data files beside the images; the scan tells the
 * user which is which, so a skipped file's reason must come from what it contains.
 */

export type SniffKind =
  /**
   * A format the studio decodes (libvips, or bmp.ts where `decoder` says so). A decode failure
   * then means the file is damaged.
   */
  | 'image'
  /** An image format the studio cannot decode (PSD, HEIC, JPEG XL...). */
  | 'unsupported-image'
  /** Something that is certainly not an image: text, audio, video, archives, documents. */
  | 'other'
  /** Not recognised: libvips gets a chance to decode it, as it knows a few rarer formats. */
  | 'unknown';

export interface Sniffed {
  kind: SniffKind;
  /**
   * What it looks like, in words for the skip detail: a format name for images ("JPEG"), a phrase
   * that reads after "the content is" otherwise ("text", "WAV audio", "a PDF document").
   */
  label: string;
  /** Decoded by GAN Studio itself rather than libvips, which has no loader for it. */
  decoder?: 'bmp';
}

/** Bytes worth reading to sniff a file: enough for an SVG behind an XML prolog and comments. */
export const sniffBytes = 4096;

function ascii(buf: Uint8Array, start: number, length: number): string {
  let s = '';
  const end = Math.min(buf.length, start + length);
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function startsWith(buf: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (buf.length < offset + bytes.length) return false;
  return bytes.every((b, i) => buf[offset + i] === b);
}

const heifImageBrands = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const avifBrands = new Set(['avif', 'avis']);
const videoBrands = new Set([
  'isom',
  'iso2',
  'mp41',
  'mp42',
  'qt  ',
  'm4v ',
  'm4a ',
  'M4A ',
  'M4V ',
  '3gp4',
  '3gp5',
  'dash',
  'avc1',
  'f4v ',
]);

/** ISO base media files (MP4, MOV, HEIF, AVIF) share one container: the brand says which. */
function sniffIsoBmff(head: Uint8Array): Sniffed | undefined {
  if (ascii(head, 4, 4) !== 'ftyp') return undefined;
  const major = ascii(head, 8, 4);
  // The compatible brands list follows the minor version; 'mif1' alone is HEIF of some codec.
  const boxSize = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  const brands = [major];
  for (let o = 16; o + 4 <= Math.min(boxSize, head.length); o += 4) brands.push(ascii(head, o, 4));
  if (brands.some((b) => avifBrands.has(b))) return { kind: 'image', label: 'AVIF' };
  if (brands.some((b) => heifImageBrands.has(b))) return { kind: 'unsupported-image', label: 'HEIC' };
  if (brands.includes('mif1') || brands.includes('msf1')) return { kind: 'unsupported-image', label: 'HEIF' };
  if (major === 'crx ') return { kind: 'unsupported-image', label: 'Canon CR3 raw photo' };
  if (brands.some((b) => videoBrands.has(b))) return { kind: 'other', label: 'MP4/QuickTime video or audio' };
  return { kind: 'other', label: `an ISO media file (${major.trim()})` };
}

/** SVG is text: an XML prolog, comments or a doctype may come before the <svg element. */
function looksLikeSvg(head: Uint8Array): boolean {
  const text = ascii(head, 0, head.length)
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart();
  if (!text.startsWith('<')) return false;
  return /<svg[\s>]/i.test(text);
}

/**
 * Text, judged on the sampled bytes: no NUL byte and almost all printable or whitespace. Bytes
 * of 0x80 and above count as printable so UTF-8 and Latin-1 prose both pass.
 */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
  }
  return control / head.length < 0.02;
}

/** Signatures checked in order; the first that matches wins. */
const signatures: { test: (h: Uint8Array) => boolean; result: Sniffed }[] = [
  { test: (h) => startsWith(h, [0xff, 0xd8, 0xff]), result: { kind: 'image', label: 'JPEG' } },
  {
    test: (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    result: { kind: 'image', label: 'PNG' },
  },
  { test: (h) => ['GIF87a', 'GIF89a'].includes(ascii(h, 0, 6)), result: { kind: 'image', label: 'GIF' } },
  {
    test: (h) => ascii(h, 0, 4) === 'RIFF' && ascii(h, 8, 4) === 'WEBP',
    result: { kind: 'image', label: 'WebP' },
  },
  {
    test: (h) => ['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(h, 0, 4)),
    result: { kind: 'image', label: 'TIFF' },
  },
  { test: (h) => /^P[1-7fF]\s/.test(ascii(h, 0, 3)), result: { kind: 'image', label: 'PNM' } },
  {
    test: (h) => ascii(h, 0, 10) === '#?RADIANCE' || ascii(h, 0, 6) === '#?RGBE',
    result: { kind: 'image', label: 'Radiance HDR' },
  },
  {
    test: (h) => ascii(h, 0, 2) === 'BM' && h.length >= 18 && h[14]! >= 12 && h[15] === 0,
    result: { kind: 'image', label: 'BMP', decoder: 'bmp' },
  },
  // Images of formats the bundled libvips has no decoder for.
  {
    test: (h) => startsWith(h, [0, 0, 1, 0]) && h.length > 6 && h[4]! > 0,
    result: { kind: 'unsupported-image', label: 'ICO icon' },
  },
  {
    test: (h) => startsWith(h, [0, 0, 2, 0]) && h.length > 6 && h[4]! > 0,
    result: { kind: 'unsupported-image', label: 'CUR cursor' },
  },
  { test: (h) => ascii(h, 0, 4) === '8BPS', result: { kind: 'unsupported-image', label: 'Photoshop PSD' } },
  {
    test: (h) => startsWith(h, [0x76, 0x2f, 0x31, 0x01]),
    result: { kind: 'unsupported-image', label: 'OpenEXR' },
  },
  { test: (h) => ascii(h, 0, 4) === 'DDS ', result: { kind: 'unsupported-image', label: 'DDS texture' } },
  { test: (h) => ascii(h, 0, 4) === 'qoif', result: { kind: 'unsupported-image', label: 'QOI' } },
  { test: (h) => ascii(h, 0, 8) === 'gimp xcf', result: { kind: 'unsupported-image', label: 'GIMP XCF' } },
  {
    test: (h) => startsWith(h, [0xff, 0x0a]) || startsWith(h, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]),
    result: { kind: 'unsupported-image', label: 'JPEG XL' },
  },
  {
    test: (h) =>
      startsWith(h, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(h, [0xff, 0x4f, 0xff, 0x51]),
    result: { kind: 'unsupported-image', label: 'JPEG 2000' },
  },
  {
    test: (h) => ascii(h, 0, 15) === 'FUJIFILMCCD-RAW',
    result: { kind: 'unsupported-image', label: 'Fujifilm RAF raw photo' },
  },
  {
    test: (h) => ascii(h, 0, 4) === 'FOVb',
    result: { kind: 'unsupported-image', label: 'Sigma X3F raw photo' },
  },
  // Certainly not images.
  { test: (h) => ascii(h, 0, 4) === '%PDF', result: { kind: 'other', label: 'a PDF document' } },
  {
    test: (h) => ascii(h, 0, 4) === 'RIFF' && ascii(h, 8, 4) === 'WAVE',
    result: { kind: 'other', label: 'WAV audio' },
  },
  {
    test: (h) => ascii(h, 0, 4) === 'RIFF' && ascii(h, 8, 4) === 'AVI ',
    result: { kind: 'other', label: 'AVI video' },
  },
  {
    test: (h) =>
      ascii(h, 0, 3) === 'ID3' || (h[0] === 0xff && ((h[1] ?? 0) & 0xe0) === 0xe0 && h[1] !== 0xff),
    result: { kind: 'other', label: 'MP3 audio' },
  },
  { test: (h) => ascii(h, 0, 4) === 'OggS', result: { kind: 'other', label: 'Ogg audio/video' } },
  { test: (h) => ascii(h, 0, 4) === 'fLaC', result: { kind: 'other', label: 'FLAC audio' } },
  {
    test: (h) => startsWith(h, [0x1a, 0x45, 0xdf, 0xa3]),
    result: { kind: 'other', label: 'Matroska/WebM video' },
  },
  {
    test: (h) => ascii(h, 0, 4) === 'PK\x03\x04' || ascii(h, 0, 4) === 'PK\x05\x06',
    result: { kind: 'other', label: 'a ZIP archive or office document' },
  },
  { test: (h) => startsWith(h, [0x1f, 0x8b]), result: { kind: 'other', label: 'a gzip archive' } },
  {
    test: (h) => ascii(h, 0, 6) === '7z\xBC\xAF\x27\x1C',
    result: { kind: 'other', label: 'a 7-Zip archive' },
  },
  { test: (h) => ascii(h, 0, 4) === 'Rar!', result: { kind: 'other', label: 'a RAR archive' } },
  {
    test: (h) => ascii(h, 0, 16) === 'SQLite format 3\0',
    result: { kind: 'other', label: 'an SQLite database' },
  },
  {
    test: (h) => ascii(h, 0, 4) === '\x7fELF' || ascii(h, 0, 2) === 'MZ',
    result: { kind: 'other', label: 'a program' },
  },
  {
    test: (h) => startsWith(h, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]),
    result: { kind: 'other', label: 'a NumPy array' },
  },
];

/**
 * Classifies a file from its first bytes (up to {@link sniffBytes}). The extension is used only
 * where content cannot tell: a gzip file named .svgz is a compressed SVG.
 */
export function sniff(head: Uint8Array, fileName: string): Sniffed {
  const ext = extensionOf(fileName);
  if (ext === 'svgz' && startsWith(head, [0x1f, 0x8b])) return { kind: 'image', label: 'SVG' };
  const iso = sniffIsoBmff(head);
  if (iso) return iso;
  for (const sig of signatures) if (sig.test(head)) return sig.result;
  if (looksLikeSvg(head)) return { kind: 'image', label: 'SVG' };
  if (looksLikeText(head)) return { kind: 'other', label: 'text' };
  return { kind: 'unknown', label: 'unrecognised data' };
}

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
}

/** Names that promise an image; used to call an undecodable one "corrupt" rather than "not an image". */
const imageExtensions = new Set([
  'jpg',
  'jpeg',
  'jpe',
  'jfif',
  'png',
  'apng',
  'gif',
  'webp',
  'tif',
  'tiff',
  'avif',
  'svg',
  'svgz',
  'bmp',
  'dib',
  'ico',
  'cur',
  'psd',
  'heic',
  'heif',
  'jxl',
  'jp2',
  'j2k',
  'exr',
  'hdr',
  'tga',
  'dds',
  'qoi',
  'pbm',
  'pgm',
  'ppm',
  'pnm',
  'pfm',
  'xcf',
  'raw',
  'cr2',
  'cr3',
  'nef',
  'arw',
  'dng',
  'orf',
  'rw2',
  'raf',
]);

/** Image formats that have no reliable signature (TGA) or that libvips only knows as TIFF (raw). */
const unsupportedByName = new Map<string, string>([
  ['tga', 'TGA'],
  ['pcx', 'PCX'],
  ['heic', 'HEIC'],
  ['heif', 'HEIF'],
]);

export function hasImageExtension(fileName: string): boolean {
  return imageExtensions.has(extensionOf(fileName));
}

export function unsupportedFormatByName(fileName: string): string | undefined {
  return unsupportedByName.get(extensionOf(fileName));
}
