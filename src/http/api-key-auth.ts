import type { Request, RequestHandler } from 'express';
import { errors } from '../shared/errors.js';
import type { User } from '../users/users.repository.js';
import type { UsersService } from '../users/users.usecases.js';

/** The authenticated user of a `/v1` request; set by `requireApiKey`. */
export function currentUser(request: Request): User {
  const user = request.res?.locals.user as User | undefined;
  if (!user) throw errors.unauthorized();
  return user;
}

export function requireApiKey({ usersService }: { usersService: UsersService }): RequestHandler {
  // express 5 passes a rejected promise (the database unavailable) to the error handler.
  return async (request, response, next) => {
    const header = request.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const user = match?.[1] ? await usersService.authenticate(match[1]) : undefined;
    if (!user) {
      next(errors.unauthorized(header ? 'The API key is unknown or revoked.' : undefined));
      return;
    }
    response.locals.user = user;
    next();
  };
}
