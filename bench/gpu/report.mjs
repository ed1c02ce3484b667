// Turns bench/gpu/run.sh's results (one JSON line per run) into the ratio table and gpu.json.
//   node bench/gpu/report.mjs results.jsonl out.json
import fs from 'node:fs';

const [input, output] = process.argv.slice(2);
const runs = fs
  .readFileSync(input, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));

const value = (flag, args) => {
  const m = new RegExp(`--${flag} (\\S+)`).exec(args);
  return m ? Number(m[1]) : null;
};
const key = (r) =>
  `${value('res', r.args)} px, batch ${value('batch', r.args)}, width ${value('width', r.args) ?? 1}`;

const cases = new Map();
for (const r of runs.filter((r) => r.kind === 'engine' || r.kind === 'torch')) {
  const entry = cases.get(key(r)) ?? {};
  entry[r.kind] = r.result;
  cases.set(key(r), entry);
}
const rows = [...cases].map(([model, { engine, torch }]) => ({
  model,
  engine_images_per_s: engine?.images_per_s ?? null,
  torch_images_per_s: torch?.images_per_s ?? null,
  ratio: engine?.images_per_s && torch?.images_per_s ? engine.images_per_s / torch.images_per_s : null,
  error: engine?.error ?? torch?.error ?? undefined,
}));

const webgpu = runs.find((r) => r.kind === 'check-webgpu')?.result;
const wasm = runs.find((r) => r.kind === 'check-wasm')?.result;
let maxRelError = null;
if (webgpu?.losses && wasm?.losses) {
  maxRelError = 0;
  webgpu.losses.forEach((step, i) =>
    step.forEach((v, j) => {
      const w = wasm.losses[i][j];
      maxRelError = Math.max(maxRelError, Math.abs(v - w) / Math.max(1, Math.abs(w)));
    }),
  );
}

const gpu = runs.find((r) => r.kind === 'torch' && r.result?.device)?.result?.device ?? 'unknown';
console.log(`GPU: ${gpu}; webgpu vs wasm, 6 steps from one seed: max relative loss error ${maxRelError}`);
console.table(
  rows.map((r) => ({
    model: r.model,
    'engine webgpu img/s': r.engine_images_per_s?.toFixed(0) ?? '-',
    'PyTorch CUDA img/s': r.torch_images_per_s?.toFixed(0) ?? '-',
    ratio: r.ratio?.toFixed(3) ?? '-',
    ...(r.error ? { error: String(r.error).slice(0, 80) } : {}),
  })),
);
const variants = runs.filter((r) => r.kind === 'engine-flag');
if (variants.length > 0) {
  console.log('32 px, batch 64 with tfjs flags:');
  console.table(
    variants.map((r) => ({
      flags: JSON.stringify(r.result?.flags ?? {}),
      'engine webgpu img/s': r.result?.images_per_s?.toFixed(0) ?? '-',
      ...(r.result?.error ? { error: String(r.result.error).slice(0, 80) } : {}),
    })),
  );
}
const profile = runs.find((r) => r.kind === 'engine' && r.result?.profile)?.result?.profile;
if (profile) {
  console.log('One 32 px step on webgpu, by kernel:');
  console.table(profile.slice(0, 20).map((k) => ({ kernel: k.name, calls: k.calls, ms: k.ms.toFixed(2) })));
}
const summary = { gpu, max_rel_error_vs_wasm: maxRelError, cases: rows, profile_32px: profile ?? null, runs };
fs.writeFileSync(output, `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  JSON.stringify({ gpu, max_rel_error_vs_wasm: maxRelError, ratios: rows.map((r) => [r.model, r.ratio]) }),
);
