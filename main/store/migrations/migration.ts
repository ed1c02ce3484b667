import type { Database } from 'better-sqlite3';

/**
 * One step of the schema. Its own module so that the migrations and the runner that lists them
 * (index.ts) both depend on it, not on each other.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}
