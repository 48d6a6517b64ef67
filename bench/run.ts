import * as voiceWer from './voice-wer';

/**
 * `npm run bench -- NAME`: runs one benchmark from bench/NAME.ts (each exports `run()`).
 * Kept tiny on purpose; benchmarks print their own results.
 */
const BENCHES: Record<string, { run(): Promise<void> }> = {
  'voice-wer': voiceWer,
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>\n`);
    process.exit(2);
  }
  await bench.run();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
