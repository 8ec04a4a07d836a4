import type { RequestContext } from '../context';
import { errors, TokenErrorReason } from '../errors';
import type { Viewer } from '../sessions/session.service';

/**
 * The signed-in caller of a field that graphql-shield already guards with a signed-in rule.
 * This narrows the type and fails closed should a rule ever go missing; it decides nothing.
 */
export function requireViewer(ctx: RequestContext): Viewer {
  if (!ctx.viewer) throw errors.unauthenticated(ctx.authError ?? TokenErrorReason.TOKEN_MISSING);
  return ctx.viewer;
}

/**
 * The caller of a field that graphql-shield guards with a session-only rule (SESSION_REQUIRED):
 * narrows the session id to a string, and fails closed should the rule ever go missing.
 */
export function requireSessionViewer(ctx: RequestContext): Viewer & { sessionId: string } {
  const viewer = requireViewer(ctx);
  if (viewer.sessionId === null) throw errors.forbidden('SESSION_REQUIRED', 'This needs a signed-in session, not an API token.');
  return viewer as Viewer & { sessionId: string };
}
