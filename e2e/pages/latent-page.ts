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
  readonly runSelect: Locator;
  /** A generated set's progress line while it runs, and what it came to once it ended. */
  readonly generationProgress: Locator;
  readonly generationResult: Locator;

  constructor(readonly page: Page) {
    this.samples = page.getByTestId('sample-seeds').getByRole('button');
    this.pathSeeds = page.getByTestId('path-seeds');
    this.frame = page.getByTestId('path-frame');
    this.position = page.getByTestId('path-position');
    this.slider = page.getByRole('slider', { name: 'Position along the path' });
    this.strip = page.getByTestId('path-strip').getByRole('button');
    this.exports = page.getByTestId('exports');
    this.gridSource = page.getByTestId('grid-source');
    this.runSelect = page.getByRole('combobox', { name: 'Run' });
    this.generationProgress = page.getByTestId('generation-progress');
    this.generationResult = page.getByTestId('generation-result');
  }

  async chooseRun(name: string): Promise<void> {
    const value = await this.runSelect.locator('option', { hasText: name }).getAttribute('value');
    await this.runSelect.selectOption(value ?? name);
  }

  /** Starts a generated data set of `count` images. */
  async generate(count: number): Promise<void> {
    await this.page.getByRole('spinbutton', { name: 'Images' }).fill(String(count));
    await this.page.getByRole('button', { name: 'Generate', exact: true }).click();
  }

  /** Records every text the generation's progress line shows from now on (see progressSeen). */
  async recordProgress(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="generation-progress"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }

  progressSeen(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
  }

  /** Clicks the grid's sample of a seed, adding it to the path. */
  async pick(seed: number): Promise<void> {
    await this.page.getByRole('button', { name: new RegExp(`^Seed ${seed}(,|$)`) }).click();
  }

  async exportAs(format: 'GIF' | 'WebP' | 'PNG strip'): Promise<void> {
    await this.page.getByRole('button', { name: `Export ${format}` }).click();
  }
}
