import type { TrainConfig } from '../../../shared/config.js';
import type { DataOrderState } from './data.js';
import type { RngState } from './rng.js';

/**
 * A checkpoint holds everything a resume needs: G, D, EMA-G, both optimizers' moments (tensors)
 * and the step, RNG states, data order and optimizer step counts (meta). One binary file:
 *
 *   "GANCKPT1" | u32 LE header length | header JSON (UTF-8) | zero pad to 4 bytes |
 *   float32 LE tensor data, one after another
 *
 * where the header is { meta, tensors: [{ name, shape, offset, length }] } with offset and length
 * counted in floats from the start of the data. Pure: no Node imports.
 */

export const checkpointFormat = 1;
const magic = 'GANCKPT1';

export interface TensorRecord {
  data: Float32Array;
  shape: number[];
}

export interface CheckpointMeta {
  format: typeof checkpointFormat;
  /** Iterations completed. */
  step: number;
  config: TrainConfig;
  datasetSize: number;
  rng: { noise: RngState; augment: RngState; flip: RngState };
  data: DataOrderState;
  /** Adam update counts (bias correction). */
  optimizers: { g: number; d: number };
  emaUpdates: number;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  tensors: Record<string, TensorRecord>;
}

interface Header {
  meta: CheckpointMeta;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const entries: Header['tensors'] = [];
  let floats = 0;
  for (const [name, { data, shape }] of Object.entries(checkpoint.tensors)) {
    if (data.length !== shape.reduce((a, b) => a * b, 1))
      throw new Error(`${name}: data does not match its shape.`);
    entries.push({ name, shape, offset: floats, length: data.length });
    floats += data.length;
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ meta: checkpoint.meta, tensors: entries } satisfies Header),
  );
  const dataStart = Math.ceil((magic.length + 4 + header.length) / 4) * 4;
  const bytes = new Uint8Array(dataStart + floats * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < magic.length; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(magic.length, header.length, true);
  bytes.set(header, magic.length + 4);
  for (const entry of entries) {
    const data = checkpoint.tensors[entry.name]?.data ?? new Float32Array(0);
    const at = dataStart + entry.offset * 4;
    if (littleEndian) new Float32Array(bytes.buffer, at, data.length).set(data);
    else for (let i = 0; i < data.length; i++) view.setFloat32(at + i * 4, data[i] ?? 0, true);
  }
  return bytes;
}

function readHeader(bytes: Uint8Array): { header: Header; dataStart: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = String.fromCharCode(...bytes.subarray(0, magic.length));
  if (found !== magic) throw new Error('This file is not a GAN Studio checkpoint.');
  const length = view.getUint32(magic.length, true);
  if (magic.length + 4 + length > bytes.length) throw new Error('The checkpoint is truncated (header).');
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(magic.length + 4, magic.length + 4 + length)),
  ) as Header;
  if (header.meta?.format !== checkpointFormat) {
    throw new Error(
      `Checkpoint format ${String(header.meta?.format)} is not supported (expected ${checkpointFormat}).`,
    );
  }
  return { header, dataStart: Math.ceil((magic.length + 4 + length) / 4) * 4 };
}

/** Only the meta (step, config, …), without copying the tensors. */
export function readCheckpointMeta(bytes: Uint8Array): CheckpointMeta {
  return readHeader(bytes).header.meta;
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { header, dataStart } = readHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: Record<string, TensorRecord> = {};
  for (const entry of header.tensors) {
    const at = dataStart + entry.offset * 4;
    if (at + entry.length * 4 > bytes.length) throw new Error(`The checkpoint is truncated (${entry.name}).`);
    const data = new Float32Array(entry.length);
    if (littleEndian) {
      // Copy through bytes: `at` is 4-aligned in the file but the buffer may not be.
      new Uint8Array(data.buffer).set(bytes.subarray(at, at + entry.length * 4));
    } else {
      for (let i = 0; i < entry.length; i++) data[i] = view.getFloat32(at + i * 4, true);
    }
    tensors[entry.name] = { data, shape: entry.shape };
  }
  return { meta: header.meta, tensors };
}
