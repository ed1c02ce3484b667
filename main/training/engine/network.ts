import * as tf from '@tensorflow/tfjs-core';
import { tidy } from './tidy.js';
import {
  Constants,
  type ForwardOptions,
  type Grads,
  type Layer,
  type ParamSpec,
  type Params,
  type Saved,
} from './layers.js';
import type { Rng } from './rng.js';

/** What one forward pass kept for the backward pass; release it with `Network.release`. */
export interface Tape {
  readonly saved: Saved[];
  /** The network's input: saved by the first layer but owned by the caller, never released. */
  readonly input: tf.Tensor;
}

export interface BackwardResult {
  /** Gradient with respect to the network input; null when not asked for. */
  dx: tf.Tensor | null;
  /** Gradients by parameter name; empty when parameter gradients were not asked for. */
  grads: Grads;
}

/** Plain copy of a set of parameters (for checkpoints, EMA copies, tests). */
export type ParamValues = Record<string, { data: Float32Array; shape: number[] }>;

/** Reads named tensors back from the device, all queued at once; copies, never backend arrays. */
export async function readValues(entries: Iterable<readonly [string, tf.Tensor]>): Promise<ParamValues> {
  const list = [...entries];
  const data = await Promise.all(list.map(([, t]) => t.data<'float32'>()));
  const out: ParamValues = {};
  list.forEach(([name, t], i) => {
    // A copy: the cpu and wasm backends hand out their own backing arrays.
    out[name] = { data: (data[i] as Float32Array).slice(), shape: [...t.shape] };
  });
  return out;
}

/** A feed-forward stack of layers with tf.Variables for parameters. */
export class Network {
  readonly params: Params = new Map();
  readonly specs: ParamSpec[];
  private readonly constants = new Constants();

  constructor(
    readonly layers: Layer[],
    rng: Rng,
  ) {
    this.specs = layers.flatMap((layer) => [...layer.params]);
    for (const spec of this.specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (spec.init === 'normal') rng.normal(data, 0, 0.02);
      else if (spec.init === 'gamma') rng.normal(data, 1, 0.02);
      else if (spec.init === 'unit') {
        rng.normal(data);
        const norm = Math.hypot(...data) || 1;
        for (let i = 0; i < size; i++) data[i]! /= norm;
      }
      // tidy frees the initial tensor; the variable holds its own reference to the data.
      this.params.set(
        spec.name,
        tf.tidy(() => tf.variable(tf.tensor(data, spec.shape), false)),
      );
    }
  }

  /** The weights an optimizer trains (and an EMA averages): every parameter but layer state. */
  trainable(params: Params = this.params): Params {
    const state = new Set(this.specs.filter((s) => s.state).map((s) => s.name));
    return new Map([...params].filter(([name]) => !state.has(name)));
  }

  get paramCount(): number {
    return this.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Runs the layers; `params` defaults to this network's own (an EMA copy may stand in). */
  forward(x: tf.Tensor, groups = 1, params: Params = this.params): { y: tf.Tensor; tape: Tape } {
    return this.run(x, { groups }, params);
  }

  private run(x: tf.Tensor, opts: ForwardOptions, params: Params): { y: tf.Tensor; tape: Tape } {
    return tidy(() => {
      const saved: Saved[] = [];
      let h = x;
      for (const layer of this.layers) {
        const out = layer.forward(params, h, opts, this.constants);
        saved.push(out.saved);
        h = out.y;
      }
      return { y: h, tape: { saved, input: x } };
    });
  }

  /**
   * Forward pass keeping nothing for a backward pass (sampling). With `referenceRows`, batch
   * norm uses the statistics of the first that many samples for the whole batch.
   */
  infer(
    x: tf.Tensor,
    params: Params = this.params,
    referenceRows?: number,
    onReference?: ForwardOptions['onReference'],
  ): tf.Tensor {
    const opts: ForwardOptions =
      referenceRows === undefined
        ? { groups: 1 }
        : { groups: 1, referenceRows, ...(onReference ? { onReference } : {}) };
    // The tidy frees the tape (which may hold y itself, e.g. tanh's output) except y.
    return tf.tidy(() => this.run(x, opts, params).y);
  }

  backward(tape: Tape, dy: tf.Tensor, opts: { paramGrads: boolean; inputGrad: boolean }): BackwardResult {
    return tidy(() => {
      const grads: Grads = {};
      let d: tf.Tensor | null = dy;
      for (let i = this.layers.length - 1; i >= 0 && d !== null; i--) {
        const layer = this.layers[i] as Layer;
        const inputGrad = i > 0 || opts.inputGrad;
        d = layer.backward(
          this.params,
          d,
          tape.saved[i] ?? [],
          { paramGrads: opts.paramGrads, inputGrad },
          this.constants,
          grads,
        );
      }
      return { dx: d, grads };
    });
  }

  /** Frees what the forward pass kept — the output too, if its last layer saved it. */
  static release(tape: Tape): void {
    for (const saved of tape.saved) for (const t of saved) if (t !== tape.input) t.dispose();
  }

  /**
   * A copy of the parameters. Every read is queued before this yields, so the values are those
   * after all work queued so far, whatever is queued while the device answers.
   */
  async values(params: Params = this.params): Promise<ParamValues> {
    return readValues(
      this.specs.flatMap((spec) => {
        const v = params.get(spec.name);
        return v === undefined ? [] : [[spec.name, v] as const];
      }),
    );
  }

  /** Overwrites parameters from plain values; every parameter must be present with its shape. */
  load(values: ParamValues, params: Params = this.params, prefix = ''): void {
    for (const spec of this.specs) {
      const value = values[prefix + spec.name];
      if (value === undefined) throw new Error(`The checkpoint has no ${prefix + spec.name}.`);
      if (value.shape.join('x') !== spec.shape.join('x')) {
        throw new Error(
          `${spec.name} has shape ${value.shape.join('×')} in the checkpoint, ${spec.shape.join('×')} here.`,
        );
      }
      const v = params.get(spec.name);
      if (v === undefined) continue;
      tf.tidy(() => v.assign(tf.tensor(value.data, spec.shape)));
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.constants.dispose();
  }
}
