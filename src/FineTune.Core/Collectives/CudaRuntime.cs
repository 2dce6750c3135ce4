using System.Runtime.InteropServices;

namespace FineTune.Core.Collectives;

/// <summary>
/// cudaSetDevice, which TorchSharp does not expose and ncclCommInitRank needs (it binds the communicator to the calling
/// thread's current device). Found in the CUDA runtime libtorch_cuda already loaded, by the names it may carry, else in
/// c10_cuda's own wrapper.
/// </summary>
static unsafe class CudaRuntime
{
    static readonly string[] Runtimes = ["libcudart.so.13", "libcudart.so.12", "libcudart.so", "cudart64_12.dll"];
    static readonly Lazy<IntPtr> cudaSetDevice = new(() => Find(Runtimes, "cudaSetDevice"));
    // c10::cuda::SetDevice(DeviceIndex, bool force) -> cudaError_t, and the older one-argument form.
    static readonly Lazy<IntPtr> c10SetDevice = new(() => Find(["libc10_cuda.so", "c10_cuda.dll"], "_ZN3c104cuda9SetDeviceEab"));
    static readonly Lazy<IntPtr> c10SetDeviceOld = new(() => Find(["libc10_cuda.so", "c10_cuda.dll"], "_ZN3c104cuda9SetDeviceEa"));

    public static void SetDevice(int index)
    {
        int error;
        if (cudaSetDevice.Value != IntPtr.Zero) error = ((delegate* unmanaged<int, int>)cudaSetDevice.Value)(index);
        else if (c10SetDevice.Value != IntPtr.Zero) error = ((delegate* unmanaged<sbyte, byte, int>)c10SetDevice.Value)((sbyte)index, 0);
        else if (c10SetDeviceOld.Value != IntPtr.Zero) error = ((delegate* unmanaged<sbyte, int>)c10SetDeviceOld.Value)((sbyte)index);
        else if (index == 0) return; // device 0 is every thread's current device unless set otherwise
        else throw new InvalidOperationException($"cannot select CUDA device {index}: neither the CUDA runtime ({string.Join(", ", Runtimes)}) nor libc10_cuda's SetDevice was found in this process");
        if (error != 0) throw new InvalidOperationException($"cudaSetDevice({index}) failed with CUDA error {error}");
    }

    static IntPtr Find(string[] libraries, string symbol)
    {
        foreach (var name in libraries)
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, symbol, out var address)) return address;
        return IntPtr.Zero;
    }
}
