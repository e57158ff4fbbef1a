import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { OpenedDatabase } from '../db/open-database.js';
import { createRepositories } from '../db/repositories.js';
import type { Clock } from '../shared/clock.js';
import { errors, isAppError } from '../shared/errors.js';
import type { FetchLike } from '../shared/fetch.js';
import { createLogger } from '../shared/logger.js';
import { conversationTranscript } from '../transcripts/conversations.view.js';
import { createUsersService } from '../users/users.usecases.js';
import { runDoctor } from './doctor.js';
import { resetSandbox } from './sandbox-reset.js';

export interface CliDependencies {
  openDatabase: () => Promise<{ config: Config; opened: OpenedDatabase }>;
  clock: Clock;
  fetch: FetchLike;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE = `Usage: npm run cli -- <command>

  users create <name>            create a user; prints {"id","name","apiKey"} (the key is shown once)
  users list                     list users
  keys create <user id or name>  create another API key for a user; prints {"id","apiKey"}
  keys revoke <key id>           revoke an API key
  keys list <user id or name>    a user's keys: [{"id","createdAt","lastUsedAt","revoked"}] (never the key)
  conversations export <user id or name> [--since <ISO date>]
                                 every conversation of the user with messages and tool calls, one JSON per line
  sandbox reset                  forget the sandbox's saved tokens, documents and tables (stop the server first)
  doctor                         check configuration, WPS OAuth and MCP endpoints and the model endpoint
`;

class UsageError extends Error {}

/** Runs one CLI command; returns the process exit code. Separate from main.ts so tests can drive it. */
export async function runCli(argv: string[], dependencies: CliDependencies): Promise<number> {
  const [group, action, ...rest] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    dependencies.stdout(USAGE);
    return group ? 0 : 1;
  }
  let database: { config: Config; opened: OpenedDatabase } | undefined;
  try {
    database = await dependencies.openDatabase();
    const repositories = createRepositories(database.opened.database);
    const usersRepository = repositories.users;
    const usersService = createUsersService({ usersRepository, clock: dependencies.clock });
    const print = (value: unknown) => dependencies.stdout(`${JSON.stringify(value, null, 2)}\n`);
    const argument = (name: string) => {
      const value = rest[0];
      if (!value) throw new UsageError(`Missing <${name}>.`);
      return value;
    };
    const command = `${group} ${action ?? ''}`.trim();
    switch (command) {
      case 'users create': {
        const user = await usersService.createUser(argument('name'));
        print({ id: user.id, name: user.name, apiKey: user.apiKey });
        break;
      }
      case 'users list':
        print(
          (await usersService.listUsers()).map((user) => ({
            id: user.id,
            name: user.name,
            createdAt: new Date(user.createdAt).toISOString(),
          })),
        );
        break;
      case 'keys create':
        print(await usersService.createApiKeyFor(argument('user id or name')));
        break;
      case 'keys list':
        print(await usersService.listApiKeysOf(argument('user id or name')));
        break;
      case 'keys revoke': {
        const id = argument('key id');
        await usersService.revokeApiKey(id);
        print({ id, revoked: true });
        break;
      }
      case 'conversations export': {
        const who = argument('user id or name');
        const user = (await usersRepository.findUserById(who)) ?? (await usersRepository.findUserByName(who));
        if (!user) throw errors.notFound(`No user with id or name "${who}".`);
        const since = sinceOption(rest);
        const { conversations: conversationsRepository, toolCalls: toolCallsRepository } = repositories;
        for (const conversation of await conversationsRepository.listConversationsSince(user.id, since)) {
          const transcript = await conversationTranscript({
            conversation,
            conversationsRepository,
            toolCallsRepository,
          });
          dependencies.stdout(`${JSON.stringify(transcript)}\n`);
        }
        break;
      }
      case 'sandbox reset':
        print(await resetSandbox({ config: database.config, fetch: dependencies.fetch }));
        break;
      case 'doctor': {
        const checks = await runDoctor({
          config: database.config,
          fetch: dependencies.fetch,
          logger: createLogger({ level: 'silent' }),
        });
        const ok = checks.every((check) => check.ok);
        print({ ok, checks });
        return ok ? 0 : 1;
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
    await database?.opened.close();
  }
}

/** `--since 2026-11-01` (any date `Date.parse` reads); without it, everything. */
function sinceOption(rest: string[]): number {
  const index = rest.indexOf('--since');
  if (index === -1) return 0;
  const value = rest[index + 1];
  const parsed = value ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed))
    throw new UsageError(`--since needs a date, like 2026-11-01 (got ${value ?? 'nothing'}).`);
  return parsed;
}
