using FineTune.Coordinator.Jobs;

namespace FineTune.Core.Tests.Cluster;

/// <summary>Job paths on the coordinator stay under its roots: the uploads folder and every --root.</summary>
public class CoordinatorPathsTests
{
    static (CoordinatorPaths Paths, string Data, string Datasets, string Outside) Setup()
    {
        var top = Path.Combine(Path.GetTempPath(), "finetune-tests", "roots-" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(top, "coordinator");
        var datasets = Path.Combine(top, "shared", "datasets");
        var outside = Path.Combine(top, "private");
        foreach (var d in new[] { Path.Combine(data, "uploads", "abc"), Path.Combine(datasets, "imdb"), outside }) Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(datasets, "imdb", "train.csv"), "text,label\n");
        File.WriteAllText(Path.Combine(outside, "secret.csv"), "text,label\n");
        return (new CoordinatorPaths(new CoordinatorOptions(data) { Roots = [datasets] }), data, datasets, outside);
    }

    static string Refused(CoordinatorPaths paths, string value, string key = "dataset") =>
        Assert.Throws<InvalidInputException>(() => paths.Resolve(value, key)).Message;

    [Fact]
    public void Root_names_and_absolute_paths_under_a_root_resolve()
    {
        var (paths, data, datasets, _) = Setup();
        Assert.Equal(Path.Combine(data, "uploads", "abc", "data.jsonl"), paths.Resolve("coordinator:/uploads/abc/data.jsonl", "dataset"));
        Assert.Equal(Path.Combine(datasets, "imdb", "train.csv"), paths.Resolve("coordinator:/datasets/imdb/train.csv", "dataset"));
        Assert.Equal(Path.Combine(datasets, "imdb"), paths.Resolve($"coordinator:/{datasets.TrimStart('/')}/imdb", "dataset"));
        Assert.Equal(Path.Combine(datasets, "imdb"), paths.Resolve(Path.Combine(datasets, "imdb"), "eval_dataset"));
        Assert.Equal("default", paths.Resolve("default", "model")); // the built-in model and data are not paths
    }

    [Fact]
    public void Dot_dot_outside_and_relative_paths_are_refused_naming_the_field()
    {
        var (paths, data, datasets, outside) = Setup();
        Assert.StartsWith("dataset: 'coordinator:/uploads/../jobs/x/job.json' is refused: '..' is not allowed", Refused(paths, "coordinator:/uploads/../jobs/x/job.json"));
        Assert.Contains("'..' is not allowed", Refused(paths, "coordinator:/datasets/imdb/../../../private/secret.csv"));
        Assert.Contains("'..' is not allowed", Refused(paths, $"{datasets}/../../private/secret.csv"));
        Assert.Contains("outside the coordinator's roots", Refused(paths, "coordinator:/blobs/abc"));
        Assert.Contains("outside the coordinator's roots", Refused(paths, Path.Combine(outside, "secret.csv"), "eval_dataset"));
        Assert.StartsWith("eval_dataset:", Refused(paths, Path.Combine(outside, "secret.csv"), "eval_dataset"));
        Assert.Contains("outside the coordinator's roots", Refused(paths, Path.Combine(data, "jobs", "job.json"))); // the data folder itself is not a root
        Assert.Contains("a relative path means nothing on the coordinator", Refused(paths, "data/train.csv"));
        Assert.Contains("coordinator:/datasets/...", Refused(paths, "coordinator:/blobs/abc")); // says what is allowed
    }

    [Fact]
    public void A_symbolic_link_out_of_a_root_is_refused_one_inside_is_followed()
    {
        var (paths, _, datasets, outside) = Setup();
        File.CreateSymbolicLink(Path.Combine(datasets, "leak.csv"), Path.Combine(outside, "secret.csv"));
        Directory.CreateSymbolicLink(Path.Combine(datasets, "leakdir"), outside);
        Directory.CreateSymbolicLink(Path.Combine(datasets, "alias"), Path.Combine(datasets, "imdb"));
        Assert.Contains("leads out of the root 'datasets' through a symbolic link", Refused(paths, "coordinator:/datasets/leak.csv"));
        Assert.Contains("leads out of the root 'datasets'", Refused(paths, "coordinator:/datasets/leakdir/secret.csv"));
        Assert.Equal(Path.Combine(datasets, "alias", "train.csv"), paths.Resolve("coordinator:/datasets/alias/train.csv", "dataset"));
    }

    [Fact]
    public void Two_roots_with_one_name_are_refused()
    {
        var (_, data, datasets, outside) = Setup();
        var other = Path.Combine(outside, "datasets");
        var e = Assert.Throws<InvalidInputException>(() => new CoordinatorPaths(new CoordinatorOptions(data) { Roots = [datasets, other] }));
        Assert.Contains("another root is also named 'datasets'", e.Message);
    }
}
