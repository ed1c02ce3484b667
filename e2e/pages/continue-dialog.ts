import type { Locator, Page } from '@playwright/test';

/** The Continue… dialog: go on training a run with more steps or other learning rates. */
export class ContinueDialog {
  readonly dialog: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: /^Continue/ });
  }

  async set(label: 'Total steps' | 'Learning rate G' | 'Learning rate D', value: string): Promise<void> {
    await this.dialog.getByRole('spinbutton', { name: label }).fill(value);
  }

  async submit(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Continue training' }).click();
  }
}
