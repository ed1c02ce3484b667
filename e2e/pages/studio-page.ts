import type { Page, Locator } from '@playwright/test';

/** The app shell: navigation between the four views. */
export class StudioPage {
  readonly nav: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Main' });
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.nav.waitFor();
  }

  async goTo(view: 'Datasets' | 'Train' | 'Runs' | 'Latent'): Promise<void> {
    await this.nav.getByRole('link', { name: view }).click();
  }

  heading(name: string): Locator {
    return this.page.getByRole('heading', { level: 1, name });
  }
}
