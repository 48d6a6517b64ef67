/**
 * How a provider says "the answer is not in what the business shared": its reply begins with
 * {@link NOT_IN_CONTEXT}. The system prompt asks Gemini for it; the offline provider emits it
 * with its "I don't know" reply. The chat turn strips it ({@link withGrounding}), sends the
 * reply without sources, and records it as unanswered.
 */
export const NOT_IN_CONTEXT = '[[NOT_IN_CONTEXT]]';

/**
 * The reply's pieces without the marker; `onUngrounded` is called once when the reply began
 * with it. Only a reply whose first characters could still be the marker is held back, and
 * only until they cannot: any other reply streams through untouched.
 */
export async function* withGrounding(pieces: AsyncIterable<string>, onUngrounded: () => void): AsyncIterable<string> {
  let head = '';
  let decided = false;
  for await (const piece of pieces) {
    if (decided) {
      yield piece;
      continue;
    }
    head += piece;
    const start = head.trimStart();
    if (start.startsWith(NOT_IN_CONTEXT)) {
      decided = true;
      onUngrounded();
      const rest = start.slice(NOT_IN_CONTEXT.length).trimStart();
      if (rest) yield rest;
    } else if (!start || !NOT_IN_CONTEXT.startsWith(start)) {
      decided = true;
      yield head;
    }
  }
  if (!decided && head.trim()) {
    // The reply ended inside what could have been the marker: it was a cut-off marker.
    onUngrounded();
  }
}
