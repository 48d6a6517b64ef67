/**
 * A local speech recogniser the offline provider uses for voice messages when there is no
 * Gemini key (voice/ implements it with Debian's pocketsphinx when installed).
 */
export interface SpeechRecognizer {
  /** 16 kHz mono 16-bit PCM WAV in, text out. */
  recognize(wav: Buffer, signal?: AbortSignal): Promise<string>;
}
