using System.Runtime.ExceptionServices;
using FineTune.Core.Collectives;
using FineTune.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// The gradient all-reduce overlapped with backward, as PyTorch's DDP does it: the flat buffer is all-reduced in
/// buckets (<see cref="BucketPlan"/>: ~25 MiB, from the end), each launched on a background thread by a
/// <see cref="BackwardHook"/> at an encoder layer's input as soon as backward has finished every gradient in it, while
/// backward goes on with the layers below. Only on the last micro-batch of an update window (earlier ones only
/// accumulate); what is left (the embeddings) goes after backward, and <see cref="Finish"/> waits for all of it before
/// clipping. Buckets are collective calls made in the same order on every rank, so a rank whose hooks never fired
/// (no examples left in its window) still matches: <see cref="Finish"/> launches whatever has not left yet.
/// Limited to the TCP ring on CPU tensors with fp32 gradients: NCCL and host-staged CUDA rings keep the single
/// all-reduce, and bf16 adds its gradients into the fp32 buffer only after backward.
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    /// <summary>
    /// "1" overlaps; "0" or unset makes one all-reduce after backward. Off by default: on the 2-core build machine,
    /// where both workers' compute already fills both cores, the buckets' ring threads only took cores from backward
    /// (exposed all-reduce 153 ms against 85 ms on bert-mini); overlap pays where communication has cores or links
    /// of its own.
    /// </summary>
    public const string Variable = "FINETUNE_OVERLAP_ALLREDUCE";

    /// <summary>Bucket cap in MiB (default 25, DDP's bucket_cap_mb).</summary>
    public const string SizeVariable = "FINETUNE_BUCKET_MIB";

    readonly ICollective collective;
    readonly SequenceClassifier model;
    readonly BucketPlan plan;
    readonly Tensor[] views; // one per bucket, made once
    readonly Action[] hooks; // layer i's backward action
    readonly Thread worker;
    readonly object gate = new();
    int launched, completed;
    bool armed, stopping;
    Exception? failure;

    GradientBuckets(ICollective collective, SequenceClassifier model, BucketPlan plan, Tensor buffer)
    {
        this.collective = collective;
        this.model = model;
        this.plan = plan;
        views = [.. Enumerable.Range(0, plan.Count).Select(k => buffer.narrow(0, plan.Starts[k], plan.End(k) - plan.Starts[k]))];
        hooks = [.. plan.Frontiers.Select(f => (Action)(() => Ready(f)))];
        worker = new Thread(Work) { IsBackground = true, Name = "gradient buckets" };
        worker.Start();
    }

    public BucketPlan Plan => plan;

    /// <summary>Whether the environment asks for overlap (<see cref="Variable"/> is "1").</summary>
    public static bool Requested() => Environment.GetEnvironmentVariable(Variable) switch
    {
        "1" => true,
        null or "" or "0" => false,
        var v => throw new InvalidInputException($"{Variable}={v}: not 0 (one all-reduce after backward) or 1 (overlapped buckets)"),
    };

    static long BucketFloats()
    {
        var text = Environment.GetEnvironmentVariable(SizeVariable);
        if (string.IsNullOrEmpty(text)) return (25L << 20) / sizeof(float);
        if (!double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var mib) || mib <= 0 || mib > 4096)
            throw new InvalidInputException($"{SizeVariable}={text}: not a bucket size in MiB (more than 0, at most 4096)");
        return Math.Max(1, (long)(mib * (1 << 20) / sizeof(float)));
    }

    /// <summary>Overlapped buckets for this setup, or null where they do not apply (see the class summary): then all-reduce once after backward.</summary>
    public static GradientBuckets? For(ICollective collective, SequenceClassifier model, IReadOnlyList<(string Name, Tensor Parameter)> parameters,
        FlatGradients grads, bool mixedPrecision, long? bucketFloats = null, bool? enabled = null)
    {
        if (!(enabled ?? Requested()) || collective.WorldSize == 1 || collective is not RingCollective || mixedPrecision
            || grads.Buffer.device_type != DeviceType.CPU) return null;
        var plan = BucketPlan.For([.. parameters.Select(p => (p.Name, p.Parameter.numel()))], model.LayerParameterPrefixes(), bucketFloats ?? BucketFloats());
        return plan is null ? null : new GradientBuckets(collective, model, plan, grads.Buffer);
    }

    /// <summary>Before the forward of a window's last micro-batch: its backward launches buckets as layers finish.</summary>
    public void Arm()
    {
        lock (gate) armed = true;
        model.SetLayerInputHook((i, x) => BackwardHook.Wrap(x, hooks[i]));
    }

    /// <summary>After backward: launches what is left, waits for every bucket; throws the first failure (a <see cref="CollectiveException"/>).</summary>
    public void Finish()
    {
        model.SetLayerInputHook(null);
        Exception? error;
        lock (gate)
        {
            armed = false;
            launched = plan.Count;
            Monitor.PulseAll(gate);
            while (completed < plan.Count) Monitor.Wait(gate);
            (launched, completed, error, failure) = (0, 0, failure, null);
        }
        if (error is not null) ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>From a layer's backward hook: every gradient from <paramref name="frontier"/> on is final.</summary>
    void Ready(long frontier)
    {
        lock (gate)
        {
            if (!armed) return;
            int before = launched;
            while (launched < plan.Count && plan.Starts[launched] >= frontier) launched++;
            if (launched != before) Monitor.PulseAll(gate);
        }
    }

    void Work()
    {
        while (true)
        {
            int k;
            lock (gate)
            {
                while (completed == launched && !stopping) Monitor.Wait(gate);
                if (stopping) return;
                k = completed;
            }
            Exception? error = null;
            try
            {
                if (Volatile.Read(ref failure) is null) collective.AllReduceSum(views[k]);
            }
            catch (Exception e)
            {
                error = e;
            }
            lock (gate)
            {
                failure ??= error;
                completed = k + 1;
                Monitor.PulseAll(gate);
            }
        }
    }

    public void Dispose()
    {
        model.SetLayerInputHook(null);
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
        worker.Join();
        foreach (var v in views) v.Dispose();
    }
}
