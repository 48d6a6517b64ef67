import { AppError, BadUserInputError, ServiceUnavailableError } from '../common/errors';

/**
 * Why a voice message was not transcribed: the `reason` label of
 * `voice_transcoding_failures_total` and `extensions.reason` of the public error, so a
 * frontend can pick its own wording.
 */
export type VoiceFailureReason =
  | 'too_large'
  | 'too_long'
  | 'empty'
  | 'unsupported_format'
  | 'undecodable'
  | 'no_speech'
  | 'timeout'
  | 'aborted'
  | 'ffmpeg_missing'
  | 'recognizer_missing'
  | 'provider_failed'
  | 'voice_disabled'
  | 'busy';

/** The recording is not something we can transcribe; the message is meant for the visitor. */
export class VoiceInputError extends BadUserInputError {
  constructor(
    readonly reason: VoiceFailureReason,
    message: string,
  ) {
    super(message, { reason });
  }
}

/** The upload passed MAX_AUDIO_BYTES; thrown while it streams in, before it is all read. */
export class VoiceTooLargeError extends AppError {
  readonly reason = 'too_large' as const;
  constructor(readonly maxBytes: number) {
    super('PAYLOAD_TOO_LARGE', `The recording is larger than the ${formatBytes(maxBytes)} limit; send a shorter one`, {
      reason: 'too_large',
      maxBytes,
    });
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** A tool voice needs (ffmpeg, a recogniser) is missing or failing on this server. */
export class VoiceUnavailableError extends ServiceUnavailableError {
  constructor(
    readonly reason: VoiceFailureReason,
    what: string,
    cause?: unknown,
  ) {
    super(what, cause);
  }
}

/**
 * Every ffmpeg slot of this process is taken (FFMPEG_MAX_CONCURRENCY): SERVICE_UNAVAILABLE with
 * `reason: busy` and a retry hint. Nothing was stored; the visitor sends the message again.
 */
export class VoiceBusyError extends AppError {
  readonly reason = 'busy' as const;
  constructor(retryAfterSeconds = 5) {
    super('SERVICE_UNAVAILABLE', 'Too many voice messages are being processed right now; send yours again in a few seconds', { reason: 'busy', retryAfterSeconds }, 'warn');
  }
}

/** The client went away; nobody will read this error, it only stops the work. */
export class VoiceAbortedError extends AppError {
  readonly reason = 'aborted' as const;
  constructor() {
    super('BAD_USER_INPUT', 'The upload was cancelled', { reason: 'aborted' });
  }
}

/** The failure reason of any error raised in the voice pipeline (for metrics). */
export function failureReason(error: unknown): VoiceFailureReason {
  if (error && typeof error === 'object' && 'reason' in error && typeof error.reason === 'string') {
    return error.reason as VoiceFailureReason;
  }
  return 'provider_failed';
}
