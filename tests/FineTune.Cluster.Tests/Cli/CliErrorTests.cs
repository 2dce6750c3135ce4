using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>Every bad model folder or argument: exit code 2 and one line naming the file and the problem, no stack trace.</summary>
public class CliErrorTests
{
    static void AssertInvalid(FinetuneProcess.Result r, params string[] expected)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length <= 2, r.Stderr); // the error (and at most a usage hint)
        Assert.DoesNotContain("   at ", r.Stderr);  // no stack trace
        foreach (var e in expected) Assert.Contains(e, r.Stderr);
    }

    static string Folder(Action<string>? spoil = null, bool bare = false)
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir, bareEncoderKeys: bare);
        spoil?.Invoke(dir);
        return dir;
    }

    [Fact]
    public void Missing_folder() =>
        AssertInvalid(FinetuneProcess.Run("predict", "--model", "/nonexistent/model", "--text", "x"), "/nonexistent/model", "folder not found");

    [Fact]
    public void Hub_id_offline_and_not_cached_is_one_line_naming_the_variable()
    {
        var cache = Directory.CreateTempSubdirectory("finetune-hub-").FullName;
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(1), null, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = cache },
            "tokenize", "--model", "google-bert/bert-base-cased", "--text", "x");
        AssertInvalid(r, $"google-bert/bert-base-cased@main: not in the cache ({cache}) and HF_HUB_OFFLINE is set: nothing is downloaded");
    }

    [Fact]
    public void Folder_without_config() =>
        AssertInvalid(FinetuneProcess.Run("predict", "--model", Folder(d => File.Delete(Path.Combine(d, "config.json"))), "--text", "x"), "no config.json");

    [Fact]
    public void Folder_without_weights() =>
        AssertInvalid(FinetuneProcess.Run("predict", "--model", Folder(d => File.Delete(Path.Combine(d, "model.safetensors"))), "--text", "x"), "no weights file");

    [Fact]
    public void Folder_without_vocabulary() =>
        AssertInvalid(FinetuneProcess.Run("tokenize", "--model", Folder(d => File.Delete(Path.Combine(d, "vocab.txt"))), "--text", "x"), "no vocabulary");

    [Fact]
    public void Invalid_config_json() =>
        AssertInvalid(FinetuneProcess.Run("predict", "--model", Folder(d => File.WriteAllText(Path.Combine(d, "config.json"), "{\"model_type\": ")), "--text", "x"), "config.json", "invalid JSON");

    [Fact]
    public void Unsupported_architecture() =>
        AssertInvalid(FinetuneProcess.Run("predict", "--model", Folder(d => File.WriteAllText(Path.Combine(d, "config.json"), "{\"model_type\": \"gpt2\"}")), "--text", "x"), "config.json", "model_type 'gpt2' is not supported");

    [Fact]
    public void Truncated_weights()
    {
        var dir = Folder(d =>
        {
            var path = Path.Combine(d, "model.safetensors");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        });
        AssertInvalid(FinetuneProcess.Run("predict", "--model", dir, "--text", "x"), "model.safetensors", "truncated");
    }

    [Fact]
    public void Corrupt_weights()
    {
        var dir = Folder(d => File.WriteAllText(Path.Combine(d, "model.safetensors"), "this is not a safetensors file at all"));
        AssertInvalid(FinetuneProcess.Run("predict", "--model", dir, "--text", "x"), "model.safetensors");
    }

    [Fact]
    public void Corrupt_pytorch_bin()
    {
        var dir = Folder(d =>
        {
            File.Delete(Path.Combine(d, "model.safetensors"));
            File.WriteAllBytes(Path.Combine(d, "pytorch_model.bin"), [0x50, 0x4b, 3, 4, 1, 2, 3]);
        });
        AssertInvalid(FinetuneProcess.Run("predict", "--model", dir, "--text", "x"), "pytorch_model.bin", "not a readable PyTorch state dict");
    }

    [Fact]
    public void Bad_usage_is_exit_code_2()
    {
        AssertInvalid(FinetuneProcess.Run("predict", "--model", Folder()), "either --text or --input");
        AssertInvalid(FinetuneProcess.Run("predict", "--model", Folder(), "--text", "x", "--batch-size", "0"), "--batch-size must be at least 1");
        AssertInvalid(FinetuneProcess.Run("tokenize", "--text", "x", "--padding", "sideways"), "sideways");
    }

    [Fact]
    public void Missing_input_column_lists_the_columns()
    {
        var dir = Folder();
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"review\": \"good\", \"stars\": 5}\n");
        AssertInvalid(FinetuneProcess.Run("predict", "--model", dir, "--input", input), "in.jsonl:1", "no field 'text'", "review, stars");
    }
}
