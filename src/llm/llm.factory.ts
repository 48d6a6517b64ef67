import type { AppConfig } from '../config/config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { FallbackProvider } from './fallback.provider';
import { GeminiProvider } from './gemini.provider';
import type { LlmProvider } from './llm.provider';
import { OfflineProvider } from './offline.provider';
import type { SpeechRecognizer } from './speech-recognizer';

export interface LlmSetup {
  provider: LlmProvider;
  /** The embedded provider (also the fallback inside `provider` when that is Gemini). */
  offline: LlmProvider;
  close(): void;
}

/**
 * LLM_PROVIDER=offline: the offline provider alone. gemini: Gemini, falling back to the
 * offline provider when it fails before its first token.
 */
export function createLlmProvider(
  config: Pick<AppConfig, 'llm'>,
  deps: { metrics: Metrics; logger: Logger; speechRecognizer?: SpeechRecognizer },
): LlmSetup {
  const offline = new OfflineProvider(deps.speechRecognizer);
  if (config.llm.provider === 'offline' || !config.llm.geminiApiKey) return { provider: offline, offline, close: () => undefined };
  const gemini = new GeminiProvider({
    apiKey: config.llm.geminiApiKey,
    model: config.llm.geminiModel,
    baseUrl: config.llm.geminiBaseUrl,
    timeoutMs: config.llm.geminiTimeoutMs,
    maxRetries: config.llm.geminiMaxRetries,
    maxOutputTokens: config.llm.geminiMaxOutputTokens,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  return { provider: new FallbackProvider(gemini, offline, deps.metrics, deps.logger), offline, close: () => gemini.close() };
}
