using FineTune.Core.Modeling.Pretrained;
using Microsoft.ML.OnnxRuntime;

namespace FineTune.Core.Tests.Pretrained;

/// <summary>What the package's model.onnx computes for a batch: BertModel's two outputs, row-major.</summary>
public sealed record OnnxBertOutput(float[] LastHiddenState, long[] LastHiddenStateShape, float[] PoolerOutput, long[] PoolerOutputShape)
{
    public float Hidden(int batch, int position, int feature)
    {
        var (s, h) = (LastHiddenStateShape[1], LastHiddenStateShape[2]);
        return LastHiddenState[(batch * s + position) * h + feature];
    }
}

/// <summary>
/// Runs the default model's original ONNX graph under ONNX Runtime: the reference that a TorchSharp
/// forward pass on the converted weights must reproduce. One session; create once per test class.
/// </summary>
public sealed class OnnxReference : IDisposable
{
    // The exporter named the pooler output after its value id.
    public const string LastHiddenStateName = "last_hidden_state", PoolerOutputName = "924";
    static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    readonly InferenceSession _session;

    public OnnxReference(byte[]? model = null, int threads = 1)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        _session = new InferenceSession(model ?? DefaultModel.ReadOnnx(), options);
        var inputs = _session.InputMetadata.Keys.Order().ToArray();
        var outputs = _session.OutputMetadata.Keys.ToArray();
        if (!inputs.SequenceEqual(InputNames.Order()) || !outputs.Contains(LastHiddenStateName) || !outputs.Contains(PoolerOutputName))
            throw new InvalidOperationException($"unexpected ONNX signature: inputs [{string.Join(", ", inputs)}], outputs [{string.Join(", ", outputs)}]");
    }

    /// <summary>Rows of token ids and their mask; token types default to all zeros (single sentences).</summary>
    public OnnxBertOutput Run(long[,] inputIds, long[,] attentionMask, long[,]? tokenTypeIds = null)
    {
        int batch = inputIds.GetLength(0), sequence = inputIds.GetLength(1);
        return Run(Flatten(inputIds), Flatten(attentionMask), tokenTypeIds is null ? new long[batch * sequence] : Flatten(tokenTypeIds), batch, sequence);
    }

    /// <summary>Row-major [batch, sequence] int64 inputs, as a TorchSharp tensor's data would be.</summary>
    public OnnxBertOutput Run(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int batch, int sequence)
    {
        long[] shape = [batch, sequence];
        foreach (var input in new[] { inputIds, attentionMask, tokenTypeIds })
            if (input.Length != batch * sequence) throw new ArgumentException($"an input has {input.Length} values, expected {batch} x {sequence}");

        using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(attentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape);
        using var runOptions = new RunOptions();
        using var results = _session.Run(
            runOptions,
            new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types },
            [LastHiddenStateName, PoolerOutputName]);
        return new OnnxBertOutput(
            results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape,
            results[1].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorTypeAndShape().Shape);
    }

    static long[] Flatten(long[,] rows) => rows.Cast<long>().ToArray();

    public void Dispose() => _session.Dispose();
}
