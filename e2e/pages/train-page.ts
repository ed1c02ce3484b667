import type { Locator, Page } from '@playwright/test';

/** The Train view: configure a run, start it, and watch and control it. */
export class TrainPage {
  readonly status: Locator;
  readonly progress: Locator;
  readonly sampleGrid: Locator;
  readonly lossChart: Locator;
  /** The form's side panel: what the preset is for, the expected time, the losses explained. */
  readonly estimate: Locator;
  readonly estimateTotal: Locator;
  readonly losses: Locator;
  /** The run page's health warnings. */
  readonly warnings: Locator;
  readonly history: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('run-status');
    this.progress = page.getByTestId('run-progress');
    this.sampleGrid = page.getByTestId('sample-grid');
    this.lossChart = page.getByRole('figure', { name: 'Losses' });
    this.estimate = page.getByTestId('estimate');
    this.estimateTotal = page.getByTestId('estimate-total');
    this.losses = page.getByRole('complementary', { name: 'Before you start' }).getByRole('region', {
      name: 'Losses',
    });
    this.warnings = page.getByTestId('run-warnings');
    this.history = page.getByTestId('run-history');
  }

  /** A form field by its label (select, number input or checkbox). */
  field(label: string): Locator {
    return this.page
      .getByRole('combobox', { name: label, exact: true })
      .or(this.page.getByRole('spinbutton', { name: label, exact: true }))
      .or(this.page.getByRole('checkbox', { name: label, exact: true }));
  }

  /** The "?" button beside a field's label. */
  helpButton(label: string): Locator {
    return this.page.getByRole('button', { name: `Help: ${label}`, exact: true });
  }

  /** The accessible name of whatever has the keyboard focus. */
  async focusedName(): Promise<string> {
    return this.page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const labelled = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      return (el.getAttribute('aria-label') ?? labelled ?? el.textContent ?? '').trim();
    });
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
