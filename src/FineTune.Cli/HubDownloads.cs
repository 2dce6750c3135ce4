using System.Diagnostics;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Hub;

namespace FineTune.Cli;

/// <summary>
/// The hub ids of a command run here (train, evaluate, predict, tokenize) brought into the shared cache with this
/// process's hub settings (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE), progress on stderr so --json keeps
/// stdout clean. A bad id or a refusal is an InvalidInputException (exit code 2); an unreachable hub an IOException (1).
/// </summary>
public static class HubDownloads
{
    /// <summary>The job's inputs, downloaded where they are ids (nothing is read from the environment when none is).</summary>
    public static HubInputs Resolve(TrainingArguments args, CancellationToken cancel = default)
    {
        if (!HubInputs.Needed(args, HubInputs.IsLocalId)) return HubInputs.None;
        return Run(hub => HubInputs.ResolveAsync(args, hub, HubInputs.IsLocalId, cancel));
    }

    /// <summary>A model folder for --model: the value itself, or the snapshot of the hub model it names.</summary>
    public static string? Model(string? model, string? revision)
    {
        if (!HubInputs.IsLocalId(model)) return revision is null ? model : throw NotAnId("--model-revision", model);
        var repo = HubRepo.Parse(HubRepo.Model, model!, "--model");
        return Run(hub => hub.ModelAsync(repo, revision ?? HubRevision.Default)).Folder;
    }

    /// <summary>A dataset for evaluate's --dataset: the value itself, or the snapshot holding the hub dataset's test (else validation) split.</summary>
    public static string EvalDataset(string dataset, string? revision, string? config, string labelColumn)
    {
        if (!HubInputs.IsLocalId(dataset)) return revision is null ? dataset : throw NotAnId("--dataset-revision", dataset);
        var repo = HubRepo.Parse(HubRepo.Dataset, dataset, "--dataset");
        return Run(hub => hub.DatasetAsync(repo, revision ?? HubRevision.Default, config, labelColumn, train: false, eval: true)).Folder;
    }

    static InvalidInputException NotAnId(string option, string? value) => new($"{option}: applies to a hub id; '{value}' is not one (a local path or 'default')");

    static T Run<T>(Func<HubSnapshots, Task<T>> work)
    {
        using var client = new HubClient(HubSettings.FromEnvironment());
        var progress = new DownloadProgress(Console.Error);
        return work(new HubSnapshots(client, progress.Report)).GetAwaiter().GetResult();
    }

    /// <summary>A line per large file on stderr, redrawn about once a second: bytes so far, total and rate.</summary>
    public sealed class DownloadProgress(TextWriter writer)
    {
        const long Large = 10 << 20;
        readonly Stopwatch clock = new();
        string? current;
        long lastShown;

        public void Report(string file, long received, long total)
        {
            if (total < Large) return;
            if (file != current) (current, lastShown) = (file, 0);
            if (received == 0 || !clock.IsRunning) clock.Restart();
            bool done = received >= total;
            if (!done && clock.ElapsedMilliseconds - lastShown < 1000) return;
            lastShown = clock.ElapsedMilliseconds;
            double rate = received / Math.Max(clock.Elapsed.TotalSeconds, 1e-3) / 1e6;
            writer.WriteLine($"downloading {file}: {received / 1e6:0.0} of {total / 1e6:0.0} MB ({rate:0.0} MB/s){(done ? ", done" : "")}");
            if (done) clock.Reset();
        }
    }
}
