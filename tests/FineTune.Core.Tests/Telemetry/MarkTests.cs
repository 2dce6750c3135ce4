using System.Diagnostics;
using FineTune.Core.Telemetry;

namespace FineTune.Core.Tests.Telemetry;

/// <summary>The "started" marks that make a running job's trace show its ranks and epochs (docs/telemetry.md).</summary>
public class MarkTests
{
    [Fact]
    public void A_mark_is_an_ended_zero_length_child_with_the_parents_job_attributes_and_the_parent_stays_current()
    {
        var ended = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == FineTuneTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (ended) ended.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);
        var jobId = $"job-{Guid.NewGuid():N}"; // other tests' spans may end meanwhile: find ours by it

        using (var epoch = FineTuneTelemetry.Source.StartActivity("epoch")!)
        {
            epoch.SetTag(FineTuneTelemetry.JobId, jobId).SetTag("finetune.epoch", 2).SetTag("other", "x");
            FineTuneTelemetry.Mark("epoch 2 started", "finetune.step", 51);
            Assert.Same(epoch, Activity.Current);

            Activity mark;
            lock (ended) mark = Assert.Single(ended, a => a.GetTagItem(FineTuneTelemetry.JobId) as string == jobId);
            Assert.Equal("epoch 2 started", mark.DisplayName);
            Assert.Equal(epoch.SpanId, mark.ParentSpanId);
            Assert.Equal(2, mark.GetTagItem("finetune.epoch"));
            Assert.Equal(51, mark.GetTagItem("finetune.step"));
            Assert.Null(mark.GetTagItem("other")); // only the finetune.* attributes travel
            Assert.True(mark.Duration < TimeSpan.FromSeconds(1));
        }
    }
}
