import {
  getKernel,
  type DataType,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/**
 * The slice of tfjs-backend-wasm's BackendWasm these kernels use. Declared here rather than
 * imported so that importing the kernels does not load (and register) the wasm backend.
 */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

export type Shape4 = [number, number, number, number];

/**
 * Runs another registered wasm kernel directly, outside the engine: its output is not tracked,
 * so the caller must pass it to `release` (or return it as the kernel's own output).
 */
export function callKernel(
  backend: WasmBackendLike,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`The wasm backend has no '${name}' kernel.`);
  const out = kernel.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`Kernel '${name}' returned several outputs.`);
  return out;
}

export function release(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** The same data under another shape; owns nothing, so it is never released itself. */
export function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

export function float32View(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  const data = backend.typedArrayFromHeap(info);
  if (!(data instanceof Float32Array)) throw new Error('Expected a float32 tensor.');
  return data;
}

export function transpose(backend: WasmBackendLike, x: TensorInfo, perm: number[]): TensorInfo {
  return callKernel(backend, 'Transpose', { x }, { perm });
}

/** Zero-pads and/or crops the two spatial axes of an NHWC tensor (a crop wins over a pad). */
export interface SpatialWindow {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * A stride-1 (optionally dilated) wasm conv2d with explicit padding. Explicit padding keeps
 * XNNPACK off its TensorFlow-SAME path, which tfjs 4.22 mishandles when kernel < stride.
 */
export function conv2dExplicit(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  pad: SpatialWindow,
  dilations: [number, number] = [1, 1],
): TensorInfo {
  return callKernel(
    backend,
    'Conv2D',
    { x, filter },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pad.top, pad.bottom],
        [pad.left, pad.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations,
    },
  );
}

/** Crops rows [h0, h1) and columns [w0, w1) of an NHWC tensor; returns x itself when whole. */
export function cropSpatial(
  backend: WasmBackendLike,
  x: TensorInfo,
  h0: number,
  h1: number,
  w0: number,
  w1: number,
): TensorInfo {
  const [n, h, w, c] = x.shape as Shape4;
  if (h0 === 0 && w0 === 0 && h1 === h && w1 === w) return x;
  return callKernel(backend, 'Slice', { x }, { begin: [0, h0, w0, 0], size: [n, h1 - h0, w1 - w0, c] });
}
