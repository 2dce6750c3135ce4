using FineTune.Coordinator.Jobs;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Sweeps;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// SubmitSweep's checks, all at once, before anything is stored: the request's sizes, a base given inline (a
/// coordinator reads no client file), the sweep file (SweepSpec: every key, range and the trials' base), the base's
/// paths confined as a job's (JobPaths), the base job checked as Submit checks a job (model folder, dataset's first
/// rows, push_to_hub's hub_model_id and the coordinator's hub access and token), the coordinator's workers
/// (CheckWorkers, --max-workers). Each refusal is one line naming the key.
/// </summary>
public static class SweepSubmission
{
    public const int MaxTextLength = 64 * 1024;
    static readonly string[] PathKeys = ["model", "dataset", "eval_dataset"];

    public static SweepRecord Check(string name, string text, string requestId, CoordinatorOptions coordinator, long nowUnixMs)
    {
        if (requestId.Length > JobSpec.MaxRequestIdLength) throw new InvalidInputException($"request_id: longer than {JobSpec.MaxRequestIdLength} characters");
        if (text.Length > MaxTextLength) throw new InvalidInputException($"text: the sweep file is longer than {MaxTextLength} characters");
        if (name.Length == 0 || name.Length > 200 || name.Contains('/') || name.Contains('\\'))
            throw new InvalidInputException("name: the sweep file's name (e.g. sweep.yaml) is required, without folders, at most 200 characters");
        var ext = Path.GetExtension(name).ToLowerInvariant();
        if (ext is not (".yaml" or ".yml" or ".json")) throw new InvalidInputException($"name: {name}: unsupported sweep file type '{ext}' (use .yaml, .yml or .json)");
        var root = SpecNode.Load(text, name);
        if (root is { Kind: SpecNode.NodeKind.Mapping } && root.Entries.FirstOrDefault(e => e.Key == "base").Value is { Kind: SpecNode.NodeKind.Scalar } file)
            throw new InvalidInputException($"{name}: {file.At}base: '{file.Text}' is a file name: send the base job's options inline (the coordinator reads no client file; `finetune sweep submit` inlines it)");
        var spec = SweepSpec.Parse(text, name);
        var paths = new Dictionary<string, string>();
        foreach (var key in PathKeys)
            if (Value(spec.BaseArguments, key) is { } value && InBase(name, () => JobSpec.Resolve(value, coordinator, key)) is var resolved && resolved != value)
                paths[key] = resolved;
        var sweep = new SweepRecord($"sweep-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}", name, text, spec, nowUnixMs, requestId, paths);
        var local = sweep.Local(spec.BaseArguments);
        spec.CheckWorkers(coordinator.MaxWorkers);
        // A base that pushes (the sweep's output, once it succeeded: SweepWork.PushBest) is refused as a job that pushes is.
        InBase(name, () => JobSpec.CheckCluster(local with { Workers = spec.WorkersPerTrial }, coordinator));
        InBase(name, () => JobSpec.Check(local));
        return sweep;
    }

    static void InBase(string name, Action check) => InBase(name, () => { check(); return 0; });

    // The job checks' messages name the option; in a sweep they also say it is the base's.
    static T InBase<T>(string name, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{name}: base: {e.Message}", e);
        }
    }

    static string? Value(TrainingArguments args, string key) => key switch
    {
        "model" => args.Model,
        "dataset" => args.Dataset,
        _ => args.EvalDataset,
    };
}
