import { backend_util, type Conv2DBackpropFilterAttrs } from '@tensorflow/tfjs-core';

type Shape4 = [number, number, number, number];

/**
 * The convolution a gradient kernel stands for, from its input and filter shapes: NHWC and
 * dilation 1, the engine's convolutions and the only ones these kernels compute.
 */
export function nhwcConvInfo(
  kernel: string,
  inputShape: readonly number[],
  filterShape: readonly number[],
  attrs: Pick<Conv2DBackpropFilterAttrs, 'strides' | 'pad' | 'dimRoundingMode' | 'dataFormat'>,
): backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} supports NHWC only.`);
  return backend_util.computeConv2DInfo(
    inputShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}
