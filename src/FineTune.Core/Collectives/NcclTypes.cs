using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// ncclUniqueId: 128 opaque bytes that name one communicator. It must cross P/Invoke as this struct by value
/// (ncclCommInitRank takes the C struct by value); a byte[] parameter would pass a pointer and the id arrives corrupted.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Bytes)]
public unsafe struct NcclUniqueId
{
    public const int Bytes = 128;
    fixed byte internalBytes[Bytes];

    /// <summary>The id's bytes, to send to the other ranks.</summary>
    public readonly byte[] ToArray()
    {
        var copy = new byte[Bytes];
        fixed (byte* p = internalBytes) new ReadOnlySpan<byte>(p, Bytes).CopyTo(copy);
        return copy;
    }

    /// <summary>The id another rank sent as <see cref="ToArray"/>.</summary>
    public static NcclUniqueId From(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Bytes) throw new ArgumentException($"An NCCL unique id has {Bytes} bytes, got {bytes.Length}.", nameof(bytes));
        var id = new NcclUniqueId();
        bytes.CopyTo(new Span<byte>(id.internalBytes, Bytes));
        return id;
    }
}

/// <summary>ncclResult_t (nccl.h).</summary>
public enum NcclResult
{
    Success = 0,
    UnhandledCudaError = 1,
    SystemError = 2,
    InternalError = 3,
    InvalidArgument = 4,
    InvalidUsage = 5,
    RemoteError = 6,
    InProgress = 7,
}

/// <summary>ncclDataType_t (nccl.h).</summary>
public enum NcclDataType
{
    Int8 = 0,
    Uint8 = 1,
    Int32 = 2,
    Uint32 = 3,
    Int64 = 4,
    Uint64 = 5,
    Float16 = 6,
    Float32 = 7,
    Float64 = 8,
    Bfloat16 = 9,
}

/// <summary>ncclRedOp_t (nccl.h); Avg needs NCCL 2.10.</summary>
public enum NcclRedOp
{
    Sum = 0,
    Prod = 1,
    Max = 2,
    Min = 3,
    Avg = 4,
}

static class NcclTypes
{
    /// <summary>ncclGetVersion's code for 2.10.0 (major*10000 + minor*100 + patch since 2.9), the first with ncclAvg.</summary>
    public const int FirstWithAvg = 21000;

    /// <summary>The NCCL type of a tensor's elements, or null for a type the gradients never have.</summary>
    public static NcclDataType? Of(ScalarType type) => type switch
    {
        ScalarType.Float32 => NcclDataType.Float32,
        ScalarType.BFloat16 => NcclDataType.Bfloat16,
        ScalarType.Float16 => NcclDataType.Float16,
        ScalarType.Float64 => NcclDataType.Float64,
        _ => null,
    };

    /// <summary>"2.27.3" from ncclGetVersion's code (1000s-based before 2.9: 2708 is 2.7.8).</summary>
    public static string VersionText(int code) => code >= 20900
        ? $"{code / 10000}.{code / 100 % 100}.{code % 100}"
        : $"{code / 1000}.{code / 100 % 10}.{code % 100}";
}
