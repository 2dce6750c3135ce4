using System.ComponentModel;
using System.Diagnostics;

namespace FineTune.Core.Torch;

/// <summary>
/// FINETUNE_LIBTORCH=python: the torch/lib folder and version of the PyTorch that <c>python3 -c 'import torch'</c>
/// finds (a virtual environment's, when one is active).
/// </summary>
public static class PythonTorch
{
    const string Script = "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib')); print(torch.__version__)";

    /// <summary>Importing torch with CUDA takes seconds; a Python that hangs longer than this is refused.</summary>
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <param name="python">the interpreter (tests pass a script); default python3 on PATH</param>
    public static (string Folder, string Version) Find(string python = "python3")
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw Refused($"cannot run {python} ({e.Message})");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Limit))
            {
                process.Kill(entireProcessTree: true);
                throw Refused($"{python} -c 'import torch' did not finish in {Limit.TotalSeconds:0} s");
            }
            var lines = Lines(stdout.Result);
            if (process.ExitCode != 0 || lines.Length < 2)
                throw Refused($"{python} -c 'import torch' failed: {Lines(stderr.Result).LastOrDefault() ?? $"exit code {process.ExitCode}"}");
            return (lines[^2], lines[^1]);
        }
    }

    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static InvalidInputException Refused(string why) => new($"{LibTorchLocation.Variable}=python: {why}");
}
