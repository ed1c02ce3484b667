import { resolveTrainConfig } from '../../../shared/config.js';
import type { DatasetService } from '../../datasets/service.js';
import type { Calibrator } from '../../training/host/calibration.js';
import type { TrainingManager } from '../../training/host/manager.js';
import type { GroupHandlers } from '../router.js';

export interface TrainingHandlerDeps {
  training: TrainingManager;
  calibrator: Calibrator;
  datasets: Pick<DatasetService, 'get'>;
}

export function trainingHandlers({
  training,
  calibrator,
  datasets,
}: TrainingHandlerDeps): GroupHandlers<'training'> {
  return {
    // The config is resolved here, once; everything after takes it as it is.
    'training.start': ({ datasetId, name, preset, config }) =>
      training.start({ datasetId, name, preset, config: resolveTrainConfig(preset, config) }),
    'training.estimate': ({ datasetId, preset, config }) =>
      calibrator.estimate(
        resolveTrainConfig(preset, config),
        datasetId ? datasets.get(datasetId).imageCount : null,
      ),
    'training.pause': ({ id }) => training.pause(id),
    'training.resume': ({ id, backend }) => training.resume(id, backend),
    'training.stop': ({ id }) => training.stop(id),
    'training.continue': ({ id, fromStep, changes }) => training.continue(id, { fromStep, changes }),
  };
}
