using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Core.Modeling;

namespace FineTune.Core.Tests.Modeling;

/// <summary>An independent safetensors writer for F16/BF16 fixtures (the product only writes F32).</summary>
public static class SafeTensorsTestWriter
{
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, string dtype)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new JsonObject { ["dtype"] = dtype, ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode?)d).ToArray()), ["data_offsets"] = new JsonArray(offset, offset + t.Data.Length * 2) };
            offset += t.Data.Length * 2;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var s = File.Create(path);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
        s.Write(len);
        s.Write(json);
        var two = new byte[2];
        foreach (var t in tensors)
            foreach (var f in t.Data)
            {
                ushort bits = dtype == "BF16" ? (ushort)(BitConverter.SingleToInt32Bits(f) >> 16) : BitConverter.HalfToUInt16Bits((Half)f);
                BinaryPrimitives.WriteUInt16LittleEndian(two, bits);
                s.Write(two);
            }
    }
}
