using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// NCCL through P/Invoke (TorchSharp binds none of torch.distributed). The library is loaded by its versioned name:
/// the nvidia-nccl wheels and most distributions ship libnccl.so.2 without an unversioned libnccl.so.
/// </summary>
sealed partial class NcclLibrary : INcclApi
{
    const string Name = "libnccl.so.2";

    public static readonly NcclLibrary Shared = new();

    readonly Lazy<(string? Problem, int Version)> loaded = new(Load);

    NcclLibrary() { }

    public string? Problem() => loaded.Value.Problem;

    public int Version() => loaded.Value.Version;

    static (string?, int) Load()
    {
        if (!OperatingSystem.IsLinux()) return ("NCCL runs on Linux only", 0);
        if (!NativeLibrary.TryLoad(Name, typeof(NcclLibrary).Assembly, null, out _))
            return ($"{Name} cannot be loaded (install NCCL, e.g. the nvidia-nccl wheel, and put its lib folder on LD_LIBRARY_PATH)", 0);
        try
        {
            int code = 0;
            var result = ncclGetVersion(ref code);
            if (result != NcclResult.Success) return ($"{Name}: ncclGetVersion failed ({result})", 0);
            // ncclCommGetAsyncError (the watchdog's poll) arrived in 2.4.
            if (code < 2400) return ($"{Name} is NCCL {NcclTypes.VersionText(code)}; 2.4 or later is needed", code);
            return (null, code);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return ($"{Name}: {e.Message}", 0);
        }
    }

    public void SetDevice(int index) => CudaRuntime.SetDevice(index);

    public NcclResult GetUniqueId(out NcclUniqueId id) => ncclGetUniqueId(out id);

    public NcclResult CommInitRank(out IntPtr comm, int nranks, NcclUniqueId id, int rank) => ncclCommInitRank(out comm, nranks, id, rank);

    public NcclResult AllReduce(IntPtr send, IntPtr recv, nuint count, NcclDataType type, NcclRedOp op, IntPtr comm, IntPtr stream) =>
        ncclAllReduce(send, recv, count, type, op, comm, stream);

    public NcclResult Broadcast(IntPtr send, IntPtr recv, nuint count, NcclDataType type, int root, IntPtr comm, IntPtr stream) =>
        ncclBroadcast(send, recv, count, type, root, comm, stream);

    public NcclResult CommGetAsyncError(IntPtr comm, out NcclResult asyncError) => ncclCommGetAsyncError(comm, out asyncError);

    public NcclResult CommAbort(IntPtr comm) => ncclCommAbort(comm);

    public string ErrorString(NcclResult result) => Marshal.PtrToStringUTF8(ncclGetErrorString(result)) ?? result.ToString();

    public void Synchronize(Device device) => cuda.synchronize(device);

    [LibraryImport(Name)]
    private static partial NcclResult ncclGetVersion(ref int version);

    [LibraryImport(Name)]
    private static partial NcclResult ncclGetUniqueId(out NcclUniqueId id);

    [LibraryImport(Name)]
    private static partial NcclResult ncclCommInitRank(out IntPtr comm, int nranks, NcclUniqueId id, int rank);

    [LibraryImport(Name)]
    private static partial NcclResult ncclAllReduce(IntPtr send, IntPtr recv, nuint count, NcclDataType type, NcclRedOp op, IntPtr comm, IntPtr stream);

    [LibraryImport(Name)]
    private static partial NcclResult ncclBroadcast(IntPtr send, IntPtr recv, nuint count, NcclDataType type, int root, IntPtr comm, IntPtr stream);

    [LibraryImport(Name)]
    private static partial NcclResult ncclCommGetAsyncError(IntPtr comm, out NcclResult asyncError);

    [LibraryImport(Name)]
    private static partial NcclResult ncclCommAbort(IntPtr comm);

    [LibraryImport(Name)]
    private static partial IntPtr ncclGetErrorString(NcclResult result);
}
