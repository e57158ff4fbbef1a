import type { RequestHandler } from 'express';
import { errors } from '../shared/errors.js';

/**
 * Rejects a path whose percent-encoding does not decode (`/v1/conversations/%E0%A4%A`, `%`, `%ZZ`) before
 * any route sees it. Express 5's router decodes `:params` with decodeURIComponent and throws a URIError
 * that would otherwise surface as a 500; checking the whole path once covers every route, present and
 * future, the same way.
 */
export const rejectMalformedPath: RequestHandler = (request, _response, next) => {
  if (!request.path.includes('%') || decodes(request.path)) {
    next();
    return;
  }
  next(malformedPathError());
};

export const malformedPathError = () =>
  errors.validationFailed('The request path contains malformed percent-encoding (such as "%" or "%ZZ").');

function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    // A URIError is the answer to the question, not a failure to report.
    return false;
  }
}
