import { chromium, type Browser, type Page } from '@playwright/test';
import type { TrainConfigInput } from '../../shared/config.js';
import type { StepMetrics } from '../../main/training/engine/trainer.js';
import { webgpuLaunchOptions } from '../chromium.js';
import type { EngineLab, LabExploreResult, LabProfile, LabTrainResult } from './lab-api.js';
import type { KernelCheck } from './kernel-checks.js';
import { startEngineLab, type EngineLabServer } from './lab-server.js';

/** The engine lab page in Chromium with WebGPU on, called like a local object. */
export class EngineLabDriver {
  private constructor(
    private readonly server: EngineLabServer,
    private readonly browser: Browser,
    private readonly page: Page,
  ) {}

  static async open(): Promise<EngineLabDriver> {
    const server = await startEngineLab();
    const browser = await chromium.launch(webgpuLaunchOptions);
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="true"]');
      return new EngineLabDriver(server, browser, page);
    } catch (error) {
      await browser.close();
      await server.close();
      throw error;
    }
  }

  private call<K extends keyof EngineLab>(
    name: K,
    ...args: Parameters<EngineLab[K]>
  ): Promise<Awaited<ReturnType<EngineLab[K]>>> {
    return this.page.evaluate(
      ([method, params]) => {
        const lab = (globalThis as unknown as { engineLab: Record<string, (...a: unknown[]) => unknown> })
          .engineLab;
        return lab[method]!(...params);
      },
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<EngineLab[K]>>>;
  }

  adapter(): Promise<string> {
    return this.call('adapter');
  }

  train(backend: 'webgpu' | 'cpu', config: TrainConfigInput, steps: number): Promise<LabTrainResult> {
    return this.call('train', backend, config, steps);
  }

  step(backend: 'webgpu' | 'cpu', config: TrainConfigInput): Promise<StepMetrics> {
    return this.call('step', backend, config);
  }

  explore(backend: 'webgpu' | 'cpu', config: TrainConfigInput): Promise<LabExploreResult> {
    return this.call('explore', backend, config);
  }

  profile(config: TrainConfigInput): Promise<LabProfile> {
    return this.call('profile', config);
  }

  kernels(): Promise<KernelCheck[]> {
    return this.call('kernels');
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.close();
  }
}

/** Largest relative difference of the losses of two runs, step by step. */
export function maxLossError(a: LabTrainResult, b: LabTrainResult): number {
  let worst = 0;
  a.metrics.forEach((m, i) => {
    const n = b.metrics[i];
    if (n === undefined) {
      worst = Infinity;
      return;
    }
    for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake', 'dFakeAfter'] as const) {
      worst = Math.max(worst, Math.abs(m[key] - n[key]) / Math.max(1, Math.abs(n[key])));
    }
  });
  return worst;
}

/** The shapes each GPU change must still run: the schema's largest resolution and batch. */
export const limitShapes: { res: 32 | 64 | 128; batch: number }[] = [
  { res: 128, batch: 64 },
  { res: 64, batch: 512 },
];
