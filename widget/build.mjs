// Builds the embeddable widget (widget/src) into one file, dist/widget/widget.js, with esbuild.
// Run by `npm run build`. The server serves it as /widget.js (src/server/widget.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/widget/widget.js');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A checkout whose node_modules predates the widget: the API still builds and runs
  // (/widget.js answers 503 until `npm ci` and a build). CI installs everything: fail there.
  const message = 'widget not built: esbuild is not installed (run npm ci)';
  if (process.env.CI) throw new Error(message);
  process.stderr.write(`${message}\n`);
  process.exit(0);
}

const result = await esbuild.build({
  entryPoints: [join(root, 'widget/src/index.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
  minify: true,
  legalComments: 'none',
  tsconfig: join(root, 'widget/tsconfig.json'),
  write: false,
  metafile: false,
  logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, code);
process.stdout.write(`widget: ${outfile} ${(code.length / 1024).toFixed(1)} KB, ${(gzipSync(code).length / 1024).toFixed(1)} KB gzipped\n`);
