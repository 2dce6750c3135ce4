using System.Buffers.Binary;

namespace FineTune.Core.Modeling.Pretrained;

/// <summary>A constant tensor; its values are in <see cref="RawData"/> (little-endian) or <see cref="FloatData"/>.</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, int DataType, ReadOnlyMemory<byte> RawData, float[] FloatData)
{
    public const int Float = 1; // TensorProto.DataType.FLOAT

    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    public float[] ToFloats()
    {
        if (DataType != Float) throw new InvalidDataException($"ONNX tensor '{Name}' has data type {DataType}, not FLOAT (1)");
        float[] values;
        if (!RawData.IsEmpty)
        {
            var bytes = RawData.Span;
            values = new float[bytes.Length / 4];
            for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        }
        else values = FloatData;
        if (values.LongLength != ElementCount)
            throw new InvalidDataException($"ONNX tensor '{Name}' has {values.LongLength} values but shape [{string.Join(", ", Dims)}] (external data is not supported)");
        return values;
    }
}
