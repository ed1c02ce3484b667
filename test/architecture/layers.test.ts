import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs tool script, checked by its own tests here
import { circles, importGraph, upwardImports } from '../../scripts/import-graph.mjs';

/**
 * The layer plan of docs/ARCHITECTURE.md holds: the tree has no circle of imports (type-only ones
 * included) and no import that runs back up, and lint refuses a forbidden import planted in any
 * layer, a Svelte component's included.
 */

describe('the import graph', () => {
  it('has no circle and no import against the layers', () => {
    const graph = importGraph() as Map<string, Set<string>>;
    expect(graph.size).toBeGreaterThan(150);
    expect(circles(graph)).toEqual([]);
    expect(upwardImports(graph)).toEqual([]);
  });

  it('finds a circle and an upward import where there is one', () => {
    const graph = new Map([
      ['main/api/a.ts', new Set(['main/api/b.ts'])],
      ['main/api/b.ts', new Set(['main/api/a.ts', 'main/studio.ts'])],
      ['main/studio.ts', new Set<string>()],
    ]);
    expect(circles(graph)).toEqual([['main/api/a.ts', 'main/api/b.ts']]);
    expect(upwardImports(graph)).toEqual([expect.stringContaining('main/api/b.ts → main/studio.ts: api')]);
  });
});

const eslint = new ESLint();

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'local/layers').map((m) => m.message);
}

/** For each layer, an import it must not make: up a layer, a Node module where a browser runs it, … */
const planted: [file: string, code: string, why: RegExp][] = [
  ['shared/planted.ts', "import { Studio } from '../main/studio.js';", /shared .* may not import studio/],
  ['shared/planted.ts', "import fs from 'node:fs';", /no Node modules/],
  [
    'main/common/planted.ts',
    "import type { RunStore } from '../store/runs.js';",
    /common .* may not import store/,
  ],
  [
    'main/store/planted.ts',
    "import { createRouter } from '../api/router.js';",
    /store .* may not import api/,
  ],
  [
    'main/datasets/planted.ts',
    "import { TrainingManager } from '../training/host/manager.js';",
    /datasets .* training\/host/,
  ],
  ['main/training/engine/planted.ts', "import zlib from 'zlib';", /no Node modules/],
  [
    'main/training/engine/planted.ts',
    "import { RunQueue } from '../host/queue.js';",
    /engine .* may not import training\/host/,
  ],
  [
    'main/training/engine/planted.ts',
    "import { writeFileAtomic } from '../../common/atomic-files.js';",
    /engine .* common/,
  ],
  [
    'main/training/kernels/webgpu/planted.ts',
    "import type { GanTrainer } from '../../engine/trainer.js';",
    /kernels .* engine/,
  ],
  [
    'main/training/worker/planted.ts',
    "import { RunStore } from '../../store/runs.js';",
    /training\/worker .* store/,
  ],
  [
    'main/training/host/planted.ts',
    "const tf = await import('@tensorflow/tfjs-core');",
    /TensorFlow.js loads only in worker threads/,
  ],
  [
    'main/training/host/planted.ts',
    "import { LatentService } from '../../latent/host/service.js';",
    /training\/host .* latent\/host/,
  ],
  [
    'main/runs/planted.ts',
    "import { TrainingManager } from '../training/host/manager.js';",
    /runs .* training\/host/,
  ],
  [
    'main/latent/host/planted.ts',
    "import { MediaResolver } from '../../api/media.js';",
    /latent\/host .* api/,
  ],
  [
    'main/latent/worker/planted.ts',
    "import { LatentService } from '../host/service.js';",
    /latent\/worker .* latent\/host/,
  ],
  [
    'main/api/handlers/planted.ts',
    "import type { Studio } from '../../studio.js';",
    /api .* may not import studio/,
  ],
  ['main/api/planted.ts', "import { app } from 'electron';", /Only main\/app and main\/preload/],
  ['main/server/planted.ts', "export { runCli } from '../cli/index.js';", /server .* cli/],
  ['main/preload/planted.ts', "import { Studio } from '../studio.js';", /preload .* studio/],
  [
    'renderer/src/lib/planted.ts',
    "import { RunStore } from '../../../main/store/runs.js';",
    /renderer .* store/,
  ],
];

describe('lint holds the layers', () => {
  it.each(planted)('refuses a forbidden import in %s: %s', async (file, code, why) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(why);
  });

  it('refuses one in a Svelte component too', async () => {
    const component = `<script lang="ts">\n  import { Studio } from '../../../main/studio.js';\n  let { name }: { name: string } = $props();\n</script>\n\n<p>{name}</p>\n`;
    const errors = await layerErrors('renderer/src/components/Planted.svelte', component);
    expect(errors).toEqual([expect.stringMatching(/renderer .* may not import studio/)]);
  });

  it('lets each layer import what the plan allows', async () => {
    expect(await layerErrors('main/api/planted.ts', "import { RunStore } from '../store/runs.js';")).toEqual(
      [],
    );
    expect(
      await layerErrors('main/training/engine/planted.ts', "import * as tf from '@tensorflow/tfjs-core';"),
    ).toEqual([]);
    expect(
      await layerErrors(
        'renderer/src/lib/planted.ts',
        "import { mediaUrls } from '../../../shared/media-urls.js';",
      ),
    ).toEqual([]);
  });
});
