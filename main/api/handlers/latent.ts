import type { LatentService } from '../../latent/host/service.js';
import type { GroupHandlers } from '../router.js';

export function latentHandlers(latent: LatentService): GroupHandlers<'latent'> {
  return {
    'latent.runs': () => latent.runs(),
    'latent.samples': (input) => latent.samples(input),
    'latent.path': (input) => latent.path(input),
    'latent.export': (input) => latent.exportPath(input),
    'latent.exportSample': (input) => latent.exportSample(input),
    'latent.generate': (input) => latent.generate(input),
    'latent.cancel': ({ jobId }) => latent.cancel(jobId),
    'latent.jobs': () => latent.listJobs(),
    'latent.nearest': (input) => latent.nearest(input),
    'latent.exportModel': (input) => latent.exportModel(input),
  };
}
