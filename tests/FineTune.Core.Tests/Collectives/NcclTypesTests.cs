using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>The NCCL declarations match nccl.h: the id's size (it crosses P/Invoke by value) and the enum values.</summary>
public class NcclTypesTests
{
    [Fact]
    public void The_unique_id_is_128_bytes_by_value()
    {
        Assert.Equal(128, Unsafe.SizeOf<NcclUniqueId>());
        Assert.Equal(128, Marshal.SizeOf<NcclUniqueId>());
        var bytes = Enumerable.Range(0, 128).Select(i => (byte)(i * 7 + 3)).ToArray();
        Assert.Equal(bytes, NcclUniqueId.From(bytes).ToArray());
        Assert.Throws<ArgumentException>(() => NcclUniqueId.From(new byte[127]));
    }

    [Fact]
    public void The_enums_have_nccl_h_values()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], Enum.GetValues<NcclResult>().Select(v => (int)v));
        Assert.Equal((0, 7), ((int)NcclResult.Success, (int)NcclResult.InProgress));
        Assert.Equal((6, 7, 8, 9), ((int)NcclDataType.Float16, (int)NcclDataType.Float32, (int)NcclDataType.Float64, (int)NcclDataType.Bfloat16));
        Assert.Equal((0, 4), ((int)NcclRedOp.Sum, (int)NcclRedOp.Avg));
        Assert.Equal(sizeof(int), Unsafe.SizeOf<NcclResult>()); // C enums are ints in the ABI
    }

    [Fact]
    public void Tensor_types_map_to_nccl_types()
    {
        Assert.Equal(NcclDataType.Float32, NcclTypes.Of(ScalarType.Float32));
        Assert.Equal(NcclDataType.Bfloat16, NcclTypes.Of(ScalarType.BFloat16));
        Assert.Null(NcclTypes.Of(ScalarType.Int64));
    }

    [Theory]
    [InlineData(22703, "2.27.3")]
    [InlineData(21000, "2.10.0")]
    [InlineData(2708, "2.7.8")]
    public void Version_codes_read_as_text(int code, string text) => Assert.Equal(text, NcclTypes.VersionText(code));
}
