import type { RequestHandler } from 'express';
import { errors } from '../shared/errors.js';
import { nestingDepthExceeds } from '../shared/json-shape.js';

/**
 * No request body of this API nests anywhere near this deep (tool arguments have their own, tighter
 * bound); a body that does would only reach code that recurses over it: refuse it as input.
 */
export const MAX_BODY_DEPTH = 64;

/** After `express.json()`: a body nested deeper than MAX_BODY_DEPTH is 400 `validation_failed`. */
export const limitBodyDepth: RequestHandler = (request, _response, next) => {
  if (nestingDepthExceeds(request.body, MAX_BODY_DEPTH)) {
    next(errors.validationFailed(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`));
    return;
  }
  next();
};
