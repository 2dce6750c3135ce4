using System.Runtime.InteropServices;
using FineTune.Core.Torch;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>
/// One tensor of a safetensors file being written: its name and shape (all the header needs) and a writer of its
/// float32 bytes, called when its turn comes.
/// </summary>
public sealed record TensorEntry(string Name, long[] Shape, Action<Stream> WriteData)
{
    public long ElementCount => NamedTensor.CountOf(Shape);

    /// <summary>Values already in a managed array.</summary>
    public static TensorEntry Of(NamedTensor t) => t.Data.LongLength == t.ElementCount
        ? new(t.Name, t.Shape, stream => stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan())))
        : throw new ArgumentException($"tensor '{t.Name}' has {t.Data.LongLength} values but shape [{string.Join(", ", t.Shape)}]");

    /// <summary>
    /// A live tensor (a parameter, a view of a flat buffer), written straight from its memory: no managed copy, which
    /// for a checkpoint's 270 MB cost more than the write itself. <paramref name="open"/> runs under a dispose scope at
    /// write time, so views and the CPU/float32 copies of a GPU or bf16 tensor live for one tensor only.
    /// </summary>
    public static TensorEntry Of(string name, long[] shape, Func<Tensor> open) => new(name, shape, stream =>
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var t = open().detach().cpu().to_type(ScalarType.Float32).contiguous();
        WriteFloats(stream, t);
    });

    static unsafe void WriteFloats(Stream stream, Tensor t)
    {
        var address = (byte*)TensorMemory.Address(t);
        long bytes = t.numel() * 4;
        for (long done = 0; done < bytes;)
        {
            int chunk = (int)Math.Min(bytes - done, 1 << 30);
            stream.Write(new ReadOnlySpan<byte>(address + done, chunk));
            done += chunk;
        }
    }
}
