import type { Locator, Page } from '@playwright/test';

/** The Compare view: overlaid curves, the settings table and samples at one step. */
export class ComparePage {
  readonly runs: Locator;
  readonly settings: Locator;
  readonly samples: Locator;
  readonly sampleSlider: Locator;

  constructor(readonly page: Page) {
    this.runs = page.getByTestId('compare-runs');
    this.settings = page.getByTestId('config-table');
    this.samples = page.getByTestId('compare-sample');
    this.sampleSlider = page.getByRole('slider', { name: 'Sample step, shared by every run' });
  }

  chart(title: string): Locator {
    return this.page.getByRole('figure', { name: title, exact: true });
  }

  /** The config fields the table marks as differing. */
  async differingFields(): Promise<string[]> {
    return this.settings
      .locator('tr[data-differs="true"]')
      .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset['field'] ?? ''));
  }

  async showOnlyDifferences(): Promise<void> {
    await this.page.getByRole('checkbox', { name: 'Only the differences' }).check();
  }

  async xAxis(choice: 'step' | 'training time'): Promise<void> {
    await this.page.getByRole('radio', { name: choice, exact: true }).check();
  }
}
