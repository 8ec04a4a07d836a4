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
