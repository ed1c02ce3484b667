/** A picture as packed 8-bit RGB rows. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Gap between tiles and its colour: a dark neutral that reads as a frame on any theme. */
const gap = 2;
const background = 24;

/**
 * Lays out `count` images of size×size (float NHWC in [−1, 1]) in a near-square grid, row by
 * row, with a thin frame.
 */
export function tileImages(images: Float32Array, count: number, height: number, width: number): RgbImage {
  const cols = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const outW = cols * width + (cols + 1) * gap;
  const outH = rows * height + (rows + 1) * gap;
  const rgb = new Uint8Array(outW * outH * 3).fill(background);
  for (let k = 0; k < count; k++) {
    const top = gap + Math.floor(k / cols) * (height + gap);
    const left = gap + (k % cols) * (width + gap);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const src = ((k * height + y) * width + x) * 3;
        const dst = ((top + y) * outW + left + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = Math.round(((images[src + c] ?? 0) + 1) * 127.5);
          rgb[dst + c] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  }
  return { width: outW, height: outH, rgb };
}
