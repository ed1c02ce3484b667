import * as tf from '@tensorflow/tfjs-core';
import { groupReduceInputs, type GroupReduceMode } from '../../main/training/kernels/webgpu/group-reduce.js';
import { webgpuKernelNames as names } from '../../main/training/kernels/webgpu/names.js';
import type { LossKind } from '../../shared/config.js';
import { stepLosses, type StepLosses } from '../../main/training/engine/losses.js';
import { maxRelativeError, randomValues } from '../../test/common/synthetic.js';

/**
 * Every WebGPU training kernel (main/training/kernels/webgpu) against the cpu backend, on a table
 * of shapes: strides 1, 2, 3 and uneven, 'same' and 'valid', odd sizes, channel counts that do
 * and do not tile by 4, and reductions long enough to take two passes.
 */

export interface KernelCheck {
  kernel: string;
  shape: string;
  maxRelError: number;
}

type Use = (backend: 'webgpu' | 'cpu') => Promise<void>;
type Inputs = Record<string, { shape: number[]; data: Float32Array }>;

function random(shape: number[], seed: number): { shape: number[]; data: Float32Array } {
  return {
    shape,
    data: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  };
}

/** Runs `webgpu` on webgpu and `reference` on cpu with the same inputs and compares. */
async function compare(
  use: Use,
  inputs: Inputs,
  webgpu: (t: tf.NamedTensorMap) => tf.Tensor,
  reference: (t: tf.NamedTensorMap) => tf.Tensor,
): Promise<number> {
  const run = async (backend: 'webgpu' | 'cpu', f: (t: tf.NamedTensorMap) => tf.Tensor) => {
    await use(backend);
    const tensors: tf.NamedTensorMap = {};
    for (const [name, { shape, data }] of Object.entries(inputs)) tensors[name] = tf.tensor(data, shape);
    const out = f(tensors);
    const data = await out.data<'float32'>();
    tf.dispose([out, ...Object.values(tensors)]);
    return data;
  };
  const got = await run('webgpu', webgpu);
  const expected = await run('cpu', reference);
  return maxRelativeError(got, expected);
}

const modes: GroupReduceMode[] = ['mean', 'sum', 'centredSquare', 'invStd', 'centredProduct', 'dot'];
const lossKinds: LossKind[] = ['bce', 'minimax', 'hinge'];

/** Every reduction is checked with a scale, and invStd with batch norm's epsilon. */
const reduceScale = 2.5;
const reduceEps = 1e-5;

/** Reference for GanGroupReduce with plain tf ops: a as [G, M, C]. */
function reduceReference(mode: GroupReduceMode, t: tf.NamedTensorMap, groups: number): tf.Tensor {
  const a = t['a'] as tf.Tensor;
  const c = a.shape[a.shape.length - 1] ?? 1;
  const a3 = tf.reshape(a, [groups, -1, c]);
  const mean = () => tf.reshape(t['mean'] as tf.Tensor, [groups, 1, c]);
  const b = () => tf.reshape(t['b'] as tf.Tensor, a3.shape);
  const scaled = (r: tf.Tensor) => tf.mul(r, reduceScale);
  switch (mode) {
    case 'mean':
      return scaled(tf.mean(a3, 1));
    case 'sum':
      return scaled(tf.sum(a3, 1));
    case 'centredSquare':
      return scaled(tf.mean(tf.square(tf.sub(a3, mean())), 1));
    case 'invStd':
      return tf.rsqrt(tf.add(scaled(tf.mean(tf.square(tf.sub(a3, mean())), 1)), reduceEps));
    case 'centredProduct':
      return scaled(tf.mean(tf.mul(a3, tf.sub(b(), mean())), 1));
    case 'dot':
      return scaled(tf.sum(tf.mul(a3, b()), 1));
  }
}

export async function kernelChecks(use: Use): Promise<KernelCheck[]> {
  const checks: KernelCheck[] = [];
  const add = (kernel: string, shape: string, maxRelError: number) =>
    checks.push({ kernel, shape, maxRelError });

  // Conv2DBackpropFilter: ours (registered on webgpu) against the cpu backend's.
  const convCases: {
    x: [number, number, number, number];
    k: [number, number];
    s: number | [number, number];
    pad: 'same' | 'valid';
    co: number;
  }[] = [
    { x: [3, 8, 8, 3], k: [4, 4], s: 2, pad: 'same', co: 8 },
    { x: [2, 7, 9, 4], k: [3, 3], s: 1, pad: 'same', co: 4 },
    { x: [2, 11, 6, 5], k: [5, 3], s: [2, 1], pad: 'valid', co: 3 },
    { x: [1, 9, 9, 8], k: [2, 2], s: 3, pad: 'valid', co: 12 },
    { x: [4, 16, 16, 8], k: [4, 4], s: 2, pad: 'same', co: 16 },
    { x: [2, 5, 5, 2], k: [1, 1], s: 1, pad: 'valid', co: 7 },
    { x: [64, 16, 16, 3], k: [4, 4], s: 2, pad: 'same', co: 32 },
  ];
  for (const [i, c] of convCases.entries()) {
    const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
    const y = await (async () => {
      await use('cpu');
      const x = tf.zeros(c.x) as tf.Tensor4D;
      const out = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.s, c.pad);
      const shape = out.shape;
      tf.dispose([x, out]);
      return shape;
    })();
    const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape };
    const grad = (t: tf.NamedTensorMap) =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: t['x'] as tf.Tensor, dy: t['dy'] as tf.Tensor },
          attrs,
        ) as tf.Tensor;
    add(
      'Conv2DBackpropFilter',
      `x[${c.x.join(',')}] k${c.k.join('x')} s${String(c.s)} ${c.pad} → ${c.co}`,
      await compare(use, { x: random(c.x, 10 + i), dy: random(y, 20 + i) }, grad, grad),
    );
  }

  // GanGroupReduce: short reductions (one pass) and long ones (two passes).
  const reduceCases: [number, number, number][] = [
    [1, 5, 3],
    [2, 64, 16],
    [2, 4096, 8],
    [1, 20000, 3],
    [4, 1000, 64],
  ];
  for (const [groups, rows, channels] of reduceCases) {
    const shape = [groups * rows, channels];
    for (const mode of modes) {
      const inputs: Inputs = {};
      for (const [i, name] of groupReduceInputs(mode).entries())
        inputs[name] = random(name === 'mean' ? [groups, channels] : shape, groups + rows + channels + i);
      add(
        `${names.groupReduce} ${mode}`,
        `[${groups}×${rows}, ${channels}]`,
        await compare(
          use,
          inputs,
          (t) =>
            tf.engine().runKernel(names.groupReduce, t, {
              groups,
              mode,
              scale: reduceScale,
              eps: reduceEps,
            }) as tf.Tensor,
          (t) => reduceReference(mode, t, groups),
        ),
      );
    }
  }

  // Batch norm's element-wise halves.
  for (const [groups, rows, channels] of [
    [2, 32, 8],
    [1, 50, 3],
    [2, 300, 64],
  ] as const) {
    const shape = [groups * rows, channels];
    const stats = [groups, channels];
    const broadcast = (t: tf.Tensor) => tf.reshape(t, [groups, 1, channels]);
    const as3 = (t: tf.Tensor) => tf.reshape(t, [groups, rows, channels]);
    add(
      names.batchNormApply,
      `[${groups}×${rows}, ${channels}]`,
      await compare(
        use,
        {
          x: random(shape, 1),
          mean: random(stats, 2),
          invStd: random(stats, 3),
          gamma: random([channels], 4),
          beta: random([channels], 5),
        },
        (t) => tf.engine().runKernel(names.batchNormApply, t, { groups }) as tf.Tensor,
        (t) =>
          tf.add(
            tf.mul(
              tf.sub(as3(t['x'] as tf.Tensor), broadcast(t['mean'] as tf.Tensor)),
              broadcast(tf.mul(t['invStd'] as tf.Tensor, t['gamma'] as tf.Tensor)),
            ),
            t['beta'] as tf.Tensor,
          ),
      ),
    );
    add(
      names.batchNormGrad,
      `[${groups}×${rows}, ${channels}]`,
      await compare(
        use,
        {
          dy: random(shape, 5),
          x: random(shape, 6),
          mean: random(stats, 7),
          invStd: random(stats, 8),
          gamma: random([channels], 9),
          meanDy: random(stats, 10),
          meanDyXc: random(stats, 11),
        },
        (t) => tf.engine().runKernel(names.batchNormGrad, t, { groups }) as tf.Tensor,
        (t) => {
          const s = broadcast(t['invStd'] as tf.Tensor);
          const centred = tf.sub(as3(t['x'] as tf.Tensor), broadcast(t['mean'] as tf.Tensor));
          const inner = tf.sub(
            tf.sub(as3(t['dy'] as tf.Tensor), broadcast(t['meanDy'] as tf.Tensor)),
            tf.mul(tf.mul(centred, tf.square(s)), broadcast(t['meanDyXc'] as tf.Tensor)),
          );
          return tf.mul(tf.mul(t['gamma'] as tf.Tensor, s), inner);
        },
      ),
    );
  }

  // Optimizer updates.
  for (const shape of [[7], [4, 4, 3, 8], [1000, 3]]) {
    const label = `[${shape.join(',')}]`;
    const beta1 = 0.5;
    const beta2 = 0.999;
    const moments = random([2, ...shape], 11);
    moments.data.set(moments.data.subarray(moments.data.length / 2).map(Math.abs), moments.data.length / 2);
    add(
      names.adamMoments,
      label,
      await compare(
        use,
        { moments, grad: random(shape, 12) },
        (t) => tf.engine().runKernel(names.adamMoments, t, { beta1, beta2 }) as tf.Tensor,
        (t) => {
          const [m, v] = tf.unstack(t['moments'] as tf.Tensor) as [tf.Tensor, tf.Tensor];
          const g = t['grad'] as tf.Tensor;
          return tf.stack([
            tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)),
            tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)),
          ]);
        },
      ),
    );
    add(
      names.adamApply,
      label,
      await compare(
        use,
        { param: random(shape, 13), moments },
        (t) => tf.engine().runKernel(names.adamApply, t, { stepSize: 0.01, eps: 1e-8 }) as tf.Tensor,
        (t) => {
          const [m, v] = tf.unstack(t['moments'] as tf.Tensor) as [tf.Tensor, tf.Tensor];
          return tf.sub(t['param'] as tf.Tensor, tf.mul(tf.div(m, tf.add(tf.sqrt(v), 1e-8)), 0.01));
        },
      ),
    );
    add(
      names.lerp,
      label,
      await compare(
        use,
        { a: random(shape, 14), b: random(shape, 15) },
        (t) => tf.engine().runKernel(names.lerp, t, { t: 0.1 }) as tf.Tensor,
        (t) => tf.add(t['a'] as tf.Tensor, tf.mul(tf.sub(t['b'] as tf.Tensor, t['a'] as tf.Tensor), 0.1)),
      ),
    );
  }

  // Activation gradients from the activation's output.
  for (const [kind, slope] of [
    ['step', 0],
    ['step', 0.2],
    ['tanh', 0],
  ] as const) {
    add(
      `${names.activationGrad} ${kind}${kind === 'step' ? ` ${slope}` : ''}`,
      '[3, 5, 5, 7]',
      await compare(
        use,
        { dy: random([3, 5, 5, 7], 16), y: random([3, 5, 5, 7], 17) },
        (t) => tf.engine().runKernel(names.activationGrad, t, { kind, slope }) as tf.Tensor,
        (t) => {
          const [dy, y] = [t['dy'] as tf.Tensor, t['y'] as tf.Tensor];
          return tf.mul(dy, kind === 'step' ? tf.step(y, slope) : tf.sub(1, tf.square(y)));
        },
      ),
    );
  }

  // A step's losses, against the engine's own (engine/losses.ts) on cpu. Logits spread wide
  // enough that hinge's margins fall on both sides and softplus meets large arguments.
  for (const kind of lossKinds) {
    const n = 37;
    const logits = random([2 * n, 1], 18);
    logits.data.forEach((v, i) => (logits.data[i] = v * 12));
    const gLogits = random([n, 1], 19);
    gLogits.data.forEach((v, i) => (gLogits.data[i] = v * 12));
    const inputs = { d: logits, g: gLogits };
    // The same function on both backends: it takes the fused kernels on webgpu only.
    const losses = (pick: (l: StepLosses, g: tf.Tensor) => tf.Tensor) => (t: tf.NamedTensorMap) =>
      tf.tidy(() => pick(stepLosses(kind, t['d'] as tf.Tensor), t['g'] as tf.Tensor));
    const cases = {
      [`${names.lossGrad} ${kind} discriminator`]: losses((l) => l.dGrad),
      [`${names.lossGrad} ${kind} generator`]: losses((l, g) => l.generator(g).gGrad),
      [`${names.lossMetrics} ${kind}`]: losses((l, g) => l.generator(g).metrics),
    };
    for (const [kernel, f] of Object.entries(cases)) {
      add(kernel, `[${2 * n}, 1], [${n}, 1]`, await compare(use, inputs, f, f));
    }
  }
  return checks;
}
