using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Hub;
using FineTune.Core.Training;

namespace FineTune.Cli;

/// <summary>
/// push_to_hub for `finetune train` (and `finetune sweep`, whose trials never push: its output, DIR/best, is pushed
/// once at the end with <see cref="Finish"/>): with hub_strategy every_save, each checkpoint's model files are pushed as it is
/// saved ("Training in progress, step N"), one push at a time in the background so training does not wait; at the end
/// the output folder (model, tokenizer, card, results) is pushed ("End of training"). The token is HF_TOKEN (else
/// $HF_HOME/token) or --hub-token, held in memory only. A failed checkpoint push is a warning; the final one is an error.
/// </summary>
public sealed class HubPublisher : ITrainerObserver, IDisposable
{
    readonly HubClient client;
    readonly TrainingArguments args;
    readonly TextWriter log;
    readonly HubRepo repo;
    Task pending = Task.CompletedTask;

    HubPublisher(HubClient client, TrainingArguments args, HubRepo repo, TextWriter log) => (this.client, this.args, this.repo, this.log) = (client, args, repo, log);

    /// <summary>A publisher for the job, or null when it does not push; the repo is named (whoami) before training starts.</summary>
    public static HubPublisher? For(TrainingArguments args, string? token, TextWriter log)
    {
        if (!args.PushToHub) return null;
        var settings = HubSettings.FromEnvironment();
        var client = new HubClient(token is null ? settings : settings with { Token = token });
        try
        {
            var repo = HubPush.RepoAsync(client, HubPush.ModelId(args.HubModelId, args.OutputDir)).GetAwaiter().GetResult();
            return new HubPublisher(client, args, repo, log);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public HubRepo Repo => repo;

    public void OnSave(string checkpoint, double seconds)
    {
        if (args.HubStrategy != "every_save") return;
        var step = Path.GetFileName(checkpoint)["checkpoint-".Length..];
        var files = HubPush.CheckpointFiles(checkpoint).ToList();
        pending = pending.ContinueWith(async _ =>
        {
            try
            {
                var pushed = await client.PushAsync(repo, files, Revision, args.HubPrivateRepo, $"Training in progress, step {step}");
                lock (log) log.WriteLine($"pushed checkpoint-{step} to {repo.Id}: commit {pushed.Commit[..12]}");
            }
            catch (Exception e) when (e is InvalidInputException or IOException or HttpRequestException)
            {
                lock (log) log.WriteLine($"warning: pushing checkpoint-{step} to {repo.Id} failed: {ErrorText.FirstLine(e.Message)}");
            }
        }, TaskScheduler.Default).Unwrap();
    }

    /// <summary>After the checkpoints' pushes: the output folder, as one commit.</summary>
    public HubPushResult Finish(string outputDir)
    {
        pending.GetAwaiter().GetResult();
        var pushed = client.PushAsync(repo, HubPush.OutputFiles(outputDir), Revision, args.HubPrivateRepo, "End of training").GetAwaiter().GetResult();
        lock (log) log.WriteLine($"pushed {outputDir} to {repo.Id}@{Revision}: commit {pushed.Commit[..12]} ({pushed.Files} files, {pushed.LfsUploaded} LFS objects uploaded)");
        return pushed;
    }

    /// <summary>The push as --json shows it: <c>hub_push</c> {state, repo, revision, commit}.</summary>
    public static System.Text.Json.Nodes.JsonObject ToJson(HubPushResult pushed) =>
        new() { ["state"] = "pushed", ["repo"] = pushed.Repo.Id, ["revision"] = pushed.Revision, ["commit"] = pushed.Commit };

    string Revision => args.HubRevision ?? HubRevision.Default;

    public void Dispose() => client.Dispose();
}
