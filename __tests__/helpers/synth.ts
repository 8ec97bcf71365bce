import { Testing } from 'cdktf';
import { EnvironmentConfig } from '../../config/types';
import { PlatformStack } from '../../stacks/platform-stack';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

/** A synthesized stack, parsed, with lookups by Terraform type. */
export class SynthesizedStack {
  readonly json: Json;
  readonly text: string;

  constructor(readonly stack: PlatformStack) {
    this.text = Testing.synth(stack);
    this.json = JSON.parse(this.text);
  }

  /** Resources of one type, by logical id. */
  resources(type: string): Record<string, Json> {
    return this.json.resource?.[type] ?? {};
  }

  /** Resources of one type as a list. */
  all(type: string): Json[] {
    return Object.values(this.resources(type));
  }

  /** The single resource of a type whose logical id contains `idPart`; fails when there is not exactly one. */
  one(type: string, idPart = ''): Json {
    const matches = Object.entries(this.resources(type)).filter(([id]) => id.includes(idPart));
    if (matches.length !== 1) {
      throw new Error(`expected one ${type} matching "${idPart}", found ${matches.map(([id]) => id).join(', ') || 'none'}`);
    }
    return matches[0][1];
  }

  /** Logical id of the single resource of a type matching `idPart`. */
  idOf(type: string, idPart = ''): string {
    const ids = Object.keys(this.resources(type)).filter((id) => id.includes(idPart));
    if (ids.length !== 1) throw new Error(`expected one ${type} matching "${idPart}", found ${ids.join(', ') || 'none'}`);
    return ids[0];
  }

  /** The `aws_iam_policy_document` a `${data.aws_iam_policy_document.X.json}` reference points at. */
  policyBehind(reference: string): Json {
    const match = /\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}/.exec(reference);
    if (!match) throw new Error(`not a policy document reference: ${reference}`);
    return this.json.data.aws_iam_policy_document[match[1]];
  }

  /** Statement of a policy document by its sid. */
  statement(reference: string, sid: string): Json {
    const statement = this.policyBehind(reference).statement.find((s: Json) => s.sid === sid);
    if (!statement) throw new Error(`no statement ${sid} behind ${reference}`);
    return statement;
  }

  outputs(): Record<string, Json> {
    return this.json.output ?? {};
  }
}

export function synthesize(config: EnvironmentConfig): SynthesizedStack {
  return new SynthesizedStack(new PlatformStack(Testing.app(), config));
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A copy of `base` with `patch` merged in (arrays are replaced, not merged). */
export function withConfig(base: EnvironmentConfig, patch: DeepPartial<EnvironmentConfig>): EnvironmentConfig {
  const merge = (a: Json, b: Json): Json => {
    if (b === undefined) return a;
    if (Array.isArray(b) || typeof b !== 'object' || b === null) return b;
    const out: Json = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = merge(a?.[key], value);
    return out;
  };
  return merge(base, patch);
}

/** `${aws_x.id.attr}` reference to a resource attribute, as the synthesized JSON spells it. */
export function ref(type: string, id: string, attribute: string): string {
  return `\${${type}.${id}.${attribute}}`;
}
