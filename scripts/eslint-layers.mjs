// ESLint rule local/layers: every import (static, type-only, re-export or dynamic import())
// checked against the layer plan in layers.mjs, relative paths resolved from the importing file.
import path from 'node:path';
import { layerViolation, packageViolation } from './layers.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

function check(context, node, source) {
  if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
  const spec = source.value;
  const from = path.relative(root, context.filename).split(path.sep).join('/');
  let message;
  if (spec.startsWith('.')) {
    const to = path
      .relative(root, path.resolve(path.dirname(context.filename), spec))
      .split(path.sep)
      .join('/')
      .replace(/\.js$/, '.ts');
    message = layerViolation(from, to);
  } else {
    message = packageViolation(from, spec);
  }
  if (message) context.report({ node: source, message: `Import of "${spec}": ${message}` });
}

export const layersPlugin = {
  rules: {
    layers: {
      meta: {
        type: 'problem',
        docs: { description: 'Imports follow the layer plan of docs/ARCHITECTURE.md' },
        schema: [],
      },
      create(context) {
        return {
          ImportDeclaration: (node) => check(context, node, node.source),
          ExportNamedDeclaration: (node) => check(context, node, node.source),
          ExportAllDeclaration: (node) => check(context, node, node.source),
          ImportExpression: (node) => check(context, node, node.source),
        };
      },
    },
  },
};
