import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The image an exported model (`latent.exportModel`'s folder) makes for one latent, loaded with
 * tfjs-layers on the cpu backend as a user of the export would: RGB bytes, as a PNG holds them.
 */
export async function exportedModelImage(folder: string, latent: Float32Array): Promise<Uint8Array> {
  const json = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weights = fs.readFileSync(path.join(folder, 'group1-shard1of1.bin'));
  await tf.setBackend('cpu');
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  try {
    const out = model.predict(tf.tensor2d(latent, [1, latent.length])) as tf.Tensor;
    const values = await out.data();
    out.dispose();
    return Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))));
  } finally {
    model.dispose();
  }
}
