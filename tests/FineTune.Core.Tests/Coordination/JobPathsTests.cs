using FineTune.Coordinator.Jobs;

namespace FineTune.Core.Tests.Coordination;

/// <summary>Job paths stay under the coordinator's roots (uploads and --data-roots): no `..`, no symbolic link out, inside a folder either.</summary>
public class JobPathsTests
{
    static (CoordinatorOptions Options, string Root, string Outside) Setup()
    {
        var top = Path.Combine(Path.GetTempPath(), "finetune-tests", "paths-" + Guid.NewGuid().ToString("N")[..8]);
        var root = Path.Combine(top, "datasets");
        var outside = Path.Combine(top, "secret");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(root, "ok.csv"), "text,label\n");
        File.WriteAllText(Path.Combine(outside, "passwords.csv"), "text,label\n");
        return (new CoordinatorOptions(Path.Combine(top, "coordinator")) { DataRoots = [root] }, root, outside);
    }

    [Fact]
    public void Hub_ids_are_kept_as_they_are_checked_for_form_only_and_refused_when_hub_access_is_off()
    {
        var (options, _, _) = Setup();
        var hub = options with { Hub = new FineTune.Core.Hub.HubSettings(new Uri("http://hub.test"), null, false, Path.Combine(options.DataDir, "hub")) };
        Assert.Equal("google-bert/bert-base-cased", JobPaths.Resolve("google-bert/bert-base-cased", hub, "--model (model)"));
        Assert.Equal("yelp_review_full", JobPaths.Resolve("yelp_review_full", hub, "--dataset (dataset)"));
        Assert.Equal("--dataset (dataset): 'a/b/c' is neither a hub id (at most one '/', as in org/name) nor a coordinator:/ or absolute path",
            Assert.Throws<InvalidInputException>(() => JobPaths.Resolve("a/b/c", hub, "dataset")).Message);
        Assert.Contains("hub access is off on this coordinator (--hub-access false)",
            Assert.Throws<InvalidInputException>(() => JobPaths.Resolve("google-bert/bert-base-cased", options, "model")).Message);
        // A data file's name is a relative path, not a repo: the path rules refuse it.
        Assert.Contains("outside the coordinator's roots", Assert.Throws<InvalidInputException>(() => JobPaths.Resolve("train.csv", hub, "dataset")).Message);
        // The hub cache is a root: a snapshot in it may be named by its absolute path.
        var snapshot = Path.Combine(options.DataDir, "hub", "datasets--x", "snapshots", new string('a', 40));
        Directory.CreateDirectory(snapshot);
        Assert.Equal(snapshot, JobPaths.Resolve(snapshot, hub, "dataset"));
    }

    [Fact]
    public void Paths_under_a_data_root_are_allowed_plain_or_prefixed()
    {
        var (options, root, _) = Setup();
        var ok = Path.Combine(root, "ok.csv");
        Assert.Equal(ok, JobPaths.Resolve(ok, options, "dataset"));
        Assert.Equal(ok, JobPaths.Resolve("coordinator:" + ok, options, "dataset"));
        Assert.Equal(Path.Combine(options.UploadsDir, "abc", "x.csv"), JobPaths.Resolve("coordinator:/uploads/abc/x.csv", options, "dataset"));
        Assert.Equal("default", JobPaths.Resolve("default", options, "model"));
    }

    [Theory]
    [InlineData("{outside}/passwords.csv")]
    [InlineData("{root}/../secret/passwords.csv")]
    [InlineData("coordinator:/{outside}/passwords.csv")]
    [InlineData("coordinator:/uploads/../../secret/passwords.csv")]
    [InlineData("relative/data.csv")]
    public void Paths_outside_the_roots_are_refused_naming_the_option(string template)
    {
        var (options, root, outside) = Setup();
        var value = template.Replace("{outside}", outside.TrimStart('/')).Replace("{root}", root);
        if (template.StartsWith("{outside}", StringComparison.Ordinal)) value = "/" + value;
        var e = Assert.Throws<InvalidInputException>(() => JobPaths.Resolve(value, options, "dataset"));
        Assert.Contains("--dataset (dataset)", e.Message);
        Assert.Contains("outside the coordinator's roots", e.Message);
    }

    [Fact]
    public void A_symbolic_link_out_of_a_root_is_refused_for_a_file_a_folder_and_inside_a_folder()
    {
        var (options, root, outside) = Setup();
        File.CreateSymbolicLink(Path.Combine(root, "link.csv"), Path.Combine(outside, "passwords.csv"));
        Directory.CreateSymbolicLink(Path.Combine(root, "linked-dir"), outside);
        var folder = Directory.CreateDirectory(Path.Combine(root, "folder")).FullName;
        File.WriteAllText(Path.Combine(folder, "test.csv"), "text,label\n");
        File.CreateSymbolicLink(Path.Combine(folder, "train.csv"), Path.Combine(outside, "passwords.csv"));

        foreach (var value in new[] { Path.Combine(root, "link.csv"), Path.Combine(root, "linked-dir", "passwords.csv"), Path.Combine(root, "linked-dir"), folder })
        {
            var e = Assert.Throws<InvalidInputException>(() => JobPaths.Resolve(value, options, "dataset"));
            Assert.Contains("leads outside the coordinator's roots", e.Message);
        }
        // A link that stays inside the root is fine.
        File.CreateSymbolicLink(Path.Combine(root, "alias.csv"), Path.Combine(root, "ok.csv"));
        Assert.Equal(Path.Combine(root, "alias.csv"), JobPaths.Resolve(Path.Combine(root, "alias.csv"), options, "dataset"));
    }
}
