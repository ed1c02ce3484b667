/**
 * A small, strict BMP decoder. The libvips bundled with sharp has no BMP loader, so BMP files are
 * decoded here into raw pixels, which sharp then takes (as raw input) and processes like any other
 * image. Only the uncompressed variants are read; the rest are refused as unsupported rather than
 * guessed at, and damage (a cut-short download above all) is reported rather than papered over.
 *
 * One file (longer than most) because a decoder is read as one piece: the header fields, the
 * variants they allow and the row reader that depends on both.
 */

/** Why a BMP cannot be used: damaged, or a valid variant this decoder does not read. */
export class BmpError extends Error {
  constructor(
    readonly reason: 'corrupt' | 'unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'BmpError';
  }
}

/** Raw 8-bit samples, RGB or RGBA, rows top to bottom, with no row padding. */
export interface BmpImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

const fileHeaderBytes = 14;
const infoHeaderBytes = 40;
const supportedHeaderBytes = new Set([12, 40, 52, 56, 108, 124]);
const supportedDepths = new Set([1, 4, 8, 16, 24, 32]);

const compression = { rgb: 0, rle8: 1, rle4: 2, bitfields: 3, jpeg: 4, png: 5, alphaBitfields: 6 } as const;
const compressionNames: Record<number, string> = {
  [compression.rle8]: 'RLE8',
  [compression.rle4]: 'RLE4',
  [compression.jpeg]: 'JPEG',
  [compression.png]: 'PNG',
  11: 'CMYK',
  12: 'CMYK RLE8',
  13: 'CMYK RLE4',
};

const convertAdvice = 'Convert it to PNG or to an uncompressed BMP to use it.';

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function corrupt(message: string): BmpError {
  return new BmpError('corrupt', message);
}

function unsupported(message: string): BmpError {
  return new BmpError('unsupported', message);
}

/** One colour channel of a bit-field pixel: where it sits and how its values map onto 0..255. */
interface Channel {
  mask: number;
  shift: number;
  /** Value → 0..255, when the channel is narrow enough for a table; wide ones are computed. */
  table: Uint8Array | null;
  max: number;
}

function channelOf(mask: number): Channel {
  const m = mask >>> 0;
  if (m === 0) return { mask: 0, shift: 0, table: null, max: 0 };
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  const max = m >>> shift;
  let table: Uint8Array | null = null;
  // 16-bit pixels can only hold channels up to 16 bits wide, so a table always fits there and
  // turns the per-pixel division into a lookup; wider 32-bit channels are rare enough to compute.
  if (max <= 0xffff) {
    table = new Uint8Array(max + 1);
    for (let v = 0; v <= max; v++) table[v] = Math.round((v * 255) / max);
  }
  return { mask: m, shift, table, max };
}

/** The byte of a little-endian pixel that holds the channel whole, or -1 if none does. */
function byteIndex(c: Channel): number {
  return c.max === 255 && c.shift % 8 === 0 ? c.shift / 8 : -1;
}

function scale(c: Channel, pixel: number): number {
  if (c.mask === 0) return 0;
  const v = (pixel & c.mask) >>> c.shift;
  return c.table ? c.table[v]! : Math.round((v * 255) / c.max);
}

interface Header {
  headerBytes: number;
  width: number;
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  colorsUsed: number;
  /** Red, green, blue, alpha masks; null where the pixels are not bit fields. */
  masks: [number, number, number, number] | null;
  /** Where the palette (or, for a 40-byte header, the bit-field masks) starts. */
  afterHeader: number;
}

function need(file: Buffer, end: number): void {
  if (file.length < end) {
    throw corrupt(
      `The BMP file is cut short inside its header: ${count(file.length)} of at least ${count(end)} bytes are present.`,
    );
  }
}

function readHeader(file: Buffer): Header {
  if (file.length < 2 || file[0] !== 0x42 || file[1] !== 0x4d) {
    throw corrupt('This file is not a BMP image: it does not start with the BMP signature.');
  }
  need(file, fileHeaderBytes + 4);
  const headerBytes = file.readUInt32LE(fileHeaderBytes);
  if (!supportedHeaderBytes.has(headerBytes)) {
    throw unsupported(
      `BMP images with a ${count(headerBytes)}-byte header cannot be read by GAN Studio. ${convertAdvice}`,
    );
  }
  need(file, fileHeaderBytes + headerBytes);
  const h = fileHeaderBytes;

  if (headerBytes === 12) {
    // OS/2 1.x core header: unsigned 16-bit sizes, so always bottom-up, and never compressed.
    checkPlanes(file.readUInt16LE(h + 8));
    const bitsPerPixel = file.readUInt16LE(h + 10);
    if (![1, 4, 8, 24].includes(bitsPerPixel)) throw unsupportedDepth(bitsPerPixel);
    return {
      headerBytes,
      width: file.readUInt16LE(h + 4),
      height: file.readUInt16LE(h + 6),
      topDown: false,
      bitsPerPixel,
      colorsUsed: 0,
      masks: null,
      afterHeader: h + headerBytes,
    };
  }

  const width = file.readInt32LE(h + 4);
  const rawHeight = file.readInt32LE(h + 8);
  checkPlanes(file.readUInt16LE(h + 12));
  const bitsPerPixel = file.readUInt16LE(h + 14);
  const comp = file.readUInt32LE(h + 16);
  const colorsUsed = file.readUInt32LE(h + 32);

  let masks: Header['masks'] = null;
  let afterHeader = h + headerBytes;
  const bitfields = comp === compression.bitfields || comp === compression.alphaBitfields;
  if (bitfields) {
    if (bitsPerPixel !== 16 && bitsPerPixel !== 32) {
      throw unsupported(
        `BMP images with colour bit fields at ${bitsPerPixel} bits per pixel cannot be read by GAN Studio. ${convertAdvice}`,
      );
    }
    if (headerBytes === infoHeaderBytes) {
      // A plain info header has no room for masks: they follow it, before any palette.
      const maskCount = comp === compression.alphaBitfields ? 4 : 3;
      need(file, afterHeader + maskCount * 4);
      masks = [
        file.readUInt32LE(afterHeader),
        file.readUInt32LE(afterHeader + 4),
        file.readUInt32LE(afterHeader + 8),
        maskCount === 4 ? file.readUInt32LE(afterHeader + 12) : 0,
      ];
      afterHeader += maskCount * 4;
    } else {
      masks = [
        file.readUInt32LE(h + 40),
        file.readUInt32LE(h + 44),
        file.readUInt32LE(h + 48),
        headerBytes >= 56 ? file.readUInt32LE(h + 52) : 0,
      ];
    }
  } else if (comp === compression.rgb && (bitsPerPixel === 16 || bitsPerPixel === 32)) {
    // Uncompressed 16/32-bit pixels have fixed colour layouts. A V4/V5 header still carries an
    // alpha mask, which many writers fill in for 32-bit BI_RGB images that do have alpha; a
    // writer that leaves the byte unused writes zeros there, which reads as opaque below.
    masks = bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0x00ff00, 0x0000ff, 0];
    const alpha = headerBytes >= 108 ? file.readUInt32LE(h + 52) : 0;
    const colorBits = masks[0] | masks[1] | masks[2];
    const pixelBits = bitsPerPixel === 16 ? 0xffff : 0xffffffff;
    // An alpha mask that overlaps the colours or lies outside the pixel is a leftover, not alpha.
    if ((alpha & colorBits) === 0 && (alpha & ~pixelBits) === 0) masks[3] = alpha;
  } else if (comp !== compression.rgb) {
    const name = compressionNames[comp];
    throw unsupported(
      name
        ? `BMP images compressed with ${name} cannot be read by GAN Studio. ${convertAdvice}`
        : `BMP images with compression type ${comp} cannot be read by GAN Studio. ${convertAdvice}`,
    );
  }

  return {
    headerBytes,
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel,
    colorsUsed,
    masks,
    afterHeader,
  };
}

function checkPlanes(planes: number): void {
  if (planes !== 1) {
    throw unsupported(
      `BMP images with ${count(planes)} colour planes cannot be read by GAN Studio. ${convertAdvice}`,
    );
  }
}

function unsupportedDepth(bitsPerPixel: number): BmpError {
  return unsupported(
    `BMP images with ${count(bitsPerPixel)} bits per pixel cannot be read by GAN Studio. ${convertAdvice}`,
  );
}

/**
 * Decodes a whole BMP file. Throws BmpError: 'corrupt' for a damaged file, 'unsupported' for a
 * valid variant this decoder does not read (or one over maxPixels).
 */
export function decodeBmp(file: Buffer, maxPixels = 268_402_689): BmpImage {
  const header = readHeader(file);
  const { width, height, bitsPerPixel, headerBytes } = header;

  if (!supportedDepths.has(bitsPerPixel)) throw unsupportedDepth(bitsPerPixel);
  if (width <= 0) {
    throw corrupt(`The BMP header gives a width of ${count(width)} pixels, so the file is damaged.`);
  }
  if (height === 0) throw corrupt('The BMP header gives a height of 0 pixels, so the file is damaged.');
  if (width * height > maxPixels) {
    throw unsupported(
      `This BMP image is ${count(width)} × ${count(height)} pixels, more than the ${count(maxPixels)} pixels GAN Studio can read. Scale it down to use it.`,
    );
  }

  const pixelOffset = file.readUInt32LE(10);
  if (pixelOffset < header.afterHeader) {
    throw corrupt('The BMP header places the pixel data inside the header, so the file is damaged.');
  }

  let palette: Uint8Array | null = null;
  let paletteSize = 0;
  if (bitsPerPixel <= 8) {
    const entryBytes = headerBytes === 12 ? 3 : 4;
    const full = 1 << bitsPerPixel;
    // More entries than the depth can index would never be used.
    const declared = header.colorsUsed === 0 ? full : Math.min(header.colorsUsed, full);
    const available = Math.floor((Math.min(pixelOffset, file.length) - header.afterHeader) / entryBytes);
    if (available < declared) {
      throw corrupt(
        `The BMP colour palette is cut short: ${count(available)} of ${count(declared)} colours are present.`,
      );
    }
    paletteSize = declared;
    palette = new Uint8Array(full * 3);
    for (let i = 0; i < declared; i++) {
      const at = header.afterHeader + i * entryBytes;
      palette[i * 3] = file[at + 2]!;
      palette[i * 3 + 1] = file[at + 1]!;
      palette[i * 3 + 2] = file[at]!;
    }
  }

  if (pixelOffset > file.length) {
    throw corrupt(
      `The BMP header places the pixel data at byte ${count(pixelOffset)}, past the end of the ${count(file.length)}-byte file.`,
    );
  }

  const stride = Math.floor((width * bitsPerPixel + 31) / 32) * 4;
  const expected = stride * height;
  // The last row's padding carries nothing, so a writer that leaves it off loses no pixels;
  // anything shorter than that is missing pixels and must not decode as if it were whole.
  const needed = stride * (height - 1) + Math.ceil((width * bitsPerPixel) / 8);
  const present = file.length - pixelOffset;
  if (present < needed) {
    throw corrupt(
      `The BMP data is cut short: ${count(present)} of ${count(expected)} pixel bytes are present.`,
    );
  }

  const rowStart = (y: number): number => pixelOffset + (header.topDown ? y : height - 1 - y) * stride;

  if (palette) return decodePalette(file, header, palette, paletteSize, rowStart);
  if (bitsPerPixel === 24) return decode24(file, width, height, rowStart);
  return decodeBitfields(file, header, header.masks!, rowStart);
}

function decodePalette(
  file: Buffer,
  header: Header,
  palette: Uint8Array,
  paletteSize: number,
  rowStart: (y: number) => number,
): BmpImage {
  const { width, height, bitsPerPixel: bits } = header;
  const data = Buffer.alloc(width * height * 3);
  const perByte = 8 / bits;
  const valueMask = (1 << bits) - 1;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = rowStart(y);
    for (let x = 0; x < width; x++) {
      let index: number;
      if (bits === 8) {
        index = file[row + x]!;
      } else {
        // Packed pixels: the leftmost pixel is in the most significant bits.
        const byte = file[row + Math.floor(x / perByte)]!;
        index = (byte >> (8 - bits * ((x % perByte) + 1))) & valueMask;
      }
      if (index >= paletteSize) {
        throw corrupt(
          `The BMP pixel data uses colour ${count(index)} but the palette has only ${count(paletteSize)} colours, so the file is damaged.`,
        );
      }
      const p = index * 3;
      data[o] = palette[p]!;
      data[o + 1] = palette[p + 1]!;
      data[o + 2] = palette[p + 2]!;
      o += 3;
    }
  }
  return { data, width, height, channels: 3 };
}

function decode24(file: Buffer, width: number, height: number, rowStart: (y: number) => number): BmpImage {
  const data = Buffer.alloc(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = rowStart(y);
    const end = i + width * 3;
    for (; i < end; i += 3) {
      data[o] = file[i + 2]!;
      data[o + 1] = file[i + 1]!;
      data[o + 2] = file[i]!;
      o += 3;
    }
  }
  return { data, width, height, channels: 3 };
}

function decodeBitfields(
  file: Buffer,
  header: Header,
  masks: [number, number, number, number],
  rowStart: (y: number) => number,
): BmpImage {
  const { width, height, bitsPerPixel } = header;
  const bytes = bitsPerPixel / 8;
  const read =
    bytes === 2
      ? (i: number): number => file[i]! | (file[i + 1]! << 8)
      : (i: number): number => file[i]! | (file[i + 1]! << 8) | (file[i + 2]! << 16) | (file[i + 3]! << 24);
  const [r, g, b, a] = masks.map(channelOf) as [Channel, Channel, Channel, Channel];

  // Old writers leave the alpha byte of 32-bit pixels at zero while meaning "opaque": an image
  // whose alpha is zero everywhere is taken as having no alpha at all, not as fully transparent.
  let hasAlpha = false;
  if (a.mask !== 0) {
    search: for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      for (let x = 0; x < width; x++) {
        if ((read(row + x * bytes) & a.mask) !== 0) {
          hasAlpha = true;
          break search;
        }
      }
    }
  }

  const channels = hasAlpha ? 4 : 3;
  const data = Buffer.alloc(width * height * channels);
  // Nearly every 32-bit file has whole-byte channels (BGRA and the like): those are byte copies.
  const [rAt, gAt, bAt, aAt] = [r, g, b, a].map(byteIndex) as [number, number, number, number];
  if (bytes === 4 && rAt >= 0 && gAt >= 0 && bAt >= 0 && (!hasAlpha || aAt >= 0)) {
    let o = 0;
    for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      for (let x = 0; x < width; x++) {
        const i = row + x * 4;
        data[o] = file[i + rAt]!;
        data[o + 1] = file[i + gAt]!;
        data[o + 2] = file[i + bAt]!;
        if (hasAlpha) data[o + 3] = file[i + aAt]!;
        o += channels;
      }
    }
    return { data, width, height, channels };
  }

  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = rowStart(y);
    for (let x = 0; x < width; x++) {
      const pixel = read(row + x * bytes);
      data[o] = scale(r, pixel);
      data[o + 1] = scale(g, pixel);
      data[o + 2] = scale(b, pixel);
      if (hasAlpha) data[o + 3] = scale(a, pixel);
      o += channels;
    }
  }
  return { data, width, height, channels };
}
