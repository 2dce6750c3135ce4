using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Torch;

/// <summary>
/// Zero-copy access to a tensor's memory: the ring's sockets read and write the tensor's own floats, so a 91 MB
/// gradient buffer is never copied into managed arrays (data&lt;float&gt;().ToArray() alone would cost ~70 ms), and
/// NCCL gets the device pointer of a CUDA tensor.
/// </summary>
static unsafe class TensorMemory
{
    // LibTorchSharp's export behind TorchSharp's own data access; includes a view's storage offset.
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The address of the first element (a device pointer for a CUDA tensor); includes a view's storage offset.</summary>
    public static IntPtr Address(Tensor t) => THSTensor_data(t.Handle);

    /// <summary>The first float of <paramref name="flat"/>, which must be a contiguous float32 CPU tensor.</summary>
    public static float* Floats(Tensor flat, string operation, out long count)
    {
        ArgumentNullException.ThrowIfNull(flat);
        if (flat.dtype != ScalarType.Float32)
            throw new ArgumentException($"{operation} needs a float32 tensor; got {flat.dtype}.", nameof(flat));
        if (flat.device_type != DeviceType.CPU)
            throw new ArgumentException($"{operation} on the TCP ring reads host memory; got a tensor on {flat.device} (see HostStaging).", nameof(flat));
        if (!flat.is_contiguous())
            throw new ArgumentException($"{operation} needs a contiguous tensor (the ring streams its memory as one block); call .contiguous() and copy the result back.", nameof(flat));
        count = flat.numel();
        return count == 0 ? null : (float*)THSTensor_data(flat.Handle);
    }

    /// <summary>dst[i] += src[i], vectorised: the reduce-scatter's only arithmetic.</summary>
    public static void AddInto(float* dst, float* src, int count)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var sum = Unsafe.ReadUnaligned<Vector<float>>(dst + i) + Unsafe.ReadUnaligned<Vector<float>>(src + i);
                Unsafe.WriteUnaligned(dst + i, sum);
            }
        }
        for (; i < count; i++) dst[i] += src[i];
    }
}
