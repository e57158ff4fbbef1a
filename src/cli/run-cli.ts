import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { AppDatabase } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { isAppError } from '../shared/errors.js';
import { createUsersRepository } from '../users/users.repository.js';
import { createUsersService } from '../users/users.usecases.js';

export interface CliDependencies {
  openDatabase: () => { config: Config; db: AppDatabase };
  clock: Clock;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE = `Usage: npm run cli -- <command>

  users create <name>            create a user; prints {"id","name","apiKey"} (the key is shown once)
  users list                     list users
  keys create <user id or name>  create another API key for a user; prints {"id","apiKey"}
  keys revoke <key id>           revoke an API key
`;

class UsageError extends Error {}

/** Runs one CLI command; returns the process exit code. Separate from main.ts so tests can drive it. */
export async function runCli(argv: string[], dependencies: CliDependencies): Promise<number> {
  const [group, action, ...rest] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    dependencies.stdout(USAGE);
    return group ? 0 : 1;
  }
  let database: { config: Config; db: AppDatabase } | undefined;
  try {
    database = dependencies.openDatabase();
    const usersService = createUsersService({
      usersRepository: createUsersRepository({ db: database.db }),
      clock: dependencies.clock,
    });
    const print = (value: unknown) => dependencies.stdout(`${JSON.stringify(value, null, 2)}\n`);
    const argument = (name: string) => {
      const value = rest[0];
      if (!value) throw new UsageError(`Missing <${name}>.`);
      return value;
    };
    const command = `${group} ${action ?? ''}`.trim();
    switch (command) {
      case 'users create': {
        const user = usersService.createUser(argument('name'));
        print({ id: user.id, name: user.name, apiKey: user.apiKey });
        break;
      }
      case 'users list':
        print(
          usersService.listUsers().map((user) => ({
            id: user.id,
            name: user.name,
            createdAt: new Date(user.createdAt).toISOString(),
          })),
        );
        break;
      case 'keys create':
        print(usersService.createApiKeyFor(argument('user id or name')));
        break;
      case 'keys revoke': {
        const id = argument('key id');
        usersService.revokeApiKey(id);
        print({ id, revoked: true });
        break;
      }
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) dependencies.stderr(`${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError) dependencies.stderr(`${error.message}\n`);
    else if (isAppError(error))
      dependencies.stderr(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
    else dependencies.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    database?.db.$client.close();
  }
}
