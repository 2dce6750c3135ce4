using System.CommandLine;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Hub;

namespace FineTune.Cli.Commands;

/// <summary>
/// finetune submit [job options] [-f job.json|yaml] [--coordinator URL] [--api-key KEY] [--request-id ID] [--wait] [--json]:
/// queue a job on the coordinator, checked here first with the same table the coordinator uses.
/// </summary>
public static class SubmitCommand
{
    public static Command Create()
    {
        // --output names a folder on this machine for `train`; a cluster job's outputs stay on the coordinator (`finetune download`).
        var job = new JobOptions("output_dir");
        var coordinator = new CoordinatorOptions();
        var requestId = new Option<string?>("--request-id") { Description = "idempotency key: submitting again with the same id returns the first job (default: a new id per call)" };
        var wait = new Option<bool>("--wait") { Description = "follow the job until it ends; exit code 0 if it succeeded, 2 if it failed on its input (its data), 3 if it was stopped early, else 1" };
        var json = CommonOptions.Json();
        var command = new Command("submit", "Submit a fine-tuning job to the coordinator (options mirror Hugging Face TrainingArguments)");
        job.AddTo(command);
        coordinator.AddTo(command);
        command.Options.Add(requestId);
        command.Options.Add(wait);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            // Everything that can be checked here is, before any network call: a bad job exits 2 with the field named.
            job.Bind(parse).Validate();
            var options = job.OptionsMap(parse);
            var id = parse.GetValue(requestId);
            if (id is not null && string.IsNullOrWhiteSpace(id)) throw new InvalidInputException("--request-id: must not be empty");
            id ??= Guid.NewGuid().ToString("N");

            using var client = coordinator.Connect(parse);
            UploadLocalPaths(client, options);
            var submitted = client.Submit(options, id);
            if (!parse.GetValue(wait))
            {
                if (parse.GetValue(json)) Console.WriteLine(CoordinatorClient.ToJson(submitted).ToJsonString(Json.Indented));
                else
                {
                    Console.WriteLine(submitted.Id);
                    Console.Error.WriteLine($"submitted job {submitted.Id} ({submitted.State}); follow it with: finetune watch {submitted.Id}");
                }
                return Cli.Success;
            }

            Console.Error.WriteLine($"submitted job {submitted.Id} ({submitted.State})");
            var final = WatchCommand.Follow(client, submitted.Id);
            if (final is null) return Cli.Failed; // interrupted: the job keeps running
            if (parse.GetValue(json)) Console.WriteLine(CoordinatorClient.ToJson(final).ToJsonString(Json.Indented));
            else StatusCommand.PrintSummary(final);
            return StatusCommand.ExitCode(final);
        });
        return command;
    }

    /// <summary>
    /// Paths in a submission are on this machine: files and folders named by model, dataset and eval_dataset are uploaded
    /// and replaced by their coordinator:/ paths ("default", coordinator:/ paths and hub ids are sent as they are: the
    /// coordinator downloads an id; this client downloads nothing).
    /// </summary>
    internal static void UploadLocalPaths(CoordinatorClient client, Dictionary<string, string> options)
    {
        foreach (var key in new[] { "model", "dataset", "eval_dataset" })
        {
            if (!options.TryGetValue(key, out var value) || value == "default" || value.StartsWith("coordinator:/", StringComparison.Ordinal)) continue;
            if (HubInputs.IsLocalId(value)) continue; // no local path of that name: a hub id
            if (!File.Exists(value) && !Directory.Exists(value))
                throw new InvalidInputException($"--{key.Replace('_', '-')} {value}: no such file or folder on this machine (a path already on the coordinator is written coordinator:/...)");
            Console.Error.WriteLine($"uploading {value} ...");
            options[key] = client.Upload(Path.GetFullPath(value));
        }
    }
}
