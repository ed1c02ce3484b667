/**
 * Names of the engine's own WebGPU kernels, which the engine calls through tf.engine().runKernel
 * on webgpu; kept apart so the engine can name them without importing the kernels.
 */
export const webgpuKernelNames = {
  groupReduce: 'GanGroupReduce',
  batchNormApply: 'GanBatchNormApply',
  batchNormGrad: 'GanBatchNormGrad',
  adamMoments: 'GanAdamMoments',
  adamApply: 'GanAdamApply',
  lerp: 'GanLerp',
  activationGrad: 'GanActivationGrad',
  lossGrad: 'GanLossGrad',
  lossMetrics: 'GanLossMetrics',
} as const;
