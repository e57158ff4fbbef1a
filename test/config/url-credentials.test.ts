import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { describeModelError } from '../../src/agent/model-errors.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { redactUrlCredentials } from '../../src/shared/url-credentials.js';

function problemsOf(environment: Record<string, string>): string {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('credentials in URL settings', () => {
  it('OPENAI_BASE_URL with user:password is refused at start-up with a clear message that never echoes them', () => {
    const message = problemsOf({ OPENAI_BASE_URL: 'http://user:hunter2-secret@models.example.com/v1' });
    expect(message).toContain('OPENAI_BASE_URL must not contain a user name or password');
    expect(message).toContain('OPENAI_API_KEY');
    expect(message).not.toContain('hunter2-secret');
    expect(message).toContain('http://[redacted]@models.example.com/v1');
  });

  it('every URL setting refuses credentials, a user name alone included', () => {
    const message = problemsOf({
      WPS_MCP_URL: 'https://someone@openapi.wps.cn/mcp/v2',
      WPS_OAUTH_TOKEN_URL: 'https://a:b@openapi.wps.cn/oauth2/token',
    });
    expect(message).toContain('WPS_MCP_URL must not contain a user name or password');
    expect(message).toContain('WPS_OAUTH_TOKEN_URL must not contain a user name or password');
    expect(message).not.toContain('someone@');
  });

  it('a URL without credentials is still accepted', () => {
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).openai.baseUrl).toBe(
      'http://127.0.0.1:11434/v1',
    );
  });
});

describe('error texts never carry URL credentials', () => {
  it('redacts the userinfo of every URL in a text', () => {
    expect(
      redactUrlCredentials(
        'fetch http://u:p@host/v1 failed; also https://token@api.example.com/x and mailto:a@b',
      ),
    ).toBe(
      'fetch http://[redacted]@host/v1 failed; also https://[redacted]@api.example.com/x and mailto:a@b',
    );
  });

  it("a model error quoting the provider's URL with credentials shows it without them", () => {
    const error = new APICallError({
      message: 'Bad Gateway from http://proxy-user:proxy-pass@gateway.example.com/v1/chat/completions',
      url: 'http://proxy-user:proxy-pass@gateway.example.com/v1/chat/completions',
      requestBodyValues: {},
      statusCode: 502,
    });
    const text = describeModelError(error, []);
    expect(text).toContain('HTTP 502');
    expect(text).not.toContain('proxy-pass');
    expect(text).toContain('http://[redacted]@gateway.example.com');
  });
});
