#!/usr/bin/env node
// The import graph of main/, shared/ and renderer/ (static, type-only, re-exports and dynamic
// import()), checked against the layer plan: no circle, and no import that runs back up.
// `node scripts/import-graph.mjs` prints what it finds; test/architecture/ asserts it is nothing.
import fs from 'node:fs';
import path from 'node:path';
import { layerViolation } from './layers.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const sourceRoots = ['main', 'shared', 'renderer/src'];
const importPattern =
  /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (/\.(ts|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(rel);
    }
  };
  sourceRoots.forEach(walk);
  return files;
}

/** Repository-relative file → the project files it imports. */
export function importGraph() {
  const graph = new Map();
  for (const file of sourceFiles()) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const targets = new Set();
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2];
      if (!spec.startsWith('.')) continue;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const candidates = [resolved.replace(/\.js$/, '.ts'), resolved, `${resolved}.ts`];
      const target = candidates.find(
        (c) => fs.existsSync(path.join(root, c)) && fs.statSync(path.join(root, c)).isFile(),
      );
      targets.add(target ?? resolved);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Every circle of imports (strongly connected groups of more than one file, or a file importing itself). */
export function circles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const order = new Map();
  const low = new Map();
  const found = [];
  const visit = (v) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), order.get(w)));
    }
    if (low.get(v) === order.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || graph.get(v)?.has(v)) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

/** Every import that breaks the layer plan: `from → to: why`. */
export function upwardImports(graph) {
  const found = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const why = layerViolation(from, to);
      if (why) found.push(`${from} → ${to}: ${why}`);
    }
  }
  return found;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const graph = importGraph();
  const found = [...circles(graph).map((c) => `circle: ${c.join(' → ')}`), ...upwardImports(graph)];
  const edges = [...graph.values()].reduce((n, t) => n + t.size, 0);
  process.stdout.write(
    `${graph.size} files, ${edges} imports: ${found.length === 0 ? 'no circle, no import against the layers' : ''}\n`,
  );
  for (const line of found) process.stdout.write(`${line}\n`);
  process.exit(found.length === 0 ? 0 : 1);
}
