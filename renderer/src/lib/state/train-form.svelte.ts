import {
  configFields,
  defaultTrainConfig,
  presets,
  resolveTrainConfig,
  type ConfigField,
  type TrainConfig,
} from '../../../../shared/config.js';
import type { EventPayloads } from '../../../../shared/events.js';
import type { DatasetSummary, TrainingEstimate } from '../../../../shared/types.js';
import {
  hasGpuBackend,
  proposeSettings,
  typicalSide,
  type ProposalContext,
} from '../../../../shared/proposal.js';
import { studio } from '../api/client.js';

/** Settings that belong to the machine and the data rather than to a preset: a preset keeps them. */
const keptAcrossPresets = ['backend', 'threads', 'crop', 'flip', 'seed'] as const;

/** A preset's settings, keeping the machine's and the data's from `current`. */
export function presetSettings(id: string, current: TrainConfig): TrainConfig {
  const kept = Object.fromEntries(keptAcrossPresets.map((k) => [k, current[k]]));
  return resolveTrainConfig(id, kept);
}

/**
 * The fields of `config` that differ from the preset's: from its settings as proposed for the
 * dataset and machine where they were, else its plain ones.
 */
export function changedFromPreset(
  presetId: string,
  proposed: TrainConfig | null,
  config: TrainConfig,
): ConfigField[] {
  const base = proposed ?? presetSettings(presetId, config);
  return configFields.filter((f) => JSON.stringify(base[f]) !== JSON.stringify(config[f]));
}

/** The preset whose every value a config has, or '' (custom settings). */
function presetOf(config: TrainConfig): string {
  const match = presets.find((p) =>
    Object.entries(p.config).every(([k, v]) => config[k as keyof TrainConfig] === v),
  );
  return match?.id ?? '';
}

/**
 * The Train form's model. It lives for the app session, so the dataset and settings chosen
 * survive a visit to another view; on the first visit it starts from the last run started in
 * this data folder (its dataset and settings), so they also survive a restart. Fields bind to
 * `datasetId`, `presetId` and `config` directly: this is a form's model, not derived state.
 */
class TrainForm {
  datasetId = $state('');
  /** '' when the settings are not a preset's (a past run's own, or edited). */
  presetId = $state('quick');
  config = $state<TrainConfig>(presetSettings('quick', defaultTrainConfig));
  /** The settings the preset was proposed as for this dataset and machine, and why. */
  proposed = $state.raw<TrainConfig | null>(null);
  reasons = $state.raw<string[]>([]);
  #context: ProposalContext | null = null;
  #restored: Promise<void> | null = null;

  /** Picks a preset: its settings, as proposed for the dataset and machine where they are known. */
  applyPreset(id: string): void {
    this.presetId = id;
    if (!id) return;
    const proposed = this.#proposal(id);
    this.config = { ...proposed };
  }

  /**
   * What the proposal is made for: the chosen dataset (its size and typical image side) and
   * whether a GPU backend loads here. A preset in use is proposed again for it, unless the user
   * has changed its settings: edits are never overwritten (the form then says what differs).
   */
  async propose(datasetId: string): Promise<void> {
    if (!datasetId) return;
    const [dataset, info] = await Promise.all([
      studio.call('datasets.get', { id: datasetId }),
      studio.call('app.info', {}),
    ]);
    if (datasetId !== this.datasetId) return;
    const untouched = this.presetId !== '' && this.#untouched();
    this.#context = {
      datasetSize: dataset.imageCount,
      gpu: hasGpuBackend(info.backends),
      typicalSide: dataset.report ? typicalSide(dataset.report) : null,
    };
    if (!this.presetId) return;
    if (untouched) this.applyPreset(this.presetId);
    else this.#proposal(this.presetId);
  }

  /** The preset's settings for the known context, kept (with the reasons) as `proposed`. */
  #proposal(id: string): TrainConfig {
    const base = presetSettings(id, $state.snapshot(this.config) as TrainConfig);
    const proposal = this.#context === null ? null : proposeSettings(id, this.#context);
    const proposed = proposal ? resolveTrainConfig(undefined, { ...base, ...proposal.config }) : base;
    this.proposed = proposed;
    this.reasons = proposal?.reasons ?? [];
    return proposed;
  }

  /** Whether the settings are still the preset's as last proposed (or plain, before any proposal). */
  #untouched(): boolean {
    const current = $state.snapshot(this.config) as TrainConfig;
    return changedFromPreset(this.presetId, this.proposed, current).length === 0;
  }

  /** Once per session: the last run's dataset and settings, where there is such a run. */
  restore(): Promise<void> {
    this.#restored ??= (async () => {
      const [last] = await studio.call('runs.list', { sort: 'created', order: 'desc' });
      if (!last) return;
      const detail = await studio.call('runs.get', { id: last.id });
      if (detail.datasetId) this.datasetId = detail.datasetId;
      this.config = { ...defaultTrainConfig, ...detail.config };
      this.presetId = presetOf(this.config);
    })().catch(() => {
      // Nothing remembered is no reason to fail the form: it starts from the preset.
    });
    return this.#restored;
  }

  /** Keeps the chosen dataset if it can train, else the first one that can. */
  chooseDataset(ready: readonly DatasetSummary[]): void {
    if (!ready.some((d) => d.id === this.datasetId)) this.datasetId = ready[0]?.id ?? '';
  }
}

export const trainForm = new TrainForm();

type Calibration = EventPayloads['training.calibration'];

/**
 * The expected duration of the form's settings (training.estimate). Requests wait until the
 * settings have stopped changing for a moment; only the latest request's answer is shown. While
 * the machine's speed is being measured, the calibration's progress is.
 */
export class RunEstimate {
  #estimate = $state.raw<TrainingEstimate | null>(null);
  #pending = $state(false);
  #calibration = $state.raw<Calibration | null>(null);
  #error = $state<string | null>(null);
  #latest = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  get estimate(): TrainingEstimate | null {
    return this.#estimate;
  }
  get pending(): boolean {
    return this.#pending;
  }
  /** The calibration under way while a request waits for it. */
  get calibration(): Calibration | null {
    return this.#pending ? this.#calibration : null;
  }
  get error(): string | null {
    return this.#error;
  }

  request(datasetId: string, config: TrainConfig, delayMs = 400): void {
    const n = ++this.#latest;
    this.#pending = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      studio.call('training.estimate', { ...(datasetId ? { datasetId } : {}), config }).then(
        (estimate) => {
          if (n !== this.#latest) return;
          this.#estimate = estimate;
          this.#error = null;
          this.#pending = false;
        },
        (err: Error) => {
          if (n !== this.#latest) return;
          this.#estimate = null;
          this.#error = err.message;
          this.#pending = false;
        },
      );
    }, delayMs);
  }

  watch(): () => void {
    const off = studio.on('training.calibration', (e) => (this.#calibration = e));
    return () => {
      off();
      if (this.#timer) clearTimeout(this.#timer);
    };
  }
}
