/**
 * Voice messages: the microphone through MediaRecorder, in the first container the browser
 * can record that the server accepts (WebM/Opus, Ogg/Opus, MP4/AAC). Stopped by the visitor,
 * or after `maxMs`.
 */

const TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'];

export function canRecord(): boolean {
  return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

export interface Recording {
  /** Stops recording; resolves with the audio and a file name that matches its container. */
  stop(): Promise<{ blob: Blob; fileName: string }>;
}

export async function startRecording(maxMs = 60_000, onAutoStop?: () => void): Promise<Recording> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const parts: Blob[] = [];
  recorder.addEventListener('dataavailable', (e) => {
    if (e.data.size > 0) parts.push(e.data);
  });
  const stopped = new Promise<void>((resolve) => recorder.addEventListener('stop', () => resolve(), { once: true }));
  recorder.start();
  const timer = setTimeout(() => onAutoStop?.(), maxMs);
  return {
    async stop() {
      clearTimeout(timer);
      if (recorder.state !== 'inactive') recorder.stop();
      await stopped;
      for (const track of stream.getTracks()) track.stop();
      const type = recorder.mimeType || mimeType || 'audio/webm';
      const ext = type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm';
      return { blob: new Blob(parts, { type }), fileName: `voice-message.${ext}` };
    },
  };
}
