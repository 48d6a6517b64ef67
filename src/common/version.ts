import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The version in the repository's package.json. Found by walking up from this file, because
 * the same code runs from src/ (ts-jest) and from dist/src/ (node), one level apart.
 */
export function readPackageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}
