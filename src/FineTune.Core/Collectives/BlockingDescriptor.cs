using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FineTune.Core.Collectives;

/// <summary>
/// Puts a connected socket's descriptor back into blocking mode. An async connect or accept (the rendezvous uses
/// them, for cancellation and deadlines) leaves the descriptor non-blocking for good, and .NET then emulates every
/// synchronous Send and Receive that would block by parking the calling thread until its epoll thread reports the
/// socket ready: a thread hand-off per wait, and one more busy thread per process beside the ring's two. On a 2-core
/// machine that cost the ring a third of its bandwidth against raw TCP on blocking sockets. A blocking descriptor
/// waits in the kernel instead; Shutdown still wakes a blocked call, so timeouts and aborts work as before.
/// </summary>
static partial class BlockingDescriptor
{
    const int GetFlags = 3, SetFlags = 4, NonBlocking = 0x800; // F_GETFL, F_SETFL, O_NONBLOCK on Linux

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    /// <summary>True when the descriptor now blocks (or already did); false off Linux or if fcntl refused (then .NET's emulation goes on working).</summary>
    public static bool TryRestore(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return false;
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        int flags = Fcntl(fd, GetFlags, 0);
        if (flags < 0) return false;
        return (flags & NonBlocking) == 0 || Fcntl(fd, SetFlags, flags & ~NonBlocking) == 0;
    }
}
