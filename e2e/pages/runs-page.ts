import type { Locator, Page } from '@playwright/test';

/** The Runs view: the table of runs, its filters and sort, and ticking runs to compare. */
export class RunsPage {
  readonly table: Locator;
  /** The box the table scrolls in, sideways, when the window is narrower than the table. */
  readonly tableBox: Locator;
  readonly search: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('runs-table');
    this.tableBox = this.table.locator('xpath=..');
    this.search = page.getByRole('searchbox', { name: 'Search' });
  }

  row(name: string): Locator {
    return this.table.locator('tbody tr', { has: this.page.getByRole('link', { name, exact: true }) });
  }

  /** A row's cell in a column, by the column's sort key ('steps', 'duration', …). */
  cell(name: string, column: string): Locator {
    return this.row(name).locator(`td[data-column="${column}"]`);
  }

  async select(name: string): Promise<void> {
    await this.page.getByRole('checkbox', { name: `Select ${name} to compare` }).check();
  }

  async compare(): Promise<void> {
    await this.page.getByRole('button', { name: /^Compare \d+ runs$/ }).click();
  }

  async sortBy(column: string): Promise<void> {
    await this.table.getByRole('button', { name: column, exact: true }).click();
  }

  /** The column headers, by their labels. */
  headers(): Locator {
    return this.table.locator('thead th');
  }

  /** Run names in the order the table shows them. */
  async names(): Promise<string[]> {
    return this.table.locator('tbody td.name > a').allTextContents();
  }
}
