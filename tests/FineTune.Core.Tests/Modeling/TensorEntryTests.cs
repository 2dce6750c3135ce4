using FineTune.Core.Modeling;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Modeling;

[Collection(FineTune.Core.Tests.Training.TorchGlobalState.Name)]
public class TensorEntryTests
{
    [Fact]
    public void Live_tensors_are_written_from_their_memory_with_the_values_an_array_would_write()
    {
        var path = Path.Combine(TinyModels.TempDir(), "state.safetensors");
        manual_seed(6);
        using var flat = randn(3 * 5 + 7); // two views at offsets, as AdamW's state slots are
        using var half = randn(4, 2).to_type(ScalarType.BFloat16); // bf16 weights are written as F32
        SafeTensors.Write(path,
        [
            TensorEntry.Of("a", [3, 5], () => flat.narrow(0, 0, 15).view(3, 5)),
            TensorEntry.Of("b", [7], () => flat.narrow(0, 15, 7)),
            TensorEntry.Of("c", [4, 2], () => half),
            TensorEntry.Of(new NamedTensor("d", [2], [1.5f, -2f])),
        ]);
        var read = SafeTensors.Read(path);
        Assert.Equal(flat.narrow(0, 0, 15).data<float>().ToArray(), read["a"].Data);
        Assert.Equal([3L, 5], read["a"].Shape);
        Assert.Equal(flat.narrow(0, 15, 7).data<float>().ToArray(), read["b"].Data);
        Assert.Equal(half.to_type(ScalarType.Float32).data<float>().ToArray(), read["c"].Data);
        Assert.Equal([1.5f, -2f], read["d"].Data);
    }

    [Fact]
    public void A_tensor_that_does_not_fill_its_shape_is_an_error_naming_it()
    {
        var path = Path.Combine(TinyModels.TempDir(), "state.safetensors");
        using var t = zeros(6);
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [TensorEntry.Of("exp_avg.x", [2, 4], () => t)]));
        Assert.Contains("'exp_avg.x' wrote 24 bytes but shape [2, 4] x F32 needs 32", e.Message);
        Assert.Throws<ArgumentException>(() => TensorEntry.Of(new NamedTensor("w", [3], [1f])));
    }
}
