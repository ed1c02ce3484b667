import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { trainConfigSchema, type TrainConfigInput } from '../../shared/config.js';
import { noiseImages } from '../../main/training/engine/data.js';
import { GanTrainer, trainSteps, type StepMetrics } from '../../main/training/engine/trainer.js';
import { profileKernels } from '../../main/training/engine/profile.js';
import { registerWebgpuTrainingKernels } from '../../main/training/kernels/webgpu/index.js';
import { kernelChecks, type KernelCheck } from './kernel-checks.js';
import type { EngineLab, LabExploreResult, LabProfile, LabTrainResult } from './lab-api.js';
import { Generator } from '../../main/training/engine/generator.js';
import { pathLatents } from '../../main/training/engine/latent.js';

/**
 * The training engine in a browser page, so that it can be tested on WebGPU where Node has no
 * adapter (Chromium exposes SwiftShader's). The engine is the same code the worker runs; only
 * this page's glue differs. Synchronous reads are made to throw on webgpu, as they do under
 * Dawn in Node, so a dataSync() anywhere in the engine fails the tests here too.
 */

type LabBackend = 'webgpu' | 'cpu';

let webgpuReady: Promise<void> | null = null;

async function use(backend: LabBackend): Promise<void> {
  if (backend === 'webgpu') {
    webgpuReady ??= (async () => {
      if (!(await tf.setBackend('webgpu'))) throw new Error('The webgpu backend did not start.');
      registerWebgpuTrainingKernels();
      const gpu = tf.backend() as unknown as { readSync(dataId: object): unknown };
      gpu.readSync = () => {
        throw new Error('Synchronous read on webgpu: Dawn in Node has no OffscreenCanvas to do it.');
      };
    })();
    await webgpuReady;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`The ${backend} backend did not start.`);
}

async function train(backend: LabBackend, input: TrainConfigInput, steps: number): Promise<LabTrainResult> {
  await use(backend);
  const config = trainConfigSchema.parse(input);
  const images = noiseImages(Math.max(8, config.batchSize), config.resolution);
  const trainer = GanTrainer.create(config, images, images.count);
  try {
    // The first step compiles every pipeline: time the rest.
    const first = await trainSteps(trainer, 1);
    const started = performance.now();
    const rest = await trainSteps(trainer, steps - 1);
    const seconds = (performance.now() - started) / 1000;
    const latents = new Float32Array(2 * config.latentSize).map((_, i) => Math.cos(i * 0.7));
    const generated = await trainer.generate(latents, 2);
    const tensorsBefore = tf.memory().numTensors;
    await trainSteps(trainer, 1);
    return {
      metrics: [...first, ...rest] as StepMetrics[],
      imagesPerSecond: steps > 1 ? ((steps - 1) * config.batchSize) / seconds : 0,
      generated: Array.from(generated.subarray(0, 64)),
      tensorLeak: tf.memory().numTensors - tensorsBefore,
    };
  } finally {
    trainer.dispose();
  }
}

async function step(backend: LabBackend, input: TrainConfigInput): Promise<StepMetrics> {
  await use(backend);
  const config = trainConfigSchema.parse(input);
  const images = noiseImages(Math.max(8, config.batchSize), config.resolution);
  const trainer = GanTrainer.create(config, images, images.count);
  try {
    return await trainer.step();
  } finally {
    trainer.dispose();
  }
}

/**
 * The latent explorer's generator after two training steps: a slerp path's frames and every
 * batch norm's reference statistics (what the model export bakes in).
 */
async function explore(backend: LabBackend, input: TrainConfigInput): Promise<LabExploreResult> {
  await use(backend);
  const config = trainConfigSchema.parse(input);
  const images = noiseImages(Math.max(8, config.batchSize), config.resolution);
  const trainer = GanTrainer.create(config, images, images.count);
  let generator: Generator | null = null;
  try {
    await trainSteps(trainer, 2);
    generator = Generator.fromCheckpoint(await trainer.exportCheckpoint());
    const { latents, frames } = pathLatents(
      { seeds: [1, 2, 3], mode: 'slerp', framesPerSegment: 3, truncation: 0.8 },
      config.latentSize,
    );
    const path = await generator.generate(latents, frames.length);
    const statistics = await generator.referenceStatistics();
    return {
      frames: frames.length,
      path: Array.from(path),
      statistics: Object.values(statistics).flatMap((s) => [...s.mean, ...s.variance]),
    };
  } finally {
    generator?.dispose();
    trainer.dispose();
  }
}

async function profile(input: TrainConfigInput): Promise<LabProfile> {
  await use('webgpu');
  const config = trainConfigSchema.parse(input);
  const images = noiseImages(Math.max(8, config.batchSize), config.resolution);
  const trainer = GanTrainer.create(config, images, images.count);
  try {
    await trainSteps(trainer, 2);
    const kernels = await profileKernels(() => trainer.step());
    return { kernelCalls: kernels.reduce((n, k) => n + k.calls, 0), kernels };
  } finally {
    trainer.dispose();
  }
}

async function kernels(): Promise<KernelCheck[]> {
  await use('webgpu');
  return kernelChecks(use);
}

async function adapter(): Promise<string> {
  const found = await navigator.gpu?.requestAdapter();
  if (!found) return 'none';
  const info = found.info;
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
}

const lab: EngineLab = { adapter, train, step, explore, profile, kernels };
(globalThis as { engineLab?: EngineLab }).engineLab = lab;
document.body.dataset['ready'] = 'true';
