import 'reflect-metadata';
import { runAnalyticsBench } from './analytics.bench';
import { runConversationLogBench } from './conversation-log.bench';
import { runExtractBench } from './extract.bench';
import { runHelloBench } from './hello.bench';
import { runQualityBench } from './quality.bench';
import { runRetrievalBench } from './retrieval.bench';
import { runStreamBench } from './stream.bench';
import * as voiceWer from './voice-wer';
import { runWidgetBench } from './widget.bench';

/**
 * `npm run bench -- NAME`: runs one benchmark. Benchmarks use their own database and
 * print a small report; they are never part of the test suite.
 */
const BENCHES: Record<string, () => Promise<void>> = {
  analytics: runAnalyticsBench,
  'conversation-log': runConversationLogBench,
  extract: runExtractBench,
  hello: () => runHelloBench(),
  retrieval: runRetrievalBench,
  quality: runQualityBench,
  stream: runStreamBench,
  'voice-wer': () => voiceWer.run(),
  widget: runWidgetBench,
};

const name = process.argv[2];
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>\n`);
  process.exit(2);
}
bench().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
