// The layer plan of docs/ARCHITECTURE.md as data: which folder may import which. ESLint's
// local/layers rule (scripts/eslint-layers.mjs) and the import-graph check
// (scripts/import-graph.mjs, run by test/architecture/) both read it, so the plan is written once.

/**
 * Layers, each a folder (or file) of the source tree and the layers it may import besides itself.
 * The most specific path decides a file's layer. Lower layers come first; no layer lists one
 * below it in a way that lets an import run back up.
 */
export const layers = [
  { name: 'shared', path: 'shared/', may: [] },
  { name: 'common', path: 'main/common/', may: ['shared'] },
  { name: 'kernels', path: 'main/training/kernels/', may: ['shared'] },
  { name: 'engine', path: 'main/training/engine/', may: ['shared', 'kernels'] },
  { name: 'store', path: 'main/store/', may: ['shared', 'common'] },
  { name: 'datasets', path: 'main/datasets/', may: ['shared', 'common', 'store'] },
  { name: 'datasets/worker', path: 'main/datasets/worker/', may: ['shared', 'common', 'store', 'datasets'] },
  { name: 'training', path: 'main/training/', may: ['shared', 'common', 'engine'] },
  {
    name: 'training/worker',
    path: 'main/training/worker/',
    may: ['shared', 'common', 'datasets', 'training', 'engine', 'kernels'],
  },
  { name: 'runs', path: 'main/runs/', may: ['shared', 'common', 'store'] },
  {
    name: 'training/host',
    path: 'main/training/host/',
    may: ['shared', 'common', 'store', 'runs', 'training'],
  },
  { name: 'latent', path: 'main/latent/', may: ['shared', 'common', 'engine'] },
  {
    name: 'latent/worker',
    path: 'main/latent/worker/',
    may: ['shared', 'common', 'datasets', 'engine', 'training', 'training/worker', 'latent'],
  },
  { name: 'latent/host', path: 'main/latent/host/', may: ['shared', 'common', 'store', 'latent'] },
  {
    name: 'api',
    path: 'main/api/',
    may: ['shared', 'common', 'store', 'datasets', 'runs', 'training/host', 'latent', 'latent/host'],
  },
  {
    name: 'studio',
    path: 'main/studio.ts',
    may: ['shared', 'common', 'store', 'datasets', 'runs', 'training/host', 'latent/host', 'api'],
  },
  { name: 'server', path: 'main/server/', may: ['shared', 'common', 'datasets', 'api', 'studio'] },
  // The CLI reaches the engine through the router; only `doctor` touches the store file itself,
  // to repair it before a Studio can open it.
  { name: 'cli', path: 'main/cli/', may: ['shared', 'common', 'store', 'latent', 'api', 'studio', 'server'] },
  { name: 'app', path: 'main/app/', may: ['shared', 'common', 'api', 'studio', 'server'] },
  { name: 'preload', path: 'main/preload/', may: ['shared'] },
  { name: 'renderer', path: 'renderer/', may: ['shared'] },
  // Tests, benchmarks and tools may reach into any layer (to test it), but not Electron.
  { name: 'tests', path: 'test/', may: '*' },
  { name: 'tests', path: 'e2e/', may: '*' },
  { name: 'tests', path: 'bench/', may: '*' },
  { name: 'tests', path: 'scripts/', may: '*' },
];

/** Node's built-in modules: code that also runs in a browser page must not import them. */
export const nodeBuiltin =
  /^(node:|(fs|fs\/promises|path|os|worker_threads|child_process|crypto|url|util|stream|zlib|http|https|net|events|buffer|module|process|readline|v8|vm|assert|perf_hooks|timers)$)/;

/** Packages only some layers may load, and why. */
export const packageRules = [
  {
    test: (spec) => spec === 'electron' || spec.startsWith('electron/'),
    allowed: ['app', 'preload'],
    message:
      'Only main/app and main/preload may import electron; the rest runs in plain Node and is tested there.',
  },
  {
    test: (spec) => spec.startsWith('@tensorflow/'),
    allowed: ['kernels', 'engine', 'training/worker', 'latent/worker', 'tests'],
    message:
      'TensorFlow.js loads only in worker threads (main/training/worker, engine, kernels; main/latent/worker): the main process stays quick to start.',
  },
  {
    test: (spec) => nodeBuiltin.test(spec),
    denied: ['shared', 'kernels', 'engine', 'renderer', 'preload'],
    message:
      'This code also runs in a browser page (the renderer, or the engine in a browser worker): no Node modules; I/O belongs to the host around it.',
  },
];

/** The layer of a repository-relative path, or null for what the plan does not cover (tests, tools). */
export function layerOf(file) {
  let best = null;
  for (const layer of layers) {
    const match = layer.path.endsWith('/') ? file.startsWith(layer.path) : file === layer.path;
    if (match && (!best || layer.path.length > best.path.length)) best = layer;
  }
  return best;
}

/** Why `from` may not import `to` (both repository-relative), or null when it may. */
export function layerViolation(from, to) {
  const a = layerOf(from);
  const b = layerOf(to);
  if (!a || !b || a.name === b.name || a.may === '*' || a.may.includes(b.name)) return null;
  return `${a.name} (${a.path}) may not import ${b.name} (${b.path}): it may import ${a.may.length > 0 ? a.may.join(', ') : 'nothing else'}. See docs/ARCHITECTURE.md.`;
}

/** Why a file of this layer may not import the package `spec`, or null when it may. */
export function packageViolation(from, spec) {
  const layer = layerOf(from);
  if (!layer) return null;
  for (const rule of packageRules) {
    if (!rule.test(spec)) continue;
    if (rule.allowed && !rule.allowed.includes(layer.name)) return rule.message;
    if (rule.denied && rule.denied.includes(layer.name)) return rule.message;
  }
  return null;
}
