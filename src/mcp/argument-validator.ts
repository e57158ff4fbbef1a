import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule, { type FormatsPlugin } from 'ajv-formats';

export interface ArgumentIssue {
  path: string;
  message: string;
}

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ??
  formatsModule) as FormatsPlugin;

/**
 * Validates tool arguments against the tool's ORIGINAL input schema (what the WPS server declared), before
 * any call leaves the process. Compiled validators are cached per schema object.
 */
export function createArgumentValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  const compiled = new WeakMap<object, ValidateFunction | Error>();

  function validatorFor(schema: object): ValidateFunction | Error {
    let validator = compiled.get(schema);
    if (!validator) {
      try {
        validator = ajv.compile(schema);
      } catch (error) {
        // A schema ajv cannot compile is the server's problem; let WPS judge the arguments itself.
        validator = error instanceof Error ? error : new Error(String(error));
      }
      compiled.set(schema, validator);
    }
    return validator;
  }

  return {
    validate(schema: object, value: unknown): ArgumentIssue[] {
      const validator = validatorFor(schema);
      if (validator instanceof Error) return [];
      if (validator(value)) return [];
      return (validator.errors ?? []).map(describe);
    },
  };
}

function describe(error: ErrorObject): ArgumentIssue {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { path: path ? `${path}.${missing}` : missing, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: path ? `${path}.${extra}` : extra, message: 'is not a known parameter' };
  }
  return { path, message: error.message ?? 'is invalid' };
}

export type ArgumentValidator = ReturnType<typeof createArgumentValidator>;
