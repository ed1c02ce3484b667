import type { Locator, Page } from '@playwright/test';

/** The Latent view: a run's generator, its samples by seed, a path through them, exports. */
export class LatentPage {
  readonly samples: Locator;
  readonly pathSeeds: Locator;
  readonly frame: Locator;
  readonly position: Locator;
  readonly slider: Locator;
  readonly strip: Locator;
  readonly exports: Locator;
  readonly gridSource: Locator;

  constructor(readonly page: Page) {
    this.samples = page.getByTestId('sample-seeds').getByRole('button');
    this.pathSeeds = page.getByTestId('path-seeds');
    this.frame = page.getByTestId('path-frame');
    this.position = page.getByTestId('path-position');
    this.slider = page.getByRole('slider', { name: 'Position along the path' });
    this.strip = page.getByTestId('path-strip').getByRole('button');
    this.exports = page.getByTestId('exports');
    this.gridSource = page.getByTestId('grid-source');
  }

  async chooseRun(name: string): Promise<void> {
    const select = this.page.getByRole('combobox', { name: 'Run' });
    const value = await select.locator('option', { hasText: name }).getAttribute('value');
    await select.selectOption(value ?? name);
  }

  /** Clicks the grid's sample of a seed, adding it to the path. */
  async pick(seed: number): Promise<void> {
    await this.page.getByRole('button', { name: new RegExp(`^Seed ${seed}(,|$)`) }).click();
  }

  async exportAs(format: 'GIF' | 'WebP' | 'PNG strip'): Promise<void> {
    await this.page.getByRole('button', { name: `Export ${format}` }).click();
  }
}
