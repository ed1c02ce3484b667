import type { Locator, Page } from '@playwright/test';

/** The Train view: configure a run, start it, and watch and control it. */
export class TrainPage {
  readonly status: Locator;
  readonly progress: Locator;
  readonly sampleGrid: Locator;
  readonly lossChart: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('run-status');
    this.progress = page.getByTestId('run-progress');
    this.sampleGrid = page.getByTestId('sample-grid');
    this.lossChart = page.getByRole('figure', { name: 'Losses' });
  }

  async setField(label: string, value: string): Promise<void> {
    // By role and accessible name: a label's text would also include a select's option texts.
    const field = this.page
      .getByRole('combobox', { name: label, exact: true })
      .or(this.page.getByRole('spinbutton', { name: label, exact: true }));
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }

  async start(): Promise<void> {
    await this.page.getByRole('button', { name: 'Start training' }).click();
  }

  button(name: 'Pause' | 'Resume' | 'Stop'): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** The step shown in the progress line. */
  async step(): Promise<number> {
    const text = await this.progress.textContent();
    return Number(/step (\d+)/.exec(text ?? '')?.[1] ?? -1);
  }
}
