using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace FineTune.Core.Data;

// The binary form, for the tokenization cache and for shipping shards to workers. Little-endian throughout:
//   "FTTD" | version (int32) = 1 | count (int32) | total tokens (int64)
//   lengths (int32 x count) | second segment starts (int32 x count) | labels (int32 x count) | ids (int32 x total)
public sealed partial class TokenizedDataset
{
    static ReadOnlySpan<byte> Magic => "FTTD"u8;
    const int Version = 1;

    public void Write(Stream stream)
    {
        Span<byte> header = stackalloc byte[20];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Count);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], TotalTokens);
        stream.Write(header);

        var lengths = new int[Count];
        for (int i = 0; i < Count; i++) lengths[i] = Length(i);
        WriteInts(stream, lengths);
        WriteInts(stream, _secondStarts);
        WriteInts(stream, _labels);
        WriteInts(stream, _ids.AsSpan(0, (int)TotalTokens));
    }

    /// <summary>Reads what <see cref="Write"/> wrote; a damaged or foreign stream throws InvalidDataException.</summary>
    public static TokenizedDataset Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[20];
        ReadExactly(stream, header);
        if (!header[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"not a tokenized dataset (starts with '{Encoding.ASCII.GetString(header[..4])}', expected 'FTTD')");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (version != Version) throw new InvalidDataException($"tokenized dataset version {version}; this build reads version {Version}");
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        long total = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
        if (count < 0 || total < 0 || total > Array.MaxLength)
            throw new InvalidDataException($"tokenized dataset header is damaged (count {count}, tokens {total})");

        var lengths = ReadInts(stream, count);
        var secondStarts = ReadInts(stream, count);
        var labels = ReadInts(stream, count);
        var offsets = new long[count + 1];
        for (int i = 0; i < count; i++)
        {
            if (lengths[i] < 0 || secondStarts[i] < 0 || secondStarts[i] > lengths[i])
                throw new InvalidDataException($"tokenized dataset example {i} is damaged (length {lengths[i]}, second segment at {secondStarts[i]})");
            offsets[i + 1] = offsets[i] + lengths[i];
        }
        if (offsets[^1] != total)
            throw new InvalidDataException($"tokenized dataset lengths add up to {offsets[^1]} tokens, the header says {total}");
        return new TokenizedDataset(ReadInts(stream, (int)total), offsets, secondStarts, labels);
    }

    static void WriteInts(Stream stream, ReadOnlySpan<int> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        var buffer = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * 4), values[i]);
        stream.Write(buffer);
    }

    static int[] ReadInts(Stream stream, int count)
    {
        var values = new int[count];
        ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan()));
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReverseEndianness(values[i]);
        return values;
    }

    static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("tokenized dataset is truncated");
        }
    }
}
