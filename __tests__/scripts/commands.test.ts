import packageJson from '../../package.json';
import { COMMANDS } from '../../scripts/commands';

describe('the tool list', () => {
  test('names are unique', () => {
    const names = COMMANDS.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('holds exactly the tools the npm scripts run through scripts/run.ts', () => {
    const scripts = Object.values(packageJson.scripts as Record<string, string>);
    const run = scripts.flatMap((script) => [...script.matchAll(/scripts\/run\.ts (\S+)/g)].map((match) => match[1]));
    expect(COMMANDS.map((entry) => entry.name).sort()).toEqual([...new Set(run)].sort());
  });

  test.each(COMMANDS.map((entry) => [entry.name, entry] as const))('%s has a one-line summary', (_name, entry) => {
    expect(entry.summary.trim()).not.toBe('');
    expect(entry.summary).not.toContain('\n');
  });

  test.each(COMMANDS.map((entry) => [entry.name, entry] as const))(
    '%s loads a command of that name, with a description, options and a run function',
    async (name, entry) => {
      const command = await entry.load();
      expect(command.name).toBe(name);
      expect(command.description.trim()).not.toBe('');
      expect(typeof command.options).toBe('function');
      expect(typeof command.run).toBe('function');
    },
  );
});
