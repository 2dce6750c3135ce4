namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// The parts of an ONNX model needed to recover weights: the nodes (who consumes what) and every
/// constant tensor, from graph initializers and from Constant nodes. Tensor data stays a slice of
/// the model bytes until asked for.
/// </summary>
internal sealed class OnnxGraph
{
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyDictionary<string, OnnxTensor> Constants { get; init; }

    /// <summary>Nodes that read each value, by value name.</summary>
    public ILookup<string, OnnxNode> Consumers => _consumers ??= Nodes
        .SelectMany(n => n.Inputs.Distinct().Select(input => (input, n)))
        .ToLookup(p => p.input, p => p.n);
    ILookup<string, OnnxNode>? _consumers;

    // ModelProto.graph, GraphProto.node and .initializer, NodeProto.*, AttributeProto.*, TensorProto.*
    const int ModelGraph = 7;
    const int GraphNode = 1, GraphInitializer = 5;
    const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    const int AttributeName = 1, AttributeInt = 3, AttributeTensor = 5;
    const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9;

    public static OnnxGraph Parse(ReadOnlyMemory<byte> model)
    {
        var reader = new ProtoReader(model);
        ProtoReader? graph = null;
        while (reader.Next())
        {
            if (reader.Field == ModelGraph) graph = reader.ReadMessage();
            else reader.Skip();
        }
        if (graph is null) throw new InvalidDataException("ONNX model has no graph");

        var nodes = new List<OnnxNode>();
        var constants = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        while (graph.Next())
        {
            if (graph.Field == GraphNode)
            {
                var node = ReadNode(graph.ReadMessage());
                nodes.Add(node);
                // Some exporters put weights in Constant nodes instead of initializers.
                if (node.OpType == "Constant" && node.Outputs.Length == 1 && node.Tensors.TryGetValue("value", out var value))
                    constants[node.Outputs[0]] = value with { Name = node.Outputs[0] };
            }
            else if (graph.Field == GraphInitializer)
            {
                var tensor = ReadTensor(graph.ReadMessage());
                constants[tensor.Name] = tensor;
            }
            else graph.Skip();
        }
        return new OnnxGraph { Nodes = nodes, Constants = constants };
    }

    static OnnxNode ReadNode(ProtoReader reader)
    {
        List<string> inputs = [], outputs = [];
        string name = "", opType = "";
        var ints = new Dictionary<string, long>(StringComparer.Ordinal);
        var tensors = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case NodeInput: inputs.Add(reader.ReadString()); break;
                case NodeOutput: outputs.Add(reader.ReadString()); break;
                case NodeName: name = reader.ReadString(); break;
                case NodeOpType: opType = reader.ReadString(); break;
                case NodeAttribute: ReadAttribute(reader.ReadMessage(), ints, tensors); break;
                default: reader.Skip(); break;
            }
        }
        return new OnnxNode(name, opType, [.. inputs], [.. outputs], ints, tensors);
    }

    /// <summary>Keeps the attributes we use: integers (Gemm's transB) and tensors (Constant's value).</summary>
    static void ReadAttribute(ProtoReader reader, Dictionary<string, long> ints, Dictionary<string, OnnxTensor> tensors)
    {
        string name = "";
        long? integer = null;
        OnnxTensor? tensor = null;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case AttributeName: name = reader.ReadString(); break;
                case AttributeInt: integer = (long)reader.ReadVarint(); break;
                case AttributeTensor: tensor = ReadTensor(reader.ReadMessage()); break;
                default: reader.Skip(); break;
            }
        }
        if (integer is { } i) ints[name] = i;
        if (tensor is not null) tensors[name] = tensor;
    }

    static OnnxTensor ReadTensor(ProtoReader reader)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        string name = "";
        int dataType = 0;
        ReadOnlyMemory<byte> raw = default;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case TensorDims: dims.AddRange(reader.ReadInt64s()); break;
                case TensorDataType: dataType = (int)reader.ReadVarint(); break;
                case TensorFloatData: floats.AddRange(reader.ReadFloats()); break;
                case TensorName: name = reader.ReadString(); break;
                case TensorRawData: raw = reader.ReadBytes(); break;
                default: reader.Skip(); break;
            }
        }
        return new OnnxTensor(name, [.. dims], dataType, raw, [.. floats]);
    }
}

internal sealed record OnnxNode(
    string Name, string OpType, string[] Inputs, string[] Outputs,
    IReadOnlyDictionary<string, long> Ints, IReadOnlyDictionary<string, OnnxTensor> Tensors);
