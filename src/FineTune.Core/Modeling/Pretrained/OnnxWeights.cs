using System.Globalization;
using System.Text.RegularExpressions;

namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// Recovers a Hugging Face <c>BertModel</c> state dict from a BERT exported to ONNX by PyTorch.
/// The exporter keeps the module names of embeddings, LayerNorms, biases and Gemm weights, but
/// stores each Linear that became a MatMul as an anonymous initializer holding W transposed
/// ([in, out]). Such a weight is named after the bias added to its MatMul's output
/// (<c>...query.bias</c> gives <c>...query.weight</c>) and transposed back to [out, in].
/// </summary>
public static partial class OnnxWeights
{
    public static IReadOnlyList<NamedTensor> ToBertStateDict(ReadOnlyMemory<byte> model)
    {
        var graph = OnnxGraph.Parse(model);
        var found = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);

        // Weights of MatMul and Gemm first: their orientation depends on the node that consumes them.
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            var weight = node.OpType switch
            {
                "MatMul" => MatMulWeight(graph, node),
                "Gemm" => GemmWeight(graph, node),
                _ => null,
            };
            if (weight is null) continue;
            Add(found, weight);
            consumed.Add(node.Inputs[1]);
        }

        // Everything else that carries a BertModel name is stored as is.
        foreach (var (name, tensor) in graph.Constants)
            if (!consumed.Contains(name) && tensor.DataType == OnnxTensor.Float && ParameterName().IsMatch(name))
                Add(found, new NamedTensor(name, tensor.Dims, tensor.ToFloats()));

        var layers = found.Keys.Select(n => EncoderLayer().Match(n)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        var expected = BertParameterNames.For(layers);
        var missing = expected.Where(n => !found.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the ONNX graph does not look like a BERT export: {missing.Count} parameters not found ({string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")})");
        var unexpected = found.Keys.Except(expected).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"the ONNX graph has parameters a BertModel does not: {string.Join(", ", unexpected)}");
        return expected.Select(n => found[n]).ToArray();
    }

    /// <summary>x @ W followed by Add(bias): W is a Linear weight stored [in, out].</summary>
    static NamedTensor? MatMulWeight(OnnxGraph graph, OnnxNode matMul)
    {
        if (!graph.Constants.TryGetValue(matMul.Inputs[1], out var weight) || weight.Dims.Length != 2) return null;
        var bias = BiasAfter(graph, matMul.Outputs[0])
            ?? throw new InvalidDataException($"MatMul '{matMul.Name}' has a constant weight but no named bias is added to its output");
        return new NamedTensor(WeightName(bias), [weight.Dims[1], weight.Dims[0]], Transpose(weight.ToFloats(), weight.Dims[0], weight.Dims[1]));
    }

    /// <summary>Gemm(x, W, b) = x @ op(W) + b; with transB = 1 the weight is already [out, in].</summary>
    static NamedTensor? GemmWeight(OnnxGraph graph, OnnxNode gemm)
    {
        if (gemm.Inputs.Length < 3 || !graph.Constants.TryGetValue(gemm.Inputs[1], out var weight) || weight.Dims.Length != 2) return null;
        if (gemm.Ints.GetValueOrDefault("transA") != 0) throw new InvalidDataException($"Gemm '{gemm.Name}' transposes its input; not a Linear layer");
        var name = WeightName(gemm.Inputs[2]);
        return gemm.Ints.GetValueOrDefault("transB") == 1
            ? new NamedTensor(name, weight.Dims, weight.ToFloats())
            : new NamedTensor(name, [weight.Dims[1], weight.Dims[0]], Transpose(weight.ToFloats(), weight.Dims[0], weight.Dims[1]));
    }

    static string? BiasAfter(OnnxGraph graph, string value) => graph.Consumers[value]
        .Where(n => n.OpType == "Add")
        .SelectMany(n => n.Inputs)
        .FirstOrDefault(input => input != value && input.EndsWith(".bias", StringComparison.Ordinal) && graph.Constants.ContainsKey(input));

    static string WeightName(string biasName) =>
        biasName.EndsWith(".bias", StringComparison.Ordinal)
            ? biasName[..^".bias".Length] + ".weight"
            : throw new InvalidDataException($"cannot name a weight after '{biasName}': it is not a '.bias'");

    static float[] Transpose(float[] source, long rows, long columns)
    {
        var result = new float[source.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < columns; c++)
                result[c * rows + r] = source[r * columns + c];
        return result;
    }

    static void Add(Dictionary<string, NamedTensor> found, NamedTensor tensor)
    {
        if (!found.TryAdd(tensor.Name, tensor)) throw new InvalidDataException($"the ONNX graph yields parameter '{tensor.Name}' twice");
    }

    // Names of BertModel parameters; excludes buffers such as embeddings.position_ids and anonymous values.
    [GeneratedRegex(@"^(embeddings|encoder|pooler)\..*\.(weight|bias)$")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex EncoderLayer();
}
