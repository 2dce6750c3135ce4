using FineTune.Core.Checkpointing;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Training;

/// <summary>
/// save_total_limit keeps exactly what Hugging Face's Trainer._rotate_checkpoints keeps: the best checkpoint (moved
/// just before the newest in its sorted list, so never deleted) and the newest others up to the limit; a limit of 1
/// with an older best keeps the newest as well.
/// </summary>
public class CheckpointRotationTests
{
    [Theory]
    [InlineData(new[] { 2, 4, 6, 8 }, 2, null, new[] { 6, 8 })]        // no best tracked: the newest
    [InlineData(new[] { 2, 4, 6, 8 }, 2, 8, new[] { 6, 8 })]           // the best is the newest
    [InlineData(new[] { 2, 4, 6, 8 }, 2, 2, new[] { 2, 8 })]           // an old best and the newest
    [InlineData(new[] { 2, 4, 6, 8, 10 }, 3, 4, new[] { 4, 8, 10 })]   // the best and the two newest others
    [InlineData(new[] { 2, 4, 6, 8 }, 3, 8, new[] { 4, 6, 8 })]
    [InlineData(new[] { 2, 4 }, 1, 2, new[] { 2, 4 })]                 // limit 1, older best: two kept
    [InlineData(new[] { 2, 4 }, 1, 4, new[] { 4 })]
    [InlineData(new[] { 2, 4, 6 }, 4, 2, new[] { 2, 4, 6 })]           // under the limit: nothing deleted
    public void Rotation_keeps_the_limit_the_best_and_the_newest(int[] saved, int limit, int? best, int[] kept)
    {
        var dir = TinyModels.TempDir();
        foreach (var step in saved)
        {
            var checkpoint = Path.Combine(dir, Checkpoints.Prefix + step);
            Directory.CreateDirectory(checkpoint);
            File.WriteAllText(Path.Combine(checkpoint, Checkpoints.StateFile), "{}");
        }
        Directory.CreateDirectory(Path.Combine(dir, Checkpoints.Prefix + "99.tmp-0123")); // an interrupted save's leftover
        Checkpoints.Rotate(dir, limit, best is int b ? Path.Combine(dir, Checkpoints.Prefix + b) : null);
        Assert.Equal(kept, Checkpoints.List(dir).Select(c => c.Step));
        Assert.Equal(kept.Length, Directory.GetDirectories(dir).Length); // deleted whole, leftovers too
    }
}
