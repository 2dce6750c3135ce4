using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Core.Modeling;

/// <summary>A tensor read from or written to a checkpoint: row-major float32 data and its shape.</summary>
public sealed record NamedTensor(string Name, long[] Shape, float[] Data)
{
    public long ElementCount => CountOf(Shape);

    /// <summary>The number of elements a tensor of <paramref name="shape"/> holds (1 for a scalar's empty shape).</summary>
    public static long CountOf(IEnumerable<long> shape) => shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The safetensors format (Hugging Face): 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw bytes.
/// We read F32, F16 and BF16 (converted to float32) and write F32, as transformers does by default.
/// </summary>
public static class SafeTensors
{
    const long MaxHeaderBytes = 100_000_000; // the reference implementation's own limit

    public static Dictionary<string, NamedTensor> Read(string path) => Scan(path, readData: true);

    /// <summary>Every check <see cref="Read"/> makes (header, dtypes, shapes, offsets, truncation) without reading the tensors: cheap validation.</summary>
    public static void Check(string path) => Scan(path, readData: false);

    static Dictionary<string, NamedTensor> Scan(string path, bool readData)
    {
        using var stream = File.OpenRead(path);
        var (header, dataStart) = ReadHeader(stream, path);
        var tensors = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            var info = node as JsonObject ?? throw Corrupt(path, $"entry '{name}' is not an object");
            var dtype = info["dtype"]?.GetValue<string>() ?? throw Corrupt(path, $"entry '{name}' has no dtype");
            var shape = info["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray() ?? throw Corrupt(path, $"entry '{name}' has no shape");
            var offsets = info["data_offsets"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (offsets is not { Length: 2 } || offsets[0] < 0 || offsets[1] < offsets[0])
                throw Corrupt(path, $"entry '{name}' has invalid data_offsets");
            long count = NamedTensor.CountOf(shape);
            int width = dtype switch { "F32" => 4, "F16" or "BF16" => 2, _ => throw Corrupt(path, $"tensor '{name}' has dtype {dtype}; only F32, F16 and BF16 are supported") };
            if (offsets[1] - offsets[0] != count * width)
                throw Corrupt(path, $"tensor '{name}' has {offsets[1] - offsets[0]} bytes but shape [{string.Join(", ", shape)}] x {dtype} needs {count * width}");
            if (dataStart + offsets[1] > stream.Length)
                throw Corrupt(path, $"file is truncated: tensor '{name}' ends at byte {dataStart + offsets[1]} but the file has {stream.Length}");
            if (!readData) continue;

            var bytes = new byte[offsets[1] - offsets[0]];
            stream.Position = dataStart + offsets[0];
            stream.ReadExactly(bytes);
            tensors[name] = new NamedTensor(name, shape, Decode(bytes, dtype, count));
        }
        return tensors;
    }

    /// <summary>Only the header: names, dtypes, shapes (cheap; used for validation and tests).</summary>
    public static JsonObject ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path).Header;
    }

    public static void Write(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(TensorEntry.Of), metadata);

    /// <summary>
    /// Writes the header from the entries' names and shapes, then each entry's bytes in turn, so at most one tensor is
    /// in memory outside its owner (a bert-base optimizer state is 880 MB).
    /// </summary>
    public static void Write(string path, IEnumerable<TensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var t in list)
        {
            long size = t.ElementCount * 4;
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to an 8-byte boundary so the data is aligned, as the reference writer does.
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        Array.Fill(headerBytes, (byte)' ');
        json.CopyTo(headerBytes, 0);

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(headerBytes);
        foreach (var t in list)
        {
            long before = stream.Position;
            t.WriteData(stream);
            if (stream.Position - before != t.ElementCount * 4)
                throw new ArgumentException($"tensor '{t.Name}' wrote {stream.Position - before} bytes but shape [{string.Join(", ", t.Shape)}] x F32 needs {t.ElementCount * 4}");
        }
    }

    static (JsonObject Header, long DataStart) ReadHeader(Stream stream, string path)
    {
        Span<byte> len = stackalloc byte[8];
        if (stream.Length < 8) throw Corrupt(path, $"file has {stream.Length} bytes, too short for a safetensors header");
        stream.ReadExactly(len);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLength > MaxHeaderBytes || (long)headerLength > stream.Length - 8)
            throw Corrupt(path, $"header length {headerLength} is beyond the file's {stream.Length} bytes (truncated or not a safetensors file)");
        var bytes = new byte[headerLength];
        stream.ReadExactly(bytes);
        try
        {
            var node = JsonNode.Parse(bytes) as JsonObject ?? throw Corrupt(path, "header is not a JSON object");
            return (node, 8 + (long)headerLength);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, $"header is not valid JSON ({e.Message})");
        }
    }

    static float[] Decode(byte[] bytes, string dtype, long count)
    {
        var result = new float[count];
        switch (dtype)
        {
            case "F32":
                Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
                break;
            case "F16":
                for (long i = 0; i < count; i++)
                    result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)(i * 2))));
                break;
            case "BF16": // bfloat16 is the top half of a float32
                for (long i = 0; i < count; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)(i * 2))) << 16);
                break;
        }
        return result;
    }

    static ModelFormatException Corrupt(string path, string problem) => new ModelFormatException(path, problem);
}

/// <summary>A model file that cannot be used; the message names the file and the problem.</summary>
public sealed class ModelFormatException(string path, string problem) : InvalidInputException($"{path}: {problem}")
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
