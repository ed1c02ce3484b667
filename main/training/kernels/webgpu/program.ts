import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The slice of tfjs-backend-webgpu these kernels use, declared here so that importing them loads
 * no backend (the package registers itself wherever navigator.gpu exists).
 *
 * runWebGPUProgram compiles a program once per shader key and dispatches it: it writes the WGSL
 * prelude (a uniforms struct with every input's and the output's shape, then the program's own
 * fields; `result` for the output; one read-only array per input, named as in `variableNames`)
 * and appends the program's code, which defines `fn main(index: i32)` for a flat dispatch.
 */
interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  uniforms: string;
  getUserCode(): string;
}

export interface UniformData {
  type: 'int32' | 'float32';
  data: number[];
}

export interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    uniforms?: UniformData[],
  ): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** A kernel as one flat dispatch: one invocation per output element, or per tile of them. */
export interface FlatKernel {
  /** Names the compiled pipeline: everything baked into `code` must be in it. */
  key: string;
  outputShape: number[];
  /** Input array names, in the order the inputs are passed. */
  inputs: string[];
  /** WGSL uniform fields after `count : i32`, matching the uniform data passed, in order. */
  uniforms?: string;
  /**
   * The body of `fn main(index: i32)`, run for index < uniforms.count (the dispatch rounds up
   * to whole workgroups, and the backend may fold it into two or three dimensions).
   */
  code: string;
}

const workgroupSize = 64;

export function runFlat(
  backend: WebGpuBackendLike,
  kernel: FlatKernel,
  invocations: number,
  inputs: TensorInfo[],
  uniforms: UniformData[] = [],
): TensorInfo {
  const program: WebGpuProgram = {
    outputShape: kernel.outputShape,
    shaderKey: `gan-${kernel.key}`,
    dispatchLayout: { x: kernel.outputShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(invocations / workgroupSize)), 1, 1],
    workgroupSize: [workgroupSize, 1, 1],
    variableNames: kernel.inputs,
    uniforms: `count : i32, ${kernel.uniforms ?? ''}`,
    getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.count) {
          return;
        }
        ${kernel.code}
      }`,
  };
  return backend.runWebGPUProgram(program, inputs, 'float32', [
    { type: 'int32', data: [invocations] },
    ...uniforms,
  ]);
}

export function ints(...values: number[]): UniformData[] {
  return values.map((v) => ({ type: 'int32', data: [v] }));
}

export function floats(...values: number[]): UniformData[] {
  return values.map((v) => ({ type: 'float32', data: [v] }));
}

export function release(backend: WebGpuBackendLike, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A kernel's named inputs in the order given, or which one is missing. */
export function need(
  inputs: Record<string, TensorInfo | undefined>,
  names: readonly string[],
  kernel: string,
): TensorInfo[] {
  return names.map((name) => {
    const t = inputs[name];
    if (t === undefined) throw new Error(`${kernel} needs input ${name}.`);
    return t;
  });
}

/**
 * A 'webgpu' kernel of one element-wise dispatch: an invocation per element of the output, which
 * is shaped like the first input. Its WGSL may depend on the attributes (then so must its key).
 */
export interface ElementwiseKernel<A> {
  kernelName: string;
  /** Input array names, in the order the code reads them; the first gives the output's shape. */
  inputs: readonly string[];
  key(attrs: A): string;
  code(attrs: A): string;
  /** WGSL uniform fields after `count : i32`, and their values from the attributes and first input. */
  uniforms?: { fields: string; values(attrs: A, first: TensorInfo): UniformData[] };
}

export function elementwiseKernelConfig<A>(kernel: ElementwiseKernel<A>): KernelConfig {
  return {
    kernelName: kernel.kernelName,
    backendName: 'webgpu',
    kernelFunc: (({ inputs, attrs, backend }) => {
      const named = need(inputs, kernel.inputs, kernel.kernelName);
      const first = named[0] as TensorInfo;
      const a = attrs as unknown as A;
      return runFlat(
        backend as unknown as WebGpuBackendLike,
        {
          key: kernel.key(a),
          outputShape: [...first.shape],
          inputs: [...kernel.inputs],
          uniforms: kernel.uniforms?.fields,
          code: kernel.code(a),
        },
        sizeOf(first.shape),
        named,
        kernel.uniforms?.values(a, first),
      );
    }) as KernelFunc,
  };
}
