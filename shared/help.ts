import type { ConfigField, LossKind } from './config.js';

/**
 * What each setting, loss and chart means, in a sentence or two for someone new to GANs. Shared so
 * the Train form, the run page and the CLI say the same thing.
 */

export const configFieldHelp: Record<ConfigField, string> = {
  model:
    'Which kind of network learns. DCGAN is the classic, small and fast; FastGAN-lite up-samples without checkerboards, lets coarse layers steer fine ones (skip-layer excitation) and keeps D smooth with spectral norm: it learns more from a small folder in the same time, and goes up to 256 px.',
  resolution:
    'Size of the square images the GAN learns to make. Each doubling makes a step about four times slower and needs more images to learn well.',
  latentSize:
    'Length of the random vector z the generator turns into an image. 100 is the classic DCGAN value; smaller is a little faster, larger rarely helps small models.',
  width:
    'How many channels (filters) each layer has: 1 is the classic DCGAN with 64 base channels, 0.5 half as many. Narrower trains faster and learns less detail.',
  batchSize:
    'Images per training step. Larger batches give steadier gradients but each step takes longer; 32–128 is usual.',
  steps:
    'How long the run trains: each step is one update of the discriminator and one of the generator. More steps, better samples, up to a point.',
  lrG: "Adam's learning rate for the generator: how big its updates are. 0.0002 is the DCGAN value; lower it if training diverges.",
  lrD: "Adam's learning rate for the discriminator. If D wins too easily (D(G(z)) stays near 0), lower it or raise G's.",
  beta1:
    "Adam's momentum. GANs use 0.5 rather than Adam's usual 0.9: less momentum keeps the two players from overshooting each other.",
  beta2:
    "Adam's averaging of squared gradients. 0.999 is the usual value; there is rarely a reason to change it.",
  loss: 'The game D and G play: what D is rewarded for and what G tries to minimise. See each option explained beside the form.',
  diffAugment:
    'Differentiable augmentation: shifts, recolours and cuts out parts of both real and generated images before D sees them, so D cannot memorise a small dataset. Auto turns it on under 5,000 images.',
  augmentPolicy: 'Which augmentations DiffAugment applies: translation, colour and cutout.',
  emaDecay:
    "Samples come from a slowly moving average of the generator's weights, which are less noisy than the weights of the latest step. 0.999 averages over about the last 1,000 steps; 0 turns it off.",
  seed: 'Starts the random numbers: the same seed and settings give the same run, which makes runs comparable.',
  metricsEvery: 'A chart point every this many steps (and at least every 2 seconds, however slow a step is).',
  sampleEvery:
    'An extra sample grid every this many steps. 0 = by time only: a grid about 10 s after the first step, every 15–30 s early on, then sparser.',
  sampleCount: 'How many images the sample grid shows, each from a fixed latent vector so the grids compare.',
  checkpointMinutes:
    'How often the full training state is saved, so a run can resume after a pause, a crash or closing the app.',
  keepCheckpoints: 'How many recent checkpoints are kept; older ones are deleted unless you star them.',
  crop: 'How images that are not square become square: centre crops the middle, pad adds borders (nothing is cut off), stretch squeezes the whole image.',
  flip: 'Also trains on mirror images (left–right), which doubles the variety of a small dataset of things that can be mirrored.',
  backend:
    'Where the maths runs. Best available picks native TensorFlow, then a GPU through WebGPU, then WebAssembly on the CPU; the plain JS backend is a slow last resort.',
  threads:
    'CPU threads for the WebAssembly backend. 0 = all cores but one, which stays free for the app. Other backends choose their own.',
};

export interface LossOption {
  id: LossKind;
  label: string;
  /** One or two sentences: what D and G minimise, and how it behaves. */
  explanation: string;
}

export const lossOptions: readonly LossOption[] = [
  {
    id: 'bce',
    label: 'Non-saturating (BCE)',
    explanation:
      'D learns to tell real from generated images (binary cross-entropy); G maximises log D(G(z)), the chance D calls its images real. G keeps a strong gradient even when D wins: the standard choice.',
  },
  {
    id: 'minimax',
    label: 'Original minimax',
    explanation:
      "The game as first written (Goodfellow et al., 2014): G minimises log(1 − D(G(z))), exactly what D maximises. When D rejects G's images early on, G's gradient all but vanishes and learning stalls — kept to see why the non-saturating loss replaced it.",
  },
  {
    id: 'hinge',
    label: 'Hinge',
    explanation:
      "D only learns from images inside a margin — real ones it scores below +1, generated ones above −1 — and ignores those it already judges confidently; G raises D's score of its images. Used by SN-GAN and BigGAN; often steadier on small datasets.",
  },
];

export const lossLabels = Object.fromEntries(lossOptions.map((o) => [o.id, o.label])) as Record<
  LossKind,
  string
>;

/** What each chart of a run shows, and what it looks like when training is healthy. */
export const chartHelp = {
  losses:
    "D's and G's losses pull against each other, so neither falls to zero in a healthy run: they wobble around a level (with BCE, D's typically between 0.5 and 1.4 and G's between 0.7 and 4; 1.39 and 0.69 is a perfect tie). A G loss that climbs steadily while D's nears 0 means D is winning.",
  discriminator:
    "D(x) is D's average belief that real images are real, D(G(z)) that generated images are. Healthy: D(x) a little above 0.5 and D(G(z)) a little below, both wobbling. D(G(z)) stuck near 0 means D rejects every generated image.",
  speed:
    'Images trained per second, measured over the last couple of seconds. Dips come from samples, quality points and checkpoints.',
  quality:
    'Sliced Wasserstein distance (×10³) between generated and training images at several scales of detail: lower means the generated images are distributed more like the training images. It should fall as training goes on.',
  qualitySmallData:
    'On a small dataset this measures closeness to the training images themselves, not quality: a generator that copies its training images scores best.',
  diversity:
    "How different the sample grid's images are from one another, relative to as many training images (1 = as varied as real images). An untrained generator's images are alike (about 0.1–0.2); it rises as the generator learns. A fall back under 0.2 after it has risen, or while D(G(z)) is stuck near 0, is mode collapse.",
} as const;

/** Below this many images the quality curve is read with the caution above. */
export const smallDatasetForQuality = 1000;
