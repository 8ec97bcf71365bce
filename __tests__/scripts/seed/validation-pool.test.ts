import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableNamed } from '../../../contract/clinic';
import { CHUNK_BYTES, openInput } from '../../../scripts/seed/csv-chunks';
import { ValidatedChunk, validatedChunks } from '../../../scripts/seed/csv-validation';
import { ChunkValidation, onThisThread, validationThreads } from '../../../scripts/seed/validation-pool';

describe('validating on threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'validation-pool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'patient.csv');
  // About 80 bytes a row: a dozen chunks.
  const rows = Array.from({ length: Math.ceil((12 * CHUNK_BYTES) / 80) }, (_, i) =>
    i === 12_345
      ? `PER${i},Ann,Lee,ann@example.com,2/30/1990,"1 Main St",02139,INS1`
      : `PER${i},Ann,"Lee, Jr.",ann${i}@example.com,1/${(i % 28) + 1}/1990,"${i} Main St",02139,INS${(i % 5) + 1}`,
  );
  writeFileSync(path, `person_id,first_name,last_name,email,dob,address,zip,insurance\n${rows.join('\n')}\n`);

  /** Each chunk's result, its bytes as text (Jest compares long typed arrays element by element, slowly). */
  const results = async (validation: ChunkValidation) => {
    const input = await openInput(path);
    try {
      const found: (Omit<ValidatedChunk, 'bytes' | 'tsv'> & { bytes: string; tsv: string })[] = [];
      const chunks = validatedChunks(input, tableNamed('patient'), validation.validate, {
        ahead: validation.ahead,
        remainingErrors: () => 50,
      });
      for await (const chunk of chunks)
        found.push({ ...chunk, bytes: Buffer.from(chunk.bytes).toString(), tsv: Buffer.from(chunk.tsv).toString() });
      return found;
    } finally {
      await input.handle.close();
      await validation.close();
    }
  };

  test('two threads find exactly what this thread finds, chunk by chunk, in file order', async () => {
    const onThreads = await results(validationThreads(2));
    expect(onThreads.length).toBeGreaterThan(10);
    expect(onThreads).toEqual(await results(onThisThread));
    expect(onThreads.flatMap((chunk) => chunk.errors)).toEqual([
      { path, line: 12_347, column: expect.any(Number), message: '"2/30/1990" is not a real calendar date' },
    ]);
  });

  test('a chunk handed to a thread that has ended fails at once, rather than waiting for an answer that cannot come', async () => {
    const threads = validationThreads(1);
    await threads.close();
    await expect(
      threads.validate({
        table: tableNamed('insurance'),
        path: 'x.csv',
        chunk: { bytes: new Uint8Array(Buffer.from('INS1,Plan\n')), firstLine: 2, header: false, recordDelimiter: '\n', cut: false },
        maxErrors: 10,
      }),
    ).rejects.toThrow(/^a validation thread failed: it exited with code/);
  });

  test('a thread that fails fails its chunk with the reason', async () => {
    const threads = validationThreads(1);
    const broken = { ...tableNamed('insurance'), primaryKey: 'no_such_column' };
    try {
      await expect(
        threads.validate({
          table: broken,
          path: 'x.csv',
          chunk: { bytes: new Uint8Array(Buffer.from('INS1,Plan\n')), firstLine: 2, header: false, recordDelimiter: '\n', cut: false },
          maxErrors: 10,
        }),
      ).rejects.toThrow(/^a validation thread failed: TypeError/);
    } finally {
      await threads.close();
    }
  });
});
