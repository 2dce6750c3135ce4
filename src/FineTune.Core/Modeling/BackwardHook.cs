using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>
/// Identity in forward; in backward it runs an action, then passes the gradient through unchanged. Placed at a layer's
/// input, it fires once backward is done with that layer and everything after it: autograd runs a node only after
/// every consumer of its output has handed back its gradient, and runs the parameters' AccumulateGrad nodes (highest
/// priority in its ready queue) as soon as they are ready, so those gradients are accumulated by then (a test checks
/// this). TorchSharp 0.107 binds no register_hook; its custom autograd Function is the way in.
/// </summary>
public sealed class BackwardHook : autograd.SingleTensorFunction<BackwardHook>
{
    const string ActionKey = "action";

    public override string Name => nameof(BackwardHook);

    /// <summary><paramref name="x"/> itself when it needs no gradient (eval, no_grad): no node, no hook.</summary>
    public static Tensor Wrap(Tensor x, Action onBackward) => x.requires_grad ? apply(x, onBackward) : x;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data(ActionKey, vars[1]);
        return ((Tensor)vars[0]).alias(); // a view, not a copy of the activations
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        // Called from inside native autograd: an exception here cannot travel back through it, so the action must not throw.
        ((Action)ctx.get_data(ActionKey))();
        return [grad_output, null!]; // no gradient for the action argument
    }
}
