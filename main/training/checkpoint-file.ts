import zlib from 'node:zlib';
import { checkpointFormat, type Checkpoint, type CheckpointMeta } from './engine/checkpoint.js';

/**
 * A checkpoint as one binary file, which proves itself on every read: a checksum of its header
 * and one of its tensor data, so damage (a bad sector, a copy cut short, bytes overwritten) is
 * found when the file is read, never trained on or sampled from.
 *
 *   "GANCKPT2" | u32 LE header length | u32 LE CRC-32 of the header | header JSON (UTF-8) |
 *   zero pad to 4 bytes | float32 LE tensor data, one after another
 *
 * where the header is { meta, tensors: [{ name, shape, offset, length }], dataCrc32 } with offset
 * and length counted in floats from the start of the data. Files of the first format
 * ("GANCKPT1": no checksums, no header checksum field) still load. Pure: no Node imports, so
 * the host (to choose a checkpoint that verifies), the worker and the latent worker share it.
 */

const magic = 'GANCKPT2';
const legacyMagic = 'GANCKPT1';

interface Header {
  meta: CheckpointMeta;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  /** CRC-32 of the tensor data (absent in the first format). */
  dataCrc32?: number;
}

/** A checkpoint file that is not what it claims: damaged, cut short, or not a checkpoint. */
export class CheckpointDamaged extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CheckpointDamaged';
  }
}

/** CRC-32 (IEEE, as zip and PNG use it): zlib's, native and fast on checkpoints of many MB. */
export function crc32(bytes: Uint8Array): number {
  return zlib.crc32(bytes);
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
  const data = new Uint8Array(floats * 4);
  const dataView = new DataView(data.buffer);
  for (const entry of entries) {
    const values = checkpoint.tensors[entry.name]?.data ?? new Float32Array(0);
    const at = entry.offset * 4;
    if (littleEndian) new Float32Array(data.buffer, at, values.length).set(values);
    else for (let i = 0; i < values.length; i++) dataView.setFloat32(at + i * 4, values[i] ?? 0, true);
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ meta: checkpoint.meta, tensors: entries, dataCrc32: crc32(data) } satisfies Header),
  );
  const dataStart = Math.ceil((magic.length + 8 + header.length) / 4) * 4;
  const bytes = new Uint8Array(dataStart + data.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < magic.length; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(magic.length, header.length, true);
  view.setUint32(magic.length + 4, crc32(header), true);
  bytes.set(header, magic.length + 8);
  bytes.set(data, dataStart);
  return bytes;
}

function readHeader(bytes: Uint8Array): { header: Header; dataStart: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = String.fromCharCode(...bytes.subarray(0, magic.length));
  if (found !== magic && found !== legacyMagic)
    throw new CheckpointDamaged('it is not a GAN Studio checkpoint');
  const checked = found === magic;
  const headerAt = magic.length + (checked ? 8 : 4);
  if (bytes.length < headerAt) throw new CheckpointDamaged('it is cut short (in its header)');
  const length = view.getUint32(magic.length, true);
  if (headerAt + length > bytes.length) throw new CheckpointDamaged('it is cut short (in its header)');
  const headerBytes = bytes.subarray(headerAt, headerAt + length);
  if (checked && crc32(headerBytes) !== view.getUint32(magic.length + 4, true)) {
    throw new CheckpointDamaged('its header does not match its checksum');
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(headerBytes)) as Header;
  } catch {
    throw new CheckpointDamaged('its header is unreadable');
  }
  if (header.meta?.format !== checkpointFormat) {
    throw new Error(
      `Checkpoint format ${String(header.meta?.format)} is not supported (expected ${checkpointFormat}).`,
    );
  }
  return { header, dataStart: Math.ceil((headerAt + length) / 4) * 4 };
}

/** Only the meta (step, config, …), without reading the tensors (the header is still checked). */
export function readCheckpointMeta(bytes: Uint8Array): CheckpointMeta {
  return readHeader(bytes).header.meta;
}

/** Why the file is damaged, or null when it is whole (its checksums match, or it has none). */
export function checkpointDamage(bytes: Uint8Array): string | null {
  try {
    const { header, dataStart } = readHeader(bytes);
    const floats = header.tensors.reduce((n, t) => Math.max(n, t.offset + t.length), 0);
    if (dataStart + floats * 4 > bytes.length) return 'it is cut short (in its tensors)';
    if (
      header.dataCrc32 !== undefined &&
      crc32(bytes.subarray(dataStart, dataStart + floats * 4)) !== header.dataCrc32
    ) {
      return 'its data does not match its checksum';
    }
    return null;
  } catch (error) {
    if (error instanceof CheckpointDamaged) return error.message;
    throw error;
  }
}

/** The checkpoint, checked first: a damaged file throws CheckpointDamaged saying how. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const damage = checkpointDamage(bytes);
  if (damage !== null) throw new CheckpointDamaged(damage);
  const { header, dataStart } = readHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: Checkpoint['tensors'] = {};
  for (const entry of header.tensors) {
    const at = dataStart + entry.offset * 4;
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
