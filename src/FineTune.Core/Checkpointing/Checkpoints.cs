using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Modeling;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;

namespace FineTune.Core.Checkpointing;

/// <summary>
/// checkpoint-STEP folders: a complete Hugging Face model folder plus optimizer.safetensors, trainer_state.json (with
/// our resume data) and training_args.json. Written into a temporary sibling and renamed into place (AtomicFolder), so a
/// crash while saving never leaves a folder that looks complete but is not.
/// </summary>
public static class Checkpoints
{
    public const string Prefix = "checkpoint-";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string StateFile = "trainer_state.json";
    public const string ArgsFile = "training_args.json";
    /// <summary>Our resume data (position, RNG, running sums). Kept out of trainer_state.json, which transformers
    /// loads with TrainerState(**json) and which would refuse an unknown key.</summary>
    public const string ResumeFile = "finetune_state.json";

    public static string Save(string outputDir, int step, SequenceClassifier model, BertTokenizer tokenizer, AdamW optimizer, TrainerState state, JsonObject resume, TrainingArguments args)
    {
        var target = Path.Combine(outputDir, Prefix + step.ToString(CultureInfo.InvariantCulture));
        // Replaced whole: the same step saved again after a resume.
        return AtomicFolder.Replace(target, temp =>
        {
            ModelFolder.Save(model, tokenizer, temp);
            SafeTensors.Write(Path.Combine(temp, OptimizerFile), optimizer.State());
            File.WriteAllText(Path.Combine(temp, ArgsFile), JsonSerializer.Serialize(args, JsonOptions));
            File.WriteAllText(Path.Combine(temp, ResumeFile), resume.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            state.Save(Path.Combine(temp, StateFile)); // last: its presence marks a complete checkpoint
        });
    }

    /// <summary>The complete checkpoints in a folder, oldest step first.</summary>
    public static IReadOnlyList<(int Step, string Path)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return [];
        return Directory.GetDirectories(outputDir, Prefix + "*")
            .Select(d => (Step: StepOf(Path.GetFileName(d)), Path: d))
            .Where(c => c.Step is not null && File.Exists(Path.Combine(c.Path, StateFile)))
            .OrderBy(c => c.Step)
            .Select(c => (c.Step!.Value, c.Path))
            .ToList();
    }

    /// <summary>The step N of a checkpoint folder's name "checkpoint-N"; null for any other name.</summary>
    public static int? StepOf(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;

    /// <summary>--resume-from-checkpoint: a folder, or "latest" (the newest complete checkpoint in the output folder).</summary>
    public static string Resolve(string resume, string outputDir)
    {
        if (resume == "latest")
        {
            var all = List(outputDir);
            return all.Count > 0 ? all[^1].Path : throw new InvalidInputException($"--resume-from-checkpoint latest: no complete checkpoint in {outputDir}");
        }
        var dir = Path.GetFullPath(resume);
        if (new[] { StateFile, OptimizerFile, ResumeFile }.FirstOrDefault(f => !File.Exists(Path.Combine(dir, f))) is string missing)
            throw new InvalidInputException($"--resume-from-checkpoint {resume}: not a complete checkpoint ({missing} missing)");
        return dir;
    }

    /// <summary>
    /// save_total_limit as Hugging Face's Trainer rotates: delete the oldest checkpoints beyond the limit, never the best
    /// one, so the best and the newest (limit - 1) others are kept; with a limit of 1 and an older best, the newest is
    /// kept too (two in all), so the run can still resume from where it is.
    /// </summary>
    public static void Rotate(string outputDir, int limit, string? best)
    {
        var all = List(outputDir);
        bool IsBest(string path) => best is not null && Path.GetFullPath(path) == Path.GetFullPath(best);
        if (limit == 1 && best is not null && all.Count > 0 && !IsBest(all[^1].Path)) limit = 2;
        int excess = all.Count - limit;
        foreach (var (_, path) in all)
        {
            if (excess <= 0) break;
            if (IsBest(path)) continue;
            AtomicFolder.Delete(path); // a crash mid-delete must not leave a folder that looks like a checkpoint
            excess--;
        }
        // Leftovers of an interrupted save (AtomicFolder's hidden temporaries, and the older visible ones).
        foreach (var stale in Directory.GetDirectories(outputDir, Prefix + "*.tmp-*").Concat(Directory.GetDirectories(outputDir, "." + Prefix + "*.tmp-*")))
            Directory.Delete(stale, recursive: true);
    }

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };
}
