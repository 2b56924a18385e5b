package herald.engine;

import herald.channel.StreamPosition;

/**
 * What an idempotent publish did ({@link Engine#publishOnce}).
 *
 * @param position the publication's position: the one just made, or for a repeat the first one's
 * @param repeat whether the key was seen within the window, so nothing was published
 */
public record PublishOutcome(StreamPosition position, boolean repeat) {}
