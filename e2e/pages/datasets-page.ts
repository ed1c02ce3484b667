import type { Locator, Page } from '@playwright/test';

/** The Datasets view: add a folder, follow its scan, read its report and grid. */
export class DatasetsPage {
  readonly folderField: Locator;
  readonly report: Locator;
  readonly grid: Locator;
  readonly skippedList: Locator;
  /** The browser's folder picker (`<input webkitdirectory>`), shown in serve mode. */
  readonly picker: Locator;
  /** A dataset card's counts: images, skipped files and duplicates (one dataset listed). */
  readonly counts: Locator;

  constructor(readonly page: Page) {
    this.folderField = page.getByLabel('Folder path');
    this.report = page.getByTestId('dataset-report');
    this.grid = page.getByTestId('thumbnail-grid');
    this.skippedList = page.getByTestId('skipped-list');
    this.picker = page.getByTestId('folder-picker');
    this.counts = page.getByTestId('dataset-counts');
  }

  async addFolder(folder: string): Promise<void> {
    await this.folderField.fill(folder);
    await this.page.getByRole('button', { name: 'Add folder' }).click();
  }

  scanProgress(): Locator {
    return this.page.getByRole('progressbar', { name: /scanning progress/ });
  }

  async showSkipped(): Promise<void> {
    await this.report.getByLabel('Show').selectOption('skipped');
  }
}
