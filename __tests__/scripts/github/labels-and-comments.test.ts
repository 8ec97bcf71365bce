import { upsertComment } from '../../../scripts/github/comments';
import { STATEFUL_DESTROY_LABEL, statefulDestroyApproval } from '../../../scripts/github/labels';
import { COMMENT_MARKER } from '../../../scripts/policy/plan-summary';
import { FakeGitHub } from './fake-github';

describe('the stateful-destroy guard reads the labels the pull request has now', () => {
  test('approved only with the allow-stateful-destroy label', async () => {
    const github = new FakeGitHub();
    github.labels.set(12, ['documentation']);
    expect(await statefulDestroyApproval(github, 12)).toEqual({ approved: false, labels: ['documentation'] });
    github.labels.set(12, ['documentation', STATEFUL_DESTROY_LABEL]);
    expect(await statefulDestroyApproval(github, 12)).toEqual({ approved: true, labels: ['documentation', STATEFUL_DESTROY_LABEL] });
  });

  test('a label added after the run started counts on a re-run; one removed stops counting', async () => {
    const github = new FakeGitHub();
    // The event that started the run had no label; a re-run replays that payload, but the guard asks the API.
    expect((await statefulDestroyApproval(github, 3)).approved).toBe(false);
    github.labels.set(3, [STATEFUL_DESTROY_LABEL]);
    expect((await statefulDestroyApproval(github, 3)).approved).toBe(true);
    github.labels.set(3, []);
    expect((await statefulDestroyApproval(github, 3)).approved).toBe(false);
  });

  test('a label that only resembles it does not approve', async () => {
    const github = new FakeGitHub();
    github.labels.set(4, ['allow-stateful-destroy?', 'Allow-Stateful-Destroy ', 'no-allow-stateful-destroy']);
    expect((await statefulDestroyApproval(github, 4)).approved).toBe(false);
  });
});

describe('the one plan comment', () => {
  const body = (text: string): string => `${COMMENT_MARKER}\n${text}`;

  test('is created once, then updated in place, never duplicated', async () => {
    const github = new FakeGitHub();
    await github.createComment(5, 'LGTM');
    const first = await upsertComment(github, 5, COMMENT_MARKER, body('plan 1'));
    expect(first.action).toBe('created');
    const second = await upsertComment(github, 5, COMMENT_MARKER, body('plan 2'));
    expect(second).toEqual({ action: 'updated', id: first.id });
    expect((await github.listComments(5)).map((c) => c.body)).toEqual(['LGTM', body('plan 2')]);
  });

  test('an unchanged body is not written again', async () => {
    const github = new FakeGitHub();
    await upsertComment(github, 5, COMMENT_MARKER, body('same'));
    github.writes.length = 0;
    expect((await upsertComment(github, 5, COMMENT_MARKER, body('same'))).action).toBe('unchanged');
    expect(github.writes).toEqual([]);
  });

  test('a comment that merely quotes the marker later in its text is not taken for it', async () => {
    const github = new FakeGitHub();
    await github.createComment(5, `Why is there a ${COMMENT_MARKER} in the comment?`);
    expect((await upsertComment(github, 5, COMMENT_MARKER, body('plan'))).action).toBe('created');
  });

  test('a body without the marker at its start is refused: the next run could not find it', async () => {
    await expect(upsertComment(new FakeGitHub(), 5, COMMENT_MARKER, 'plan')).rejects.toThrow('must start with its marker');
  });
});
