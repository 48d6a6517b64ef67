import type { FileUpload } from 'graphql-upload-minimal';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../common/request-context';
import { toChatMessage } from '../chat/chat.mapper';
import { MessageReceipt } from '../chat/chat.types';
import { RateLimited } from '../common/rate-limit';
import type { VoiceTurnService } from './voice-turn.service';

/** `sendVoiceMessage`: adapts the multipart upload to {@link VoiceTurnService}. */
@Resolver()
export class VoiceResolver {
  constructor(private readonly turns: VoiceTurnService) {}

  @Mutation(() => MessageReceipt, {
    description:
      'Sends a recorded voice message (GraphQL multipart request; needs an `apollo-require-preflight: true` header). Accepted: ' +
      'WebM/Opus, Ogg, WAV, MP3, M4A/AAC, recognised from the bytes; at most MAX_AUDIO_BYTES (PAYLOAD_TOO_LARGE) and ' +
      'MAX_AUDIO_SECONDS (BAD_USER_INPUT). Counts against the same rate limit as sendMessage and chat (RATE_LIMIT_CHAT). The transcript becomes the visitor message and the turn continues like a typed one: ' +
      'stream the answer with replyStream(replyId). Large files are transcribed in the background: see `transcriptPending`.',
  })
  // The same per-client bucket as sendMessage and chat: a voice message is a chat turn, and
  // separate buckets would let a client double its turns by alternating typed and spoken ones.
  @RateLimited('chat')
  async sendVoiceMessage(
    @Arg('sessionId', () => ID, { description: 'The chat session (from startSession).' }) sessionId: string,
    @Arg('audio', () => GraphQLUpload, { description: 'The recording, as the multipart file mapped to variables.audio.' })
    audio: Promise<FileUpload>,
    @Ctx() ctx: RequestContext,
  ): Promise<MessageReceipt> {
    const receipt = await this.turns.sendVoiceMessage(sessionId, audio, ctx);
    return { userMessage: toChatMessage(receipt.userMessage), replyId: receipt.replyId, transcriptPending: receipt.transcriptPending };
  }
}
