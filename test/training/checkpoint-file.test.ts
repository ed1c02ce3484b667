import { describe, expect, it } from 'vitest';
import {
  CheckpointDamaged,
  checkpointDamage,
  crc32,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointMeta,
} from '../../main/training/checkpoint-file.js';
import type { Checkpoint } from '../../main/training/engine/checkpoint.js';
import { trainConfigSchema } from '../../shared/config.js';

const checkpoint: Checkpoint = {
  meta: {
    format: 1,
    step: 42,
    config: trainConfigSchema.parse({}),
    datasetSize: 10,
    rng: { noise: [1, 2, 3, 4], augment: [5, 6, 7, 8], flip: [9, 10, 11, 12] },
    data: { count: 10, epoch: 1, position: 3, epochRng: [1, 2, 3, 4] },
    optimizers: { g: 42, d: 42 },
    emaUpdates: 42,
  },
  tensors: {
    'g/w': { data: Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i)), shape: [40, 100] },
    'd/b': { data: Float32Array.from([0.5, -1.5]), shape: [2] },
  },
};

/** A file of the first format, as studios before checksums wrote them. */
function legacyFile(c: Checkpoint): Uint8Array {
  const entries = [] as { name: string; shape: number[]; offset: number; length: number }[];
  let floats = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    entries.push({ name, shape: t.shape, offset: floats, length: t.data.length });
    floats += t.data.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta: c.meta, tensors: entries }));
  const dataStart = Math.ceil((8 + 4 + header.length) / 4) * 4;
  const bytes = new Uint8Array(dataStart + floats * 4);
  bytes.set(new TextEncoder().encode('GANCKPT1'));
  new DataView(bytes.buffer).setUint32(8, header.length, true);
  bytes.set(header, 12);
  for (const e of entries)
    bytes.set(new Uint8Array(c.tensors[e.name]!.data.buffer), dataStart + e.offset * 4);
  return bytes;
}

describe('checkpoint files prove themselves', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips, and says a whole file is whole', () => {
    const bytes = encodeCheckpoint(checkpoint);
    expect(checkpointDamage(bytes)).toBeNull();
    expect(decodeCheckpoint(bytes)).toEqual(checkpoint);
    expect(readCheckpointMeta(bytes)).toEqual(checkpoint.meta);
  });

  it('refuses data overwritten in the middle, a damaged header and a file cut short, saying which', () => {
    const bytes = encodeCheckpoint(checkpoint);
    const overwritten = bytes.slice();
    for (let i = 0; i < 256; i++) overwritten[bytes.length - 3000 + i] = (i * 37) & 255;
    expect(checkpointDamage(overwritten)).toBe('its data does not match its checksum');
    expect(() => decodeCheckpoint(overwritten)).toThrow(CheckpointDamaged);

    const header = bytes.slice();
    header[30] = header[30]! ^ 0x20;
    expect(checkpointDamage(header)).toBe('its header does not match its checksum');
    expect(() => readCheckpointMeta(header)).toThrow(/header does not match/);

    expect(checkpointDamage(bytes.subarray(0, bytes.length - 100))).toBe('it is cut short (in its tensors)');
    expect(checkpointDamage(bytes.subarray(0, 20))).toMatch(/cut short/);
    expect(checkpointDamage(new Uint8Array(bytes.length))).toBe('it is not a GAN Studio checkpoint');
  });

  it('still loads a checkpoint written before there were checksums', () => {
    const old = legacyFile(checkpoint);
    expect(checkpointDamage(old)).toBeNull();
    expect(decodeCheckpoint(old)).toEqual(checkpoint);
  });
});
