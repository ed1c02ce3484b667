import { describe, expect, it } from 'vitest';
import { BmpError, decodeBmp, type BmpImage } from '../../main/datasets/bmp.js';
import { encodeBmp, type BmpEncodeOptions } from './fixtures.js';

/** Deterministic pseudo-random bytes, so failures reproduce. */
function noise(seed: number): (x: number, y: number, c: number) => number {
  return (x, y, c) => {
    let h = (seed ^ (x * 374761393) ^ (y * 668265263) ^ (c * 2246822519)) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 1274126177) >>> 0;
    return (h ^ (h >>> 16)) & 0xff;
  };
}

const scaled = (v: number, max: number): number => Math.round((v * 255) / max);

function expectPixels(
  image: BmpImage,
  width: number,
  height: number,
  channels: 3 | 4,
  expected: (x: number, y: number) => number[],
): void {
  expect(image.width).toBe(width);
  expect(image.height).toBe(height);
  expect(image.channels).toBe(channels);
  expect(image.data.length).toBe(width * height * channels);
  const want = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) want.set(expected(x, y), (y * width + x) * channels);
  }
  // One comparison of whole buffers keeps a mismatch readable without a per-pixel assertion.
  expect(image.data.equals(want)).toBe(true);
}

function failure(file: Buffer, maxPixels?: number): BmpError {
  try {
    decodeBmp(file, maxPixels);
  } catch (err) {
    expect(err).toBeInstanceOf(BmpError);
    return err as BmpError;
  }
  throw new Error('decodeBmp did not throw');
}

describe('decodeBmp: uncompressed true colour', () => {
  const px = noise(1);
  const rgb = (x: number, y: number): number[] => [px(x, y, 0), px(x, y, 1), px(x, y, 2)];
  const packed24 = (x: number, y: number): number => (px(x, y, 0) << 16) | (px(x, y, 1) << 8) | px(x, y, 2);

  it('reads 24-bit bottom-up rows with padding', () => {
    const file = encodeBmp({ width: 5, height: 4, bitsPerPixel: 24, value: packed24 });
    expectPixels(decodeBmp(file), 5, 4, 3, rgb);
  });

  it('reads 24-bit top-down rows (negative height)', () => {
    const file = encodeBmp({ width: 7, height: 3, bitsPerPixel: 24, value: packed24, topDown: true });
    expectPixels(decodeBmp(file), 7, 3, 3, rgb);
  });

  it('reads 24-bit under V5 and OS/2 core headers', () => {
    for (const headerBytes of [124, 12] as const) {
      const file = encodeBmp({ width: 3, height: 5, bitsPerPixel: 24, value: packed24, headerBytes });
      expectPixels(decodeBmp(file), 3, 5, 3, rgb);
    }
  });

  it('ignores the unused fourth byte of 32-bit BI_RGB pixels', () => {
    for (const fourth of [() => 0, (x: number, y: number) => px(x, y, 3)]) {
      const file = encodeBmp({
        width: 4,
        height: 3,
        bitsPerPixel: 32,
        value: (x, y) => ((fourth(x, y) << 24) | packed24(x, y)) >>> 0,
      });
      expectPixels(decodeBmp(file), 4, 3, 3, rgb);
    }
  });

  it('reads 32-bit BI_BITFIELDS with alpha from V4 and V5 headers', () => {
    const alpha = (x: number, y: number): number => (x === 0 && y === 0 ? 0 : px(x, y, 3));
    const rgba = (x: number, y: number): number[] => [...rgb(x, y), alpha(x, y)];
    // V5 in the usual BGRA byte order, V4 in RGBA byte order: the masks, not the order, decide.
    const v5 = encodeBmp({
      width: 5,
      height: 4,
      bitsPerPixel: 32,
      headerBytes: 124,
      compression: 3,
      masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
      value: (x, y) => ((alpha(x, y) << 24) | packed24(x, y)) >>> 0,
    });
    expectPixels(decodeBmp(v5), 5, 4, 4, rgba);
    const v4 = encodeBmp({
      width: 5,
      height: 4,
      bitsPerPixel: 32,
      headerBytes: 108,
      compression: 3,
      masks: [0x000000ff, 0x0000ff00, 0x00ff0000, 0xff000000],
      value: (x, y) => ((alpha(x, y) << 24) | (px(x, y, 2) << 16) | (px(x, y, 1) << 8) | px(x, y, 0)) >>> 0,
    });
    expectPixels(decodeBmp(v4), 5, 4, 4, rgba);
  });

  it('reads 32-bit BI_ALPHABITFIELDS with the masks after a 40-byte header', () => {
    const file = encodeBmp({
      width: 3,
      height: 2,
      bitsPerPixel: 32,
      compression: 6,
      masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
      value: (x, y) => ((px(x, y, 3) << 24) | packed24(x, y)) >>> 0,
    });
    expectPixels(decodeBmp(file), 3, 2, 4, (x, y) => [...rgb(x, y), px(x, y, 3)]);
  });

  it('honours the alpha mask of a V5 header on 32-bit BI_RGB pixels', () => {
    const file = encodeBmp({
      width: 3,
      height: 3,
      bitsPerPixel: 32,
      headerBytes: 124,
      masks: [0, 0, 0, 0xff000000],
      value: (x, y) => ((px(x, y, 3) << 24) | packed24(x, y)) >>> 0,
    });
    expectPixels(decodeBmp(file), 3, 3, 4, (x, y) => [...rgb(x, y), px(x, y, 3)]);
  });

  it('reads 32-bit 10-10-10-2 bit fields, scaling each channel', () => {
    const word = (x: number, y: number): number =>
      ((px(x, y, 0) << 24) | (px(x, y, 1) << 16) | (px(x, y, 2) << 8) | px(x, y, 3)) >>> 0;
    const file = encodeBmp({
      width: 4,
      height: 3,
      bitsPerPixel: 32,
      headerBytes: 56,
      compression: 3,
      masks: [0x3ff00000, 0x000ffc00, 0x000003ff, 0xc0000000],
      value: word,
    });
    expectPixels(decodeBmp(file), 4, 3, 4, (x, y) => {
      const v = word(x, y);
      return [
        scaled((v >>> 20) & 1023, 1023),
        scaled((v >>> 10) & 1023, 1023),
        scaled(v & 1023, 1023),
        scaled(v >>> 30, 3),
      ];
    });
  });

  it('treats an alpha mask whose alpha is 0 everywhere as opaque RGB', () => {
    const file = encodeBmp({
      width: 4,
      height: 4,
      bitsPerPixel: 32,
      headerBytes: 124,
      compression: 3,
      masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
      value: packed24,
    });
    expectPixels(decodeBmp(file), 4, 4, 3, rgb);
  });
});

describe('decodeBmp: 16-bit', () => {
  const px = noise(2);

  it('reads BI_RGB as 5-5-5 with the top bit unused', () => {
    const field = (x: number, y: number, c: number): number => px(x, y, c) & 31;
    const file = encodeBmp({
      width: 5,
      height: 3,
      bitsPerPixel: 16,
      value: (x, y) => 0x8000 | (field(x, y, 0) << 10) | (field(x, y, 1) << 5) | field(x, y, 2),
    });
    expectPixels(decodeBmp(file), 5, 3, 3, (x, y) => [0, 1, 2].map((c) => scaled(field(x, y, c), 31)));
  });

  it('reads 5-6-5 BI_BITFIELDS with the masks after a 40-byte header', () => {
    const r = (x: number, y: number): number => px(x, y, 0) & 31;
    const g = (x: number, y: number): number => px(x, y, 1) & 63;
    const b = (x: number, y: number): number => px(x, y, 2) & 31;
    const file = encodeBmp({
      width: 3,
      height: 4,
      bitsPerPixel: 16,
      compression: 3,
      masks: [0xf800, 0x07e0, 0x001f],
      value: (x, y) => (r(x, y) << 11) | (g(x, y) << 5) | b(x, y),
    });
    expectPixels(decodeBmp(file), 3, 4, 3, (x, y) => [
      scaled(r(x, y), 31),
      scaled(g(x, y), 63),
      scaled(b(x, y), 31),
    ]);
  });

  it('scales channels of any width, and a zero colour mask gives 0', () => {
    // Red 3 bits, green 1 bit, blue 12 bits, no alpha mask.
    const file = encodeBmp({
      width: 4,
      height: 4,
      bitsPerPixel: 16,
      compression: 3,
      masks: [0x0007, 0x0008, 0xfff0],
      value: (x, y) => (px(x, y, 0) << 8) | px(x, y, 1),
    });
    expectPixels(decodeBmp(file), 4, 4, 3, (x, y) => {
      const v = (px(x, y, 0) << 8) | px(x, y, 1);
      return [scaled(v & 7, 7), scaled((v >> 3) & 1, 1), scaled(v >> 4, 4095)];
    });
    const noBlue = encodeBmp({
      width: 2,
      height: 1,
      bitsPerPixel: 16,
      compression: 3,
      masks: [0xf800, 0x07e0, 0],
      value: () => 0xffff,
    });
    expectPixels(decodeBmp(noBlue), 2, 1, 3, () => [255, 255, 0]);
    // Channels wider than 16 bits (here 24 and 8) are scaled the same way.
    const wide = encodeBmp({
      width: 3,
      height: 1,
      bitsPerPixel: 32,
      compression: 3,
      masks: [0x00ffffff, 0xff000000, 0],
      value: (x) => [0x00ffffff, 0x80800000, 0x12345678][x]!,
    });
    expectPixels(
      decodeBmp(wide),
      3,
      1,
      3,
      (x) =>
        [
          [255, 0, 0],
          [scaled(0x800000, 0xffffff), 0x80, 0],
          [scaled(0x345678, 0xffffff), 0x12, 0],
        ][x]!,
    );
  });

  it('reads 4-4-4-4 alpha from a V5 header', () => {
    const file = encodeBmp({
      width: 3,
      height: 3,
      bitsPerPixel: 16,
      headerBytes: 124,
      compression: 3,
      masks: [0x0f00, 0x00f0, 0x000f, 0xf000],
      value: (x, y) => (px(x, y, 0) << 8) | px(x, y, 1),
    });
    expectPixels(decodeBmp(file), 3, 3, 4, (x, y) => {
      const v = (px(x, y, 0) << 8) | px(x, y, 1);
      return [(v >> 8) & 15, (v >> 4) & 15, v & 15, v >> 12].map((n) => scaled(n, 15));
    });
  });
});

describe('decodeBmp: palettes', () => {
  const px = noise(3);
  const paletteOf = (n: number): [number, number, number][] =>
    Array.from({ length: n }, (_, i) => [px(i, 0, 7), px(i, 1, 7), px(i, 2, 7)]);

  for (const [bitsPerPixel, width, colors] of [
    [8, 5, 200],
    [4, 7, 16],
    [1, 13, 2],
  ] as const) {
    it(`reads ${bitsPerPixel}-bit pixels ${width} wide with a ${colors}-colour palette`, () => {
      const palette = paletteOf(colors);
      const index = (x: number, y: number): number => px(x, y, 4) % colors;
      const file = encodeBmp({ width, height: 3, bitsPerPixel, palette, value: index });
      expectPixels(decodeBmp(file), width, 3, 3, (x, y) => palette[index(x, y)]!);
    });
  }

  it('reads 8-bit pixels under an OS/2 core header (3-byte palette entries)', () => {
    const palette = paletteOf(256);
    const index = (x: number, y: number): number => px(x, y, 5);
    const file = encodeBmp({ width: 6, height: 4, bitsPerPixel: 8, palette, value: index, headerBytes: 12 });
    expectPixels(decodeBmp(file), 6, 4, 3, (x, y) => palette[index(x, y)]!);
  });

  it('takes a colours-used count of 0 as the full 2^bpp palette', () => {
    const palette = paletteOf(16);
    const index = (x: number, y: number): number => px(x, y, 6) & 15;
    const file = encodeBmp({ width: 3, height: 2, bitsPerPixel: 4, palette, value: index, colorsUsed: 0 });
    expectPixels(decodeBmp(file), 3, 2, 3, (x, y) => palette[index(x, y)]!);
  });
});

describe('decodeBmp: damaged and unsupported files', () => {
  const solid = (options: Partial<BmpEncodeOptions> = {}): Buffer =>
    encodeBmp({ width: 5, height: 4, bitsPerPixel: 24, value: () => 0x336699, ...options });

  it('rejects pixel data cut short, even by only the last row', () => {
    const whole = solid();
    const stride = 16;
    const err = failure(whole.subarray(0, whole.length - stride));
    expect(err.reason).toBe('corrupt');
    expect(err.message).toBe('The BMP data is cut short: 48 of 64 pixel bytes are present.');
    // The last row's padding alone carries no pixels.
    expect(decodeBmp(whole.subarray(0, whole.length - 1)).width).toBe(5);
    expect(failure(whole.subarray(0, whole.length - 2)).reason).toBe('corrupt');
  });

  it('rejects a file without the BM signature', () => {
    const file = solid();
    file.write('PK', 0, 'latin1');
    expect(failure(file).reason).toBe('corrupt');
    expect(failure(Buffer.alloc(0)).reason).toBe('corrupt');
  });

  it('rejects a header cut short', () => {
    const file = solid();
    for (const length of [2, 10, 17, 30, 53])
      expect(failure(file.subarray(0, length)).reason).toBe('corrupt');
    const bitfields = encodeBmp({
      width: 1,
      height: 1,
      bitsPerPixel: 16,
      compression: 3,
      masks: [0xf800, 0x07e0, 0x001f],
      value: () => 0,
    });
    expect(failure(bitfields.subarray(0, 60)).reason).toBe('corrupt');
  });

  it('refuses RLE, JPEG and PNG compression as unsupported, saying what to do', () => {
    const rle8 = encodeBmp({
      width: 2,
      height: 2,
      bitsPerPixel: 8,
      compression: 1,
      palette: [[0, 0, 0]],
      value: () => 0,
    });
    const err = failure(rle8);
    expect(err.reason).toBe('unsupported');
    expect(err.message).toBe(
      'BMP images compressed with RLE8 cannot be read by GAN Studio. Convert it to PNG or to an uncompressed BMP to use it.',
    );
    for (const compression of [2, 4, 5, 11])
      expect(failure(solid({ compression })).reason).toBe('unsupported');
  });

  it('refuses unknown header sizes, bit depths and plane counts as unsupported', () => {
    const header64 = solid();
    header64.writeUInt32LE(64, 14);
    expect(failure(header64).reason).toBe('unsupported');
    expect(failure(solid({ bitsPerPixel: 2, palette: [[0, 0, 0]], value: () => 0 })).reason).toBe(
      'unsupported',
    );
    expect(failure(solid({ bitsPerPixel: 48 })).reason).toBe('unsupported');
    expect(failure(solid({ planes: 2 })).reason).toBe('unsupported');
    expect(failure(solid({ compression: 3, masks: [0xff0000, 0xff00, 0xff] })).reason).toBe('unsupported');
  });

  it('rejects a palette index out of range', () => {
    const file = encodeBmp({
      width: 3,
      height: 2,
      bitsPerPixel: 8,
      palette: [
        [0, 0, 0],
        [255, 255, 255],
      ],
      value: (x, y) => (x === 2 && y === 1 ? 2 : x & 1),
    });
    const err = failure(file);
    expect(err.reason).toBe('corrupt');
    expect(err.message).toBe(
      'The BMP pixel data uses colour 2 but the palette has only 2 colours, so the file is damaged.',
    );
  });

  it('rejects a palette cut short', () => {
    const file = encodeBmp({ width: 2, height: 1, bitsPerPixel: 8, palette: [[1, 2, 3]], value: () => 0 });
    file.writeUInt32LE(16, 46); // claims 16 colours where the file holds 1
    expect(failure(file).reason).toBe('corrupt');
    expect(failure(file.subarray(0, 56)).message).toMatch(/palette is cut short/);
  });

  it('rejects zero or negative sizes and a pixel offset past the end of the file', () => {
    expect(failure(solid({ width: 0 })).reason).toBe('corrupt');
    expect(failure(solid({ width: -3 })).reason).toBe('corrupt');
    expect(failure(solid({ height: 0 })).reason).toBe('corrupt');
    const offset = solid();
    offset.writeUInt32LE(offset.length + 1, 10);
    expect(failure(offset).reason).toBe('corrupt');
    const inside = solid();
    inside.writeUInt32LE(20, 10);
    expect(failure(inside).reason).toBe('corrupt');
    const intoMasks = encodeBmp({
      width: 2,
      height: 2,
      bitsPerPixel: 16,
      compression: 3,
      masks: [0xf800, 0x07e0, 0x001f],
      value: () => 0,
    });
    intoMasks.writeUInt32LE(54, 10);
    expect(failure(intoMasks).message).toMatch(/pixel data inside the header/);
  });

  it('refuses images over maxPixels as unsupported', () => {
    const file = solid();
    expect(decodeBmp(file, 20).width).toBe(5);
    const err = failure(file, 19);
    expect(err.reason).toBe('unsupported');
    expect(err.message).toMatch(/^This BMP image is 5 × 4 pixels, more than the 19 pixels/);
  });
});
