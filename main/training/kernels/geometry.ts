/**
 * Index arithmetic for rewriting convolution gradients as ordinary stride-1 convolutions.
 * Pure numbers, no tensors: the kernels build their calls from these plans, and the tests can
 * check the plans on their own.
 */

/**
 * One stride phase of a transposed convolution along one axis.
 *
 * The forward convolution reads x[o·s + k − pad] for output o and tap k. Its input gradient at
 * i = s·q + r (phase r) is a sum over the taps k ≡ (r + pad) mod s only:
 *   dx[s·q + r] = Σ_t dy[q + start + t] · W[taps[t]]ᵀ,   t = 0 … taps.length − 1,
 * i.e. a stride-1 correlation of dy with a sub-filter. Phases with no taps are all zero.
 */
export interface AxisPhase {
  /** Which dx positions this phase fills: r, r + s, r + 2s, … */
  readonly phase: number;
  /** Filter indices of the sub-filter, in correlation order (reversed, step s). */
  readonly taps: readonly number[];
  /** dy index read by tap 0 for q = 0; negative means it starts in the padding. */
  readonly start: number;
  /** Number of dx positions in this phase: ceil((inSize − r) / s). */
  readonly count: number;
}

export function axisPhases(inSize: number, kernel: number, stride: number, padBefore: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < stride; r++) {
    const shifted = r + padBefore;
    const first = ((shifted % stride) + stride) % stride; // smallest tap k ≡ r + pad (mod s)
    const offset = (shifted - first) / stride; // dy index paired with that tap for q = 0
    const taps: number[] = [];
    for (let k = first; k < kernel; k += stride) taps.unshift(k);
    const count = r < inSize ? Math.ceil((inSize - r) / stride) : 0;
    phases.push({ phase: r, taps, start: offset - (taps.length - 1), count });
  }
  return phases;
}

/** Padding (or cropping, when negative) of one axis so a stride-1 window covers a range. */
export interface AxisWindow {
  /** Rows of zeros to add before the data (≥ 0). */
  padBefore: number;
  padAfter: number;
  /** First and one-past-last data index kept (a crop when they are not 0 and size). */
  begin: number;
  end: number;
}

/**
 * The dy range read by a stride-1 correlation of `taps` positions producing `count` outputs,
 * starting at `start`, expressed as zero padding plus an optional crop of dy (size `size`).
 */
export function axisWindow(start: number, taps: number, count: number, size: number): AxisWindow {
  const last = start + count - 1 + taps - 1;
  const begin = Math.max(0, start);
  const end = Math.min(size, last + 1);
  return {
    padBefore: Math.max(0, -start),
    padAfter: Math.max(0, last - (size - 1)),
    begin,
    end,
  };
}

/**
 * The filter gradient as a stride-1 convolution dilated by the forward stride: x (batch and
 * channels swapped) is the input, dy the filter. Returns the padding of x that makes the output
 * exactly `kernel` long; a negative padAfter means the tail of x is never read and is cropped.
 */
export function filterGradPadding(
  inSize: number,
  outSize: number,
  kernel: number,
  stride: number,
  padBefore: number,
): { padBefore: number; padAfter: number } {
  // Output length = inSize + before + after − ((outSize − 1)·stride + 1) + 1 must equal kernel.
  const padAfter = kernel + (outSize - 1) * stride - inSize - padBefore;
  return { padBefore, padAfter };
}
