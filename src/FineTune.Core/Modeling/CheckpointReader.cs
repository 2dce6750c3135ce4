using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>
/// Reads a Hugging Face checkpoint's tensors, whatever file layout it has:
/// model.safetensors, sharded safetensors (model.safetensors.index.json), or pytorch_model.bin (sharded too).
/// </summary>
public static class CheckpointReader
{
    public static readonly string[] WeightFiles = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];

    /// <summary>The weights file a folder would be loaded from, or null when it has none.</summary>
    public static string? FindWeights(string dir) =>
        WeightFiles.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Throws what <see cref="Read"/> would for a missing, truncated or corrupt checkpoint, as cheaply as it can: a
    /// safetensors file's header and sizes only; other layouts are read whole.
    /// </summary>
    public static void Check(string weightsPath)
    {
        if (weightsPath.EndsWith(".safetensors", StringComparison.Ordinal)) SafeTensors.Check(weightsPath);
        else Read(weightsPath);
    }

    public static Dictionary<string, NamedTensor> Read(string weightsPath)
    {
        var name = Path.GetFileName(weightsPath);
        if (name.EndsWith(".index.json", StringComparison.Ordinal))
            return ReadSharded(weightsPath);
        return name.EndsWith(".safetensors", StringComparison.Ordinal) ? SafeTensors.Read(weightsPath) : ReadPyTorch(weightsPath);
    }

    static Dictionary<string, NamedTensor> ReadSharded(string indexPath)
    {
        JsonObject? map;
        try
        {
            map = (JsonNode.Parse(File.ReadAllText(indexPath)) as JsonObject)?["weight_map"] as JsonObject;
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(indexPath, $"invalid JSON ({e.Message})");
        }
        if (map is null) throw new ModelFormatException(indexPath, "no weight_map object");
        var dir = Path.GetDirectoryName(indexPath)!;
        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var shard in map.Select(kv => kv.Value?.ToString()).Distinct())
        {
            if (string.IsNullOrEmpty(shard) || shard.Contains('/') || shard.Contains('\\'))
                throw new ModelFormatException(indexPath, $"weight_map names an invalid shard '{shard}'");
            var shardPath = Path.Combine(dir, shard);
            if (!File.Exists(shardPath)) throw new ModelFormatException(indexPath, $"shard '{shard}' is listed but missing");
            foreach (var (key, tensor) in Read(shardPath)) result[key] = tensor;
        }
        return result;
    }

    /// <summary>A torch.save'd state dict (zip + pickle), through TorchSharp.PyBridge.</summary>
    static Dictionary<string, NamedTensor> ReadPyTorch(string path)
    {
        using var scope = NewDisposeScope(); // the unpickled tensors too
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelFormatException(path, $"not a readable PyTorch state dict ({e.GetType().Name}: {e.Message})");
        }
        var result = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is not Tensor t) continue;
            if (!is_floating_point(t)) continue; // integer buffers such as position_ids
            result[(string)entry.Key] = new NamedTensor((string)entry.Key, t.shape, TensorData.Floats(t));
        }
        return result;
    }
}
