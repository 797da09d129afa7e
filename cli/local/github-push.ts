/** The facts of one push, as `git` knows them. */
export interface PushFacts {
  readonly repository: string;
  readonly cloneUrl: string;
  readonly branch: string;
  readonly before: string;
  readonly after: string;
  readonly commits: readonly {
    id: string;
    message: string;
    author: { name: string; email: string };
    committer: { name: string; email: string };
    timestamp: string;
  }[];
  readonly pusher: string;
}

/**
 * A push delivery in GitHub's own payload shape (the fields GitHub sends that Gantry or a
 * reader would look at), so local pushes exercise the same adapter as real ones.
 */
export function githubPushPayload(push: PushFacts): Record<string, unknown> {
  const [owner = 'local', name = push.repository] = push.repository.split('/');
  const created = /^0+$/.test(push.before);
  const head = push.commits.at(-1);
  return {
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    created,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${push.cloneUrl}/compare/${push.before.slice(0, 12)}...${push.after.slice(0, 12)}`,
    commits: push.commits.map(commitPayload),
    head_commit: head
      ? commitPayload(head)
      : { id: push.after, message: '', timestamp: new Date().toISOString(), author: { name: push.pusher, email: '' } },
    repository: {
      name,
      full_name: push.repository,
      private: true,
      owner: { name: owner, login: owner },
      html_url: push.cloneUrl,
      clone_url: push.cloneUrl,
      default_branch: 'main',
    },
    pusher: { name: push.pusher, email: `${push.pusher}@example.com` },
    sender: { login: push.pusher, type: 'User' },
  };
}

function commitPayload(c: PushFacts['commits'][number]) {
  return {
    id: c.id,
    tree_id: c.id,
    distinct: true,
    message: c.message,
    timestamp: c.timestamp,
    // No `username`: GitHub adds one only for an e-mail that belongs to an account, which local git cannot know.
    author: c.author,
    committer: c.committer,
    added: [],
    removed: [],
    modified: [],
  };
}
