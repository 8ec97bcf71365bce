import { IssuesApi } from './api';

export type UpsertOutcome = { readonly action: 'created' | 'updated' | 'unchanged'; readonly id: number };

/**
 * Keeps one comment per marker on an issue or pull request: the first comment whose body starts with `marker` is
 * updated in place (left alone when already equal), otherwise one is created. The body must start with the marker,
 * or the next run could not find it and would add another.
 */
export async function upsertComment(issues: IssuesApi, issue: number, marker: string, body: string): Promise<UpsertOutcome> {
  if (!body.startsWith(marker)) throw new Error(`the comment must start with its marker ${marker}`);
  const existing = (await issues.listComments(issue)).find((comment) => comment.body.startsWith(marker));
  if (!existing) return { action: 'created', id: (await issues.createComment(issue, body)).id };
  if (existing.body === body) return { action: 'unchanged', id: existing.id };
  await issues.updateComment(existing.id, body);
  return { action: 'updated', id: existing.id };
}
