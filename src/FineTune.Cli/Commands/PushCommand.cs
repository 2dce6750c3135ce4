using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Core;
using FineTune.Core.Hub;

namespace FineTune.Cli.Commands;

/// <summary>
/// finetune push FOLDER --repo ORG/NAME [--private] [--revision R] [--json]: any model folder to the Hugging Face Hub
/// (its checkpoint folders left out), with HF_TOKEN. finetune push --job JOB_ID: the coordinator pushes a cluster job's
/// output again (PushJob); a sweep's id pushes the sweep's output (its best trial's job's output, with the sweep's report).
/// </summary>
public static class PushCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo?>("FOLDER") { Description = "the model folder to push (a train output folder, a downloaded job)", Arity = ArgumentArity.ZeroOrOne };
        var repo = new Option<string?>("--repo") { Description = "ORG/NAME, or NAME in the token's namespace" };
        var isPrivate = new Option<bool>("--private") { Description = "create the repo private" };
        var revision = new Option<string?>("--revision") { Description = "the branch to push to (default main; created when missing)" };
        var job = new Option<string?>("--job") { Description = "a cluster job or sweep: the coordinator pushes its output again, with its own token (a sweep's: its best trial's model and the sweep's report)" };
        var coordinator = new CoordinatorOptions();
        var json = CommonOptions.Json();
        var command = new Command("push", "Publish a model folder (or a cluster job's output) to the Hugging Face Hub") { folder, repo, isPrivate, revision, job, json };
        coordinator.AddTo(command);
        command.Validators.Add(result =>
        {
            bool hasJob = result.GetValue(job) is not null, hasFolder = result.GetValue(folder) is not null;
            if (hasJob == hasFolder) result.AddError("give either FOLDER (with --repo) or --job JOB_ID");
            if (hasFolder && result.GetValue(repo) is null) result.AddError("--repo is required with FOLDER");
        });
        command.SetAction(parse =>
        {
            if (parse.GetValue(job) is { } jobId)
            {
                using var cluster = coordinator.Connect(parse);
                var pushed = cluster.Push(jobId);
                var of = pushed.Id != jobId && pushed.SweepId == jobId ? $" (the best trial of sweep {jobId})" : "";
                if (parse.GetValue(json)) Console.WriteLine(CoordinatorClient.ToJson(pushed).ToJsonString(Json.Indented));
                else Console.WriteLine($"job {pushed.Id}{of}: push {pushed.Push.State}{(pushed.Push.Error is { Length: > 0 } e ? $": {e}" : "")}");
                return pushed.Push.State == "failed" ? Cli.Failed : Cli.Success;
            }
            var dir = parse.GetValue(folder)!.FullName;
            if (!Directory.Exists(dir)) throw new InvalidInputException($"FOLDER {dir}: no such folder");
            var branch = parse.GetValue(revision) is { } r ? HubRevision.Check(r, "--revision") : HubRevision.Default;
            var files = HubPush.OutputFiles(dir);
            if (files.Count == 0) throw new InvalidInputException($"FOLDER {dir}: nothing to push (it is empty)");
            using var client = new HubClient(HubSettings.FromEnvironment());
            var target = HubPush.RepoAsync(client, parse.GetValue(repo)!).GetAwaiter().GetResult();
            var result = client.PushAsync(target, files, branch, parse.GetValue(isPrivate), $"Upload {Path.GetFileName(dir)} with finetune push").GetAwaiter().GetResult();
            if (parse.GetValue(json))
                Console.WriteLine(new JsonObject
                {
                    ["repo"] = result.Repo.Id,
                    ["revision"] = result.Revision,
                    ["commit"] = result.Commit,
                    ["files"] = result.Files,
                    ["lfs_uploaded"] = result.LfsUploaded,
                    ["bytes_uploaded"] = result.BytesUploaded,
                }.ToJsonString(Json.Indented));
            else Console.WriteLine($"pushed {dir} to {result.Repo.Id}@{result.Revision}: commit {result.Commit} ({result.Files} files, {result.LfsUploaded} LFS objects uploaded)");
            return Cli.Success;
        });
        return command;
    }
}
