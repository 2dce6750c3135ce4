namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// A repo as the hub serves it: its commits and the refs (branches and tags) that name them. Pushes append commits
/// and move branches while other requests read, so every read takes a snapshot under the repo's lock.
/// </summary>
public sealed class HubRepoState
{
    readonly Lock gate = new();
    readonly List<HubCommit> commits = [];
    readonly Dictionary<string, HubCommit> refs = new(StringComparer.Ordinal);
    readonly HashSet<string> branches = new(StringComparer.Ordinal) { "main" };

    /// <summary>A fixture's repo: its history, then main's head.</summary>
    public HubRepoState(HubRepoFixture fixture)
    {
        Fixture = fixture;
        HubCommit? parent = null;
        foreach (var (earlier, i) in fixture.History.Select((c, i) => (c, i)))
        {
            parent = new HubCommit(parent, earlier.Files, i);
            commits.Add(parent);
            foreach (var name in earlier.Refs) refs[name] = parent;
        }
        var head = new HubCommit(parent, fixture.Files, fixture.History.Count);
        commits.Add(head);
        refs["main"] = head;
    }

    /// <summary>A repo created through the API: one initial commit on main.</summary>
    internal HubRepoState(HubRepoFixture fixture, HubCommit initial)
    {
        Fixture = fixture;
        commits.Add(initial);
        refs["main"] = initial;
    }

    /// <summary>The repo's type, id and visibility (for a created repo, its files are those of the initial commit).</summary>
    public HubRepoFixture Fixture { get; }

    /// <summary>main's current head.</summary>
    public HubCommit Head
    {
        get { lock (gate) return refs["main"]; }
    }

    /// <summary>Every commit, oldest first (a snapshot).</summary>
    public IReadOnlyList<HubCommit> Commits
    {
        get { lock (gate) return [.. commits]; }
    }

    /// <summary>Branches and tags by name (a snapshot).</summary>
    public IReadOnlyDictionary<string, HubCommit> Refs
    {
        get { lock (gate) return new Dictionary<string, HubCommit>(refs, StringComparer.Ordinal); }
    }

    /// <summary>The branches' names (a snapshot): the refs a commit may be pushed to.</summary>
    public IReadOnlyCollection<string> Branches
    {
        get { lock (gate) return [.. branches]; }
    }

    /// <summary>The commit a branch, tag or full commit id names; null when none.</summary>
    public HubCommit? Resolve(string revision)
    {
        lock (gate) return refs.TryGetValue(revision, out var named) ? named : commits.FirstOrDefault(c => c.Id == revision);
    }

    internal bool IsBranch(string name)
    {
        lock (gate) return branches.Contains(name);
    }

    /// <summary>
    /// Runs <paramref name="change"/> on the branch's head under the repo's lock, so a push sees no other push land
    /// between its checks and its commit; a commit it returns is appended and becomes the branch's head.
    /// </summary>
    internal TResult Advance<TResult>(string branch, Func<HubCommit, (HubCommit? Next, TResult Result)> change)
    {
        lock (gate)
        {
            var (next, result) = change(refs[branch]);
            if (next is not null)
            {
                commits.Add(next);
                refs[branch] = next;
            }
            return result;
        }
    }

    /// <summary>Points a new branch (or, with overwrite, an existing one) at a commit; false when it exists.</summary>
    internal bool TryCreateBranch(string name, HubCommit at, bool overwrite)
    {
        lock (gate)
        {
            if (refs.ContainsKey(name) && !(overwrite && branches.Contains(name))) return false;
            refs[name] = at;
            branches.Add(name);
            return true;
        }
    }
}
