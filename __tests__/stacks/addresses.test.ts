import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { accounts } from '../../config/accounts';
import { environments } from '../../config/environments';
import { buildApp } from '../../stacks/app';
import { ReadableStack } from '../../stacks/core/readable-stack';
import { Json } from '../helpers/synth';

/**
 * Every stack main.ts synthesizes has its resource addresses committed in `stacks/addresses/<stack>.txt`, one per
 * line, sorted. Terraform keeps state by address: an address that disappears is a resource destroyed (and, renamed,
 * created again) on the next apply, so a change of addresses is made on purpose, here, before anyone deploys it.
 */
const ADDRESSES_DIR = join(__dirname, '..', '..', 'stacks', 'addresses');
const UPDATE = process.env.UPDATE_ADDRESSES === '1';
const UPDATE_COMMAND = 'UPDATE_ADDRESSES=1 npx jest __tests__/stacks/addresses';

const listFile = (stack: string): string => join(ADDRESSES_DIR, `${stack}.txt`);
const readList = (stack: string): string[] =>
  existsSync(listFile(stack)) ? readFileSync(listFile(stack), 'utf8').split('\n').filter(Boolean) : [];

/** Managed resources of a synthesized stack, as Terraform addresses them. */
function resourceAddresses(json: Json): string[] {
  return Object.entries<Json>(json.resource ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

/**
 * What differs between a stack and its committed list, as messages: an address the list lacks, and a listed address
 * the stack lost. A rename written as a `moved` block (`moveFromId` / `moveTo`) keeps the state and is accepted.
 */
function addressProblems(stack: string, listed: readonly string[], json: Json): string[] {
  const addresses = resourceAddresses(json);
  const moves: { from: string; to: string }[] = json.moved ?? [];
  const movedFrom = new Set(moves.filter((m) => addresses.includes(m.to)).map((m) => m.from));
  const movedTo = new Set(moves.filter((m) => listed.includes(m.from)).map((m) => m.to));
  const unlisted = addresses.filter((a) => !listed.includes(a) && !movedTo.has(a));
  const lost = listed.filter((a) => !addresses.includes(a) && !movedFrom.has(a));
  const file = `stacks/addresses/${stack}.txt`;
  const problems: string[] = [];
  if (unlisted.length > 0) {
    problems.push(
      `${stack} has resources ${file} does not list:\n${unlisted.map((a) => `  + ${a}`).join('\n')}\n` +
        `If they are meant, update the list: ${UPDATE_COMMAND}`,
    );
  }
  if (lost.length > 0) {
    problems.push(
      `${stack} no longer has resources ${file} lists; applied, each would be destroyed:\n${lost.map((a) => `  - ${a}`).join('\n')}\n` +
        "A renamed resource keeps its state with a moved block: on the new resource, resource.moveFromId('<old address>') " +
        '(or old.moveTo(target) with target.addMoveTarget(...)). If the resource is meant to go, update the list: ' +
        UPDATE_COMMAND,
    );
  }
  return problems;
}

describe('the committed resource addresses', () => {
  describe('the comparison', () => {
    const synthesized = (build: (stack: ReadableStack) => void): Json => {
      const stack = new ReadableStack(Testing.app(), 'test');
      build(stack);
      return JSON.parse(Testing.synth(stack));
    };
    const alerts = synthesized((stack) => new SnsTopic(stack, 'alerts', { name: 'alerts' }));

    test('a stack with exactly its listed addresses passes', () => {
      expect(addressProblems('test', ['aws_sns_topic.alerts'], alerts)).toEqual([]);
    });

    test('a new resource fails until the list names it, and says how to update the list', () => {
      expect(addressProblems('test', [], alerts)).toEqual([
        `test has resources stacks/addresses/test.txt does not list:\n  + aws_sns_topic.alerts\nIf they are meant, update the list: ${UPDATE_COMMAND}`,
      ]);
    });

    test('a rename without a moved block fails: the deployed resource would be destroyed, and moveFromId keeps it', () => {
      const renamed = synthesized((stack) => new SnsTopic(stack, 'alarms', { name: 'alerts' }));
      const problems = addressProblems('test', ['aws_sns_topic.alerts'], renamed);
      expect(problems).toHaveLength(2);
      expect(problems[1]).toMatch(
        /no longer has resources stacks\/addresses\/test.txt lists; applied, each would be destroyed:\n {2}- aws_sns_topic.alerts/,
      );
      expect(problems[1]).toContain("resource.moveFromId('<old address>')");
      expect(problems[1]).toContain(UPDATE_COMMAND);
    });

    test('a rename written as a moved block keeps the state and passes', () => {
      const renamed = synthesized((stack) => new SnsTopic(stack, 'alarms', { name: 'alerts' }).moveFromId('aws_sns_topic.alerts'));
      expect(renamed.moved).toEqual([{ from: 'aws_sns_topic.alerts', to: 'aws_sns_topic.alarms' }]);
      expect(addressProblems('test', ['aws_sns_topic.alerts'], renamed)).toEqual([]);
    });

    test('a moved block to an address the stack does not have accepts nothing', () => {
      const json = { ...alerts, moved: [{ from: 'aws_sns_topic.old', to: 'aws_sns_topic.elsewhere' }] };
      expect(addressProblems('test', ['aws_sns_topic.alerts', 'aws_sns_topic.old'], json)).toHaveLength(1);
    });
  });

  describe('of the stacks main.ts synthesizes', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'unicornhealth-addresses-'));
    buildApp(environments, outdir, accounts).synth();
    const stacksDir = join(outdir, 'stacks');
    const stacks = readdirSync(stacksDir).sort();
    const synthesized = new Map(stacks.map((stack) => [stack, JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8'))]));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    if (UPDATE) {
      mkdirSync(ADDRESSES_DIR, { recursive: true });
      for (const file of readdirSync(ADDRESSES_DIR))
        if (!stacks.includes(file.replace(/\.txt$/, ''))) unlinkSync(join(ADDRESSES_DIR, file));
      for (const [stack, json] of synthesized) writeFileSync(listFile(stack), `${resourceAddresses(json).join('\n')}\n`);
    }

    test('every stack has its list, and every list a stack', () => {
      const lists = existsSync(ADDRESSES_DIR) ? readdirSync(ADDRESSES_DIR).map((file) => file.replace(/\.txt$/, '')) : [];
      expect([lists.sort(), `a list per stack; after adding or retiring a stack: ${UPDATE_COMMAND}`]).toEqual([
        stacks,
        `a list per stack; after adding or retiring a stack: ${UPDATE_COMMAND}`,
      ]);
    });

    test.each(stacks)('%s has the addresses its list commits, or moved blocks from them', (stack) => {
      const problems = addressProblems(stack, readList(stack), synthesized.get(stack));
      if (problems.length > 0) throw new Error(problems.join('\n\n'));
    });

    test.each(stacks)('%s: every address is the construct path, without a cdktf hash', (stack) => {
      expect(resourceAddresses(synthesized.get(stack)).filter((address) => /_[0-9A-F]{8}$/.test(address))).toEqual([]);
    });
  });
});
