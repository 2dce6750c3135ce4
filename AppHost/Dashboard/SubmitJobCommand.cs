#pragma warning disable ASPIREINTERACTION001 // the interaction service (dialogs) is experimental in Aspire 13.6
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.AppHost.Dashboard;

/// <summary>
/// "Submit job" on the coordinator's row: a dialog with the common options, each labelled, defaulted and (where the
/// option takes one of a few values) offered as the coordinator's DescribeOptions says, so the dialog has no copy of
/// the options table. Validation is the coordinator's: its INVALID_ARGUMENT is shown on the input it names. Model and
/// dataset take `default`, `coordinator:/...` paths, hub ids, or local paths, uploaded first as `finetune submit` does.
/// </summary>
public static class SubmitJobCommand
{
    static readonly string[] Keys = ["model", "dataset", "num_train_epochs", "learning_rate", "per_device_train_batch_size", "workers"];

    public static IResourceBuilder<T> WithSubmitJobCommand<T>(this IResourceBuilder<T> coordinator, int workers) where T : IResource =>
        coordinator.WithCommand("submit-job", "Submit job", context => Submit(context, workers), new CommandOptions
        {
            UpdateState = c => c.ResourceSnapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            IconName = "Add",
            IsHighlighted = true,
        });

    static async Task<ExecuteCommandResult> Submit(ExecuteCommandContext context, int workers)
    {
        var client = context.Services.GetRequiredService<JobsClient>();
        var interaction = context.Services.GetRequiredService<IInteractionService>();
        var described = (await client.Jobs.DescribeOptionsAsync(new DescribeOptionsRequest(), cancellationToken: context.CancellationToken)).Options.ToDictionary(o => o.Key);
        var inputs = Keys.Select(key => Input(described[key], key == "workers" ? workers.ToString() : null)).ToList();
        Job? submitted = null;
        var result = await interaction.PromptInputsAsync("Submit a fine-tuning job", "The coordinator checks the job before it is queued; other options keep their defaults.", inputs,
            new InputsDialogInteractionOptions
            {
                PrimaryButtonText = "Submit",
                ValidationCallback = async validation =>
                {
                    try
                    {
                        submitted = await SubmitAsync(client, validation.Inputs.ToDictionary(i => i.Name, i => i.Value ?? ""), validation.CancellationToken);
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
                    {
                        // "--learning-rate (learning_rate): must be greater than 0": shown on the input it names.
                        var input = validation.Inputs.FirstOrDefault(i => e.Status.Detail.Contains($"({i.Name})", StringComparison.Ordinal)) ?? validation.Inputs[0];
                        validation.AddValidationError(input, e.Status.Detail);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        validation.AddValidationError(validation.Inputs[0], e.Message);
                    }
                },
            }, context.CancellationToken);
        if (result.Canceled || submitted is null) return CommandResults.Canceled();
        return CommandResults.Success($"submitted job {submitted.Id} ({submitted.State})");
    }

    static InteractionInput Input(OptionDescription option, string? value) => new()
    {
        Name = option.Key,
        Label = $"{option.Flag} ({option.Key})",
        Description = option.Help,
        InputType = option.Choices.Count > 0 ? InputType.Choice : option.Kind is "integer" or "optional integer" ? InputType.Number : InputType.Text,
        Options = option.Choices.Count > 0 ? [.. option.Choices.Select(c => KeyValuePair.Create(c, c))] : null,
        Value = value ?? (option.DefaultValue == "null" ? "" : option.DefaultValue),
        Required = option.Key is "model" or "dataset",
    };

    /// <summary>Submits the options (empty ones left out; local model and dataset paths uploaded first).</summary>
    static async Task<Job> SubmitAsync(JobsClient client, Dictionary<string, string> values, CancellationToken cancel)
    {
        var request = new SubmitJobRequest { RequestId = Guid.NewGuid().ToString("N"), ProtocolVersion = Versions.Protocol, ProductVersion = Versions.Product };
        foreach (var (key, value) in values.Where(v => v.Value.Length > 0))
            request.Options[key] = key is "model" or "dataset" && (File.Exists(value) || Directory.Exists(value))
                ? await Uploads.UploadAsync(Path.GetFullPath(value), file => Uploads.SendAsync(client.Jobs, file, DateTime.UtcNow.AddMinutes(5), cancel))
                : value;
        return await client.Jobs.SubmitAsync(request, cancellationToken: cancel);
    }
}
