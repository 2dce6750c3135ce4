using System.Diagnostics;

/// <summary>
/// GC stress for any .NET program of this project, with no change to the program: started with
/// DOTNET_STARTUP_HOOKS=path/to/FineTune.GcStress.dll, a background thread collects garbage and runs finalizers as
/// often as it can. A native object (TorchSharp Tensor or Scalar) whose managed owner is unreachable while libtorch
/// still uses it is then freed by the finalizer thread under libtorch's feet within seconds instead of once a day.
/// FINETUNE_GC_STRESS_THREADS (default 1) sets how many threads collect.
/// </summary>
internal static class StartupHook
{
    public static long Collections;

    public static void Initialize()
    {
        int threads = int.TryParse(Environment.GetEnvironmentVariable("FINETUNE_GC_STRESS_THREADS"), out var n) && n > 0 ? n : 1;
        for (int i = 0; i < threads; i++)
            new Thread(Collect) { IsBackground = true, Name = $"gc-stress-{i}" }.Start();
        Console.Error.WriteLine($"gc-stress: {threads} thread(s) collecting and finalizing continuously (pid {Environment.ProcessId})");
    }

    static void Collect()
    {
        while (true)
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            Interlocked.Increment(ref Collections);
        }
    }
}
