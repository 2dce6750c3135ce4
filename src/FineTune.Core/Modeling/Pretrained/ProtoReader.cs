using System.Buffers.Binary;
using System.Text;

namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// The protobuf wire format, just enough to walk ONNX messages without a protobuf package:
/// each field is a varint key (field number &lt;&lt; 3 | wire type) followed by a varint, a fixed
/// 64- or 32-bit value, or a varint length and that many bytes (strings, bytes, sub-messages, packed arrays).
/// </summary>
internal sealed class ProtoReader(ReadOnlyMemory<byte> message)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    int _position;

    public int Field { get; private set; }
    public int WireType { get; private set; }

    bool AtEnd => _position >= message.Length;

    /// <summary>Moves to the next field; false at the end of the message.</summary>
    public bool Next()
    {
        if (AtEnd) return false;
        var key = ReadVarint();
        Field = (int)(key >> 3);
        WireType = (int)(key & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        var span = message.Span;
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length) throw Truncated();
            var b = span[_position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    /// <summary>A length-delimited field's bytes, as a slice of the message (no copy).</summary>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(message.Length - _position)) throw Truncated();
        var bytes = message.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes().Span);

    public ProtoReader ReadMessage() => new(ReadBytes());

    public uint ReadFixed32()
    {
        if (_position + 4 > message.Length) throw Truncated();
        var value = BinaryPrimitives.ReadUInt32LittleEndian(message.Span[_position..]);
        _position += 4;
        return value;
    }

    /// <summary>A repeated int64 field: one varint, or a packed run of them.</summary>
    public IEnumerable<long> ReadInt64s()
    {
        if (WireType != LengthDelimited) return [(long)ReadVarint()];
        var packed = new ProtoReader(ReadBytes());
        var values = new List<long>();
        while (!packed.AtEnd) values.Add((long)packed.ReadVarint());
        return values;
    }

    /// <summary>A repeated float field: one fixed32, or a packed run of them.</summary>
    public IEnumerable<float> ReadFloats()
    {
        if (WireType != LengthDelimited) return [BitConverter.UInt32BitsToSingle(ReadFixed32())];
        var bytes = ReadBytes().Span;
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        return values;
    }

    public void Skip()
    {
        switch (WireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Advance(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Advance(4); break;
            default: throw new InvalidDataException($"protobuf wire type {WireType} (field {Field}) is not supported");
        }
    }

    void Advance(int count)
    {
        if (_position + count > message.Length) throw Truncated();
        _position += count;
    }

    static InvalidDataException Truncated() => new("protobuf message is truncated");
}
