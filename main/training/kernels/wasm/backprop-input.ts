import {
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nhwcConvInfo } from '../conv-info.js';
import { axisPhases, axisWindow, type AxisPhase } from '../geometry.js';
import {
  conv2dExplicit,
  cropSpatial,
  float32View,
  release,
  transpose,
  view,
  type Shape4,
  type WasmBackendLike,
} from './wasm-calls.js';

/**
 * Conv2DBackpropInput (the input gradient of conv2d, and the forward pass of conv2dTranspose)
 * for the wasm backend. The stock kernel is a plain loop about ten times slower per FLOP than
 * XNNPACK's conv2d, and it runs every transposed conv of a generator and every input gradient
 * of a discriminator.
 *
 * A stride-s transposed convolution is s_h·s_w stride-1 convolutions of dy, one per output phase,
 * each with a sub-filter (every s-th tap, reversed, in/out channels swapped); their outputs
 * interleave. Phases that read the same dy window are stacked along the output channels into
 * one conv2d call. When a single call covers every phase the interleave is one cheap transpose
 * (a depth-to-space); otherwise the phase outputs are copied into place.
 */

/**
 * Merge all phases into one conv when that conv would still have at most this many output
 * channels (measured: an RGB output, 3 → 12 channels, gains ~20%; 64 → 256 loses 2×).
 */
const mergeUpToChannels = 16;

interface PhasePair {
  rows: AxisPhase;
  cols: AxisPhase;
}

interface PhaseGroup {
  members: PhasePair[];
  rowStart: number;
  colStart: number;
  rowTaps: number;
  colTaps: number;
  rowCount: number;
  colCount: number;
}

function groupPhases(pairs: PhasePair[]): PhaseGroup[] {
  const groups = new Map<string, PhaseGroup>();
  for (const pair of pairs) {
    const { rows, cols } = pair;
    const key = `${rows.start},${rows.taps.length},${cols.start},${cols.taps.length}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        members: [],
        rowStart: rows.start,
        colStart: cols.start,
        rowTaps: rows.taps.length,
        colTaps: cols.taps.length,
        rowCount: 0,
        colCount: 0,
      };
      groups.set(key, group);
    }
    group.members.push(pair);
    group.rowCount = Math.max(group.rowCount, rows.count);
    group.colCount = Math.max(group.colCount, cols.count);
  }
  return [...groups.values()];
}

/**
 * All phases in one group over a common window: each sub-filter sits at its own offset in it,
 * zeros elsewhere. More multiply-adds (for k4 s2, a 3×3 window instead of four 2×2 ones) but one
 * conv with s_h·s_w times the output channels, which pays when dx has few channels (an RGB
 * image): XNNPACK is several times less efficient with 3 output channels than with 12.
 */
function mergePhases(pairs: PhasePair[]): PhaseGroup {
  const rowStart = Math.min(...pairs.map((p) => p.rows.start));
  const colStart = Math.min(...pairs.map((p) => p.cols.start));
  return {
    members: pairs,
    rowStart,
    colStart,
    rowTaps: Math.max(...pairs.map((p) => p.rows.start + p.rows.taps.length)) - rowStart,
    colTaps: Math.max(...pairs.map((p) => p.cols.start + p.cols.taps.length)) - colStart,
    rowCount: Math.max(...pairs.map((p) => p.rows.count)),
    colCount: Math.max(...pairs.map((p) => p.cols.count)),
  };
}

/** Builds the stacked sub-filter [rowTaps, colTaps, outC, members·inC] of a phase group. */
function groupFilter(backend: WasmBackendLike, filter: TensorInfo, group: PhaseGroup): TensorInfo {
  const [, kw, inC, outC] = filter.shape as Shape4;
  const width = group.members.length * inC;
  const out = backend.makeOutput([group.rowTaps, group.colTaps, outC, width], 'float32');
  // Views after makeOutput: an allocation may grow the wasm heap and detach older views.
  const src = float32View(backend, filter);
  const dst = float32View(backend, out);
  const padded = group.members.some(
    ({ rows, cols }) => rows.taps.length < group.rowTaps || cols.taps.length < group.colTaps,
  );
  if (padded) dst.fill(0);
  group.members.forEach(({ rows, cols }, g) => {
    // Where this phase's taps sit in the group's window (0 unless phases were merged).
    const rowOffset = rows.start - group.rowStart;
    const colOffset = cols.start - group.colStart;
    for (let th = 0; th < rows.taps.length; th++) {
      for (let tw = 0; tw < cols.taps.length; tw++) {
        const srcBase = ((rows.taps[th] ?? 0) * kw + (cols.taps[tw] ?? 0)) * inC * outC;
        const dstBase = ((th + rowOffset) * group.colTaps + tw + colOffset) * outC * width + g * inC;
        for (let i = 0; i < inC; i++) {
          const s = srcBase + i * outC;
          const d = dstBase + i;
          for (let o = 0; o < outC; o++) dst[d + o * width] = src[s + o] ?? 0;
        }
      }
    }
  });
  return out;
}

/** One stride-1 conv2d of dy computing every phase of a group, stacked along channels. */
function groupConv(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  group: PhaseGroup,
): TensorInfo | null {
  const [, outH, outW] = dy.shape as Shape4;
  const rows = axisWindow(group.rowStart, group.rowTaps, group.rowCount, outH);
  const cols = axisWindow(group.colStart, group.colTaps, group.colCount, outW);
  if (rows.end <= rows.begin || cols.end <= cols.begin) return null; // reads padding only
  const used = cropSpatial(backend, dy, rows.begin, rows.end, cols.begin, cols.end);
  const stacked = groupFilter(backend, filter, group);
  const out = conv2dExplicit(backend, used, stacked, {
    top: rows.padBefore,
    bottom: rows.padAfter,
    left: cols.padBefore,
    right: cols.padAfter,
  });
  release(backend, stacked);
  if (used !== dy) release(backend, used);
  return out;
}

/** Copies each phase's output (a channel block of its group's conv) into the strided dx. */
function interleave(
  dst: Float32Array,
  src: Float32Array,
  group: PhaseGroup,
  dxShape: Shape4,
  strides: [number, number],
): void {
  const [n, inH, inW, c] = dxShape;
  const width = group.members.length * c;
  const [sh, sw] = strides;
  group.members.forEach(({ rows, cols }, g) => {
    for (let b = 0; b < n; b++) {
      for (let q = 0; q < rows.count; q++) {
        const dstRow = ((b * inH + rows.phase + q * sh) * inW + cols.phase) * c;
        const srcRow = (b * group.rowCount + q) * group.colCount * width + g * c;
        for (let w = 0; w < cols.count; w++) {
          const d = dstRow + w * sw * c;
          const s = srcRow + w * width;
          if (c >= 32) {
            dst.set(src.subarray(s, s + c), d);
          } else {
            for (let k = 0; k < c; k++) dst[d + k] = src[s + k] ?? 0;
          }
        }
      }
    }
  });
}

export function conv2dBackpropInput(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DBackpropInputAttrs,
): TensorInfo {
  const info = nhwcConvInfo('Conv2DBackpropInput on wasm', attrs.inputShape, filter.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, strideHeight: sh, strideWidth: sw } = info;
  const dxShape: Shape4 = [batchSize, inHeight, inWidth, inChannels];
  const rowPhases = axisPhases(inHeight, info.filterHeight, sh, info.padInfo.top);
  const colPhases = axisPhases(inWidth, info.filterWidth, sw, info.padInfo.left);

  const pairs: PhasePair[] = [];
  let hasEmptyPhase = false;
  for (const rows of rowPhases) {
    for (const cols of colPhases) {
      if (rows.count === 0 || cols.count === 0) continue;
      if (rows.taps.length === 0 || cols.taps.length === 0) hasEmptyPhase = true;
      else pairs.push({ rows, cols });
    }
  }
  const exact = groupPhases(pairs);
  const groups =
    exact.length > 1 && inChannels * pairs.length <= mergeUpToChannels ? [mergePhases(pairs)] : exact;

  const convs = groups.map((group) => groupConv(backend, dy, filter, group));

  // One group holding every phase, in row-major phase order, with no ragged edge: the stacked
  // channels [.., sh, sw, c] become dx by moving sh next to the rows (a depth-to-space).
  const only = groups.length === 1 ? groups[0] : undefined;
  const onlyConv = convs.length === 1 ? convs[0] : undefined;
  if (
    only !== undefined &&
    onlyConv != null &&
    !hasEmptyPhase &&
    only.members.length === sh * sw &&
    only.rowCount * sh === inHeight &&
    only.colCount * sw === inWidth
  ) {
    const moved = transpose(
      backend,
      view(onlyConv, [batchSize, only.rowCount, only.colCount, sh, sw * inChannels]),
      [0, 1, 3, 2, 4],
    );
    release(backend, onlyConv);
    return view(moved, dxShape);
  }

  const out = backend.makeOutput(dxShape, 'float32');
  // Phases with no tap, or whose window reads only padding, stay zero.
  if (hasEmptyPhase || convs.some((conv) => conv === null)) float32View(backend, out).fill(0);
  groups.forEach((group, i) => {
    const conv = convs[i];
    if (conv == null) return;
    interleave(float32View(backend, out), float32View(backend, conv), group, dxShape, [sh, sw]);
    release(backend, conv);
  });
  return out;
}

/**
 * The kernel config. The stock kernel is kept for what this one does not handle (NCHW); its
 * setup (binding the C function) runs only at backend initialisation, so it is run here once
 * if this kernel was registered after that.
 */
export function conv2dBackpropInputConfig(stock: KernelConfig | undefined): KernelConfig {
  let stockReady = false;
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: (backend) => {
      stock?.setupFunc?.(backend);
      stockReady = true;
    },
    kernelFunc: (({ inputs, attrs, backend }) => {
      const { dy, filter } = inputs as NamedTensorInfoMap;
      const a = attrs as unknown as Conv2DBackpropInputAttrs;
      if (a.dataFormat === 'NCHW') {
        if (stock === undefined) throw new Error('Conv2DBackpropInput on wasm supports NHWC only.');
        if (!stockReady) {
          stock.setupFunc?.(backend as never);
          stockReady = true;
        }
        return stock.kernelFunc({ inputs, attrs, backend });
      }
      if (dy === undefined || filter === undefined) {
        throw new Error('Conv2DBackpropInput needs dy and filter.');
      }
      return conv2dBackpropInput(backend as WasmBackendLike, dy, filter, a);
    }) as KernelFunc,
  };
}
