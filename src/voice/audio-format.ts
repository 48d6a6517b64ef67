import { fromBuffer } from 'file-type';

/**
 * The containers voice messages may come in. Recognised from the first bytes of the file
 * (file-type's magic-number tables), never from the client's MIME type or file name.
 */
export type AudioContainer = 'webm' | 'matroska' | 'ogg' | 'wav' | 'mp3' | 'mp4' | 'aac';

export interface AudioFormat {
  container: AudioContainer;
  /** The MIME type file-type reports for the bytes (e.g. `audio/opus`, `video/webm`). */
  detectedMime: string;
}

/** How many leading bytes detection needs (file-type's minimum sample size). */
export const SNIFF_BYTES = 4100;

// file-type extension → our container. WebM and Matroska are the same EBML family, as are
// MP4 and M4A; file-type names Ogg by its codec (opus, oga, ogg, spx).
const CONTAINERS: Record<string, AudioContainer> = {
  webm: 'webm',
  mkv: 'matroska',
  mka: 'matroska',
  ogg: 'ogg',
  oga: 'ogg',
  opus: 'ogg',
  spx: 'ogg',
  wav: 'wav',
  mp3: 'mp3',
  m4a: 'mp4',
  mp4: 'mp4',
  aac: 'aac',
};

/** Human names for the error message a visitor may see. */
export const SUPPORTED_FORMATS_TEXT = 'WebM/Opus, Ogg, WAV, MP3 or M4A/AAC';

/** The container of a file from its first {@link SNIFF_BYTES} bytes, or null when not one we accept. */
export async function detectAudioFormat(head: Uint8Array): Promise<AudioFormat | null> {
  if (head.length === 0) return null;
  const type = await fromBuffer(head);
  if (!type) return null;
  const container = CONTAINERS[type.ext];
  return container ? { container, detectedMime: type.mime } : null;
}
