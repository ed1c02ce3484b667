import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/** An installed package's version, or 'unknown' where it is not installed. */
export function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The app's own version, from the package.json above this module (source or compiled). */
export function appVersion(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gan-studio') return pkg.version ?? '0.0.0';
    }
  }
  return '0.0.0';
}
