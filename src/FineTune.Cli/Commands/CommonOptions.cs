using System.CommandLine;

namespace FineTune.Cli.Commands;

/// <summary>Options that mean the same in every command.</summary>
public static class CommonOptions
{
    public static Option<string> Model() => new("--model")
    {
        Description = "Hugging Face model folder, hub id (org/name), or 'default' (the bundled all-MiniLM-L6-v2)",
        DefaultValueFactory = _ => "default",
    };

    public static Option<string?> ModelRevision() => new("--model-revision") { Description = "branch, tag or commit of a hub model (default main)" };

    public static Option<bool> Json() => new("--json") { Description = "print JSON on stdout (progress and logs go to stderr)" };

    /// <summary>Where the model runs; resolved by DeviceChoice (auto: a GPU when this machine has one, as Hugging Face does).</summary>
    public static Option<string> Device() => new("--device")
    {
        Description = "auto, cpu, cuda or cuda:N (default auto: a GPU when there is one, else the CPU)",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>push_to_hub's token for this process (train, sweep): held in memory, never written.</summary>
    public static Option<string?> HubToken() => new("--hub-token")
    {
        Description = "a Hugging Face token for --push-to-hub (else HF_TOKEN or $HF_HOME/token); used in memory, never written",
    };

    public static Option<int?> Threads() => new("--threads") { Description = "CPU threads for TorchSharp (default: all cores)" };
}
