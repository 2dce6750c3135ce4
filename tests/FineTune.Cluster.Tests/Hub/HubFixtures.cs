using System.Text;
using FineTune.Core.Tests.Data;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// The repos the test hub serves, made at test time: a tiny BERT as google-bert/bert-base-cased (with a tag v1.0 on
/// an earlier commit), the Yelp reviews dataset as Yelp/yelp_review_full (renamed from the legacy yelp_review_full),
/// and private and gated copies of the model.
/// </summary>
public static class HubFixtures
{
    public const string ModelId = "google-bert/bert-base-cased";
    public const string DatasetId = "Yelp/yelp_review_full";
    public const string LegacyDatasetId = "yelp_review_full";
    public const string PrivateModelId = "finetune-test/private-bert";
    public const string GatedModelId = "finetune-test/gated-bert";
    public const int TrainRows = 300;
    public const int TestRows = 100;

    /// <summary>The model's files as main has them (made once: the folder needs the model built).</summary>
    public static IReadOnlyDictionary<string, byte[]> ModelFiles => ModelFilesOnce.Value;

    public static IReadOnlyDictionary<string, byte[]> DatasetFiles => DatasetFilesOnce.Value;

    static readonly Lazy<IReadOnlyDictionary<string, byte[]>> ModelFilesOnce = new(MakeModelFiles);
    static readonly Lazy<IReadOnlyDictionary<string, byte[]>> DatasetFilesOnce = new(MakeDatasetFiles);

    public static IReadOnlyList<HubRepoFixture> All() => [Model(), Dataset(), Model(PrivateModelId, HubVisibility.Private), Model(GatedModelId, HubVisibility.Gated)];

    public static HubRepoFixture Model(string id = ModelId, HubVisibility visibility = HubVisibility.Public)
    {
        var earlier = new Dictionary<string, byte[]>(ModelFiles) { ["README.md"] = Encoding.UTF8.GetBytes("# bert-base-cased (test fixture, first version)\n") };
        return new HubRepoFixture("model", id, ModelFiles) { Visibility = visibility, History = [new HubCommitFixture(earlier, "v1.0")] };
    }

    public static HubRepoFixture Dataset() => new("dataset", DatasetId, DatasetFiles) { RenamedFrom = [LegacyDatasetId] };

    static IReadOnlyDictionary<string, byte[]> MakeModelFiles()
    {
        var dir = TinyModels.TempDir();
        try
        {
            using (TinyModels.WriteFolder(dir)) { }
            var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);
            files["README.md"] = Encoding.UTF8.GetBytes("---\nlicense: apache-2.0\nlanguage: en\n---\n# bert-base-cased (test fixture)\nA tiny random BERT.\n");
            files[".gitattributes"] = Encoding.UTF8.GetBytes(GitAttributes);
            return files;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    const string GitAttributes = """
        *.bin filter=lfs diff=lfs merge=lfs -text
        *.h5 filter=lfs diff=lfs merge=lfs -text
        *.msgpack filter=lfs diff=lfs merge=lfs -text
        *.onnx filter=lfs diff=lfs merge=lfs -text
        *.parquet filter=lfs diff=lfs merge=lfs -text
        *.safetensors filter=lfs diff=lfs merge=lfs -text
        *.arrow filter=lfs diff=lfs merge=lfs -text

        """;

    // Words of the tiny model's vocabulary, by how a review of that many stars reads (so a tiny model can learn).
    static readonly string[][] Phrases =
    [
        ["i hate it", "the food was bad", "bad service", "not good"],
        ["the food was bad", "not good", "the service was bad"],
        ["the food was good", "the service was bad", "it was a b c"],
        ["the food was good", "good service", "i love the food"],
        ["i love it", "the food was great", "great service !"],
    ];

    /// <summary>Reviews whose words follow their label (0..4), the same every run.</summary>
    public static (int?[] Labels, string?[] Texts) Reviews(int count, int seed)
    {
        var random = new Random(seed);
        var labels = new int?[count];
        var texts = new string?[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(5);
            labels[i] = label;
            texts[i] = string.Join(" , ", Enumerable.Range(0, 2 + random.Next(3)).Select(_ => Phrases[label][random.Next(Phrases[label].Length)])) + " .";
        }
        return (labels, texts);
    }

    static IReadOnlyDictionary<string, byte[]> MakeDatasetFiles()
    {
        var dir = TinyModels.TempDir();
        try
        {
            var shards = new (string Path, int Rows, int Seed)[]
            {
                ("yelp_review_full/train-00000-of-00002.parquet", TrainRows / 2, 1),
                ("yelp_review_full/train-00001-of-00002.parquet", TrainRows - TrainRows / 2, 2),
                ("yelp_review_full/test-00000-of-00001.parquet", TestRows, 3),
            };
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (path, rows, seed) in shards)
            {
                var (labels, texts) = Reviews(rows, seed);
                files[path] = File.ReadAllBytes(DataFixtures.Parquet(Path.Combine(dir, path), labels, texts));
            }
            files["README.md"] = Encoding.UTF8.GetBytes(DatasetCard);
            files[".gitattributes"] = Encoding.UTF8.GetBytes(GitAttributes);
            return files;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static readonly string DatasetCard = DataFixtures.YelpCard(TrainRows, TestRows);
}
