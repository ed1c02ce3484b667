import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

/**
 * Writes a real image folder as a user might have it: nested PNGs and JPEGs of varied colour,
 * plus a text file and a broken image that the report must list as skipped.
 */
export async function writeImageFolder(dir: string, count: number, size = 48): Promise<void> {
  fs.mkdirSync(path.join(dir, 'nested'), { recursive: true });
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    // A colour per image (red from i, green from i / 256): every file is distinct content.
    const pixels = Buffer.alloc(size * size * 3);
    for (let p = 0; p < size * size; p++) {
      pixels[p * 3] = i % 256;
      pixels[p * 3 + 1] = (Math.floor(i / 256) * 50 + p) % 256;
      pixels[p * 3 + 2] = (i * 53) % 256;
    }
    const image = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
    const file = i % 2 === 0 ? path.join(dir, `img-${i}.png`) : path.join(dir, 'nested', `img-${i}.jpg`);
    writes.push(i % 2 === 0 ? image.png().toFile(file) : image.jpeg().toFile(file));
    if (writes.length >= 32) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  fs.writeFileSync(path.join(dir, 'README.txt'), 'photos from the trip\n');
  fs.writeFileSync(path.join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]));
}
