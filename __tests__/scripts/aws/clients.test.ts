import { Readable } from 'node:stream';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { SDK_RETRY, clientSettings } from '../../../scripts/aws/clients';

/**
 * A fake HTTP layer under a real SDK client, so the client's own middleware (signing, retries, error parsing) runs:
 * aws-sdk-client-mock replaces `send` and would skip the very retries under test.
 */
function scriptedHandler(responses: { status: number; body: object; headers?: Record<string, string> }[]) {
  const requests: string[] = [];
  return {
    requests,
    handler: {
      handle: async (request: { headers: Record<string, string> }) => {
        requests.push(request.headers['x-amz-target']);
        const next = responses.shift() ?? { status: 500, body: { __type: 'InternalServerException', message: 'script ran out' } };
        return {
          response: {
            statusCode: next.status,
            reason: '',
            headers: { 'content-type': 'application/x-amz-json-1.1', ...next.headers },
            body: Readable.from([Buffer.from(JSON.stringify(next.body))]),
          },
        };
      },
    },
  };
}

const fakeCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-only-secret' };

describe('AWS SDK clients of the tools', () => {
  test('retry throttling and transient errors themselves, a bounded number of times, adaptively', () => {
    expect(clientSettings('us-east-1')).toEqual({ region: 'us-east-1', maxAttempts: SDK_RETRY.maxAttempts, retryMode: 'adaptive' });
    expect(SDK_RETRY.maxAttempts).toBeGreaterThan(1);
    expect(SDK_RETRY.maxAttempts).toBeLessThanOrEqual(10);
  });

  test('a throttled and then failing call succeeds on a later attempt without any retry loop of ours', async () => {
    const { handler, requests } = scriptedHandler([
      { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } },
      { status: 500, body: { __type: 'InternalServerException', message: 'try again' } },
      { status: 200, body: { QueryExecutionId: 'q-1' } },
    ]);
    const athena = new AthenaClient({ ...clientSettings('us-east-1', fakeCredentials), requestHandler: handler });
    const result = await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', WorkGroup: 'wg' }));
    expect(result.QueryExecutionId).toBe('q-1');
    expect(requests).toEqual(Array(3).fill('AmazonAthena.StartQueryExecution'));
  });

  test('gives up after maxAttempts and surfaces the service error', async () => {
    const { handler, requests } = scriptedHandler(
      Array.from({ length: 10 }, () => ({ status: 500, body: { __type: 'InternalServerException', message: 'still down' } })),
    );
    const athena = new AthenaClient({ ...clientSettings('us-east-1', fakeCredentials), requestHandler: handler });
    await expect(athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', WorkGroup: 'wg' }))).rejects.toThrow('still down');
    expect(requests).toHaveLength(SDK_RETRY.maxAttempts);
  }, 60_000);

  test('does not retry a permanent error', async () => {
    const { handler, requests } = scriptedHandler([{ status: 400, body: { __type: 'InvalidRequestException', message: 'bad workgroup' } }]);
    const athena = new AthenaClient({ ...clientSettings('us-east-1', fakeCredentials), requestHandler: handler });
    await expect(athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', WorkGroup: 'wg' }))).rejects.toThrow(
      'bad workgroup',
    );
    expect(requests).toHaveLength(1);
  });
});
