using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FineTune.Core.Modeling.Bert;

// Hugging Face's BERT (modeling_bert.py), module for module, so parameter names map 1:1:
// bert.embeddings.word_embeddings.weight ... bert.encoder.layer.0.attention.self.query.weight ... bert.pooler.dense.weight.
// Callers run forward under a dispose scope; sums pass alpha explicitly (Scalars: `a + b` would make a temporary Scalar).

/// <summary>word + position + token type embeddings, then LayerNorm and dropout.</summary>
public sealed class BertEmbeddings : Module<Tensor, Tensor, Tensor>
{
    readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;

    public BertEmbeddings(BertConfig c) : base(nameof(BertEmbeddings))
    {
        word_embeddings = Embedding(c.VocabSize, c.HiddenSize, padding_idx: c.PadTokenId);
        position_embeddings = Embedding(c.MaxPositionEmbeddings, c.HiddenSize);
        token_type_embeddings = Embedding(c.TypeVocabSize, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, eps: c.LayerNormEps);
        dropout = Dropout(c.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input_ids, Tensor token_type_ids)
    {
        using var position_ids = arange(input_ids.shape[1], dtype: int64, device: input_ids.device).unsqueeze(0);
        var x = word_embeddings.call(input_ids).add(position_embeddings.call(position_ids), Scalars.One).add(token_type_embeddings.call(token_type_ids), Scalars.One);
        return dropout.call(Float32Norm.Apply(LayerNorm, x));
    }
}

/// <summary>Multi-head scaled dot-product attention; the additive mask hides padding.</summary>
public sealed class BertSelfAttention : Module<Tensor, Tensor, Tensor>
{
    readonly Linear query, key, value;
    readonly int heads, headSize;
    readonly double dropoutProb;

    public BertSelfAttention(BertConfig c) : base(nameof(BertSelfAttention))
    {
        heads = c.NumAttentionHeads;
        headSize = c.HiddenSize / c.NumAttentionHeads;
        dropoutProb = c.AttentionProbsDropoutProb;
        query = Linear(c.HiddenSize, c.HiddenSize);
        key = Linear(c.HiddenSize, c.HiddenSize);
        value = Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        long batch = hidden.shape[0], seq = hidden.shape[1];
        Tensor Split(Tensor t) => t.view(batch, seq, heads, headSize).transpose(1, 2); // (B, H, T, d)
        var q = Split(query.call(hidden));
        var k = Split(key.call(hidden));
        var v = Split(value.call(hidden));
        // softmax(q k^T / sqrt(d) + mask) v, with dropout on the attention probabilities while training
        var y = functional.scaled_dot_product_attention(q, k, v, additiveMask, training ? dropoutProb : 0.0);
        return y.transpose(1, 2).contiguous().view(batch, seq, heads * headSize);
    }
}

/// <summary>dense, dropout, residual, LayerNorm: shared shape of BertSelfOutput and BertOutput.</summary>
public sealed class BertResidualOutput : Module<Tensor, Tensor, Tensor>
{
    readonly Linear dense;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;

    public BertResidualOutput(long inFeatures, BertConfig c) : base(nameof(BertResidualOutput))
    {
        dense = Linear(inFeatures, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, eps: c.LayerNormEps);
        dropout = Dropout(c.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor residual) => Float32Norm.Apply(LayerNorm, dropout.call(dense.call(x)).add(residual, Scalars.One));
}

/// <summary>attention.self + attention.output.</summary>
public sealed class BertAttention : Module<Tensor, Tensor, Tensor>
{
    readonly BertSelfAttention self;
    readonly BertResidualOutput output;

    public BertAttention(BertConfig c) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(c);
        output = new BertResidualOutput(c.HiddenSize, c);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask) => output.call(self.call(hidden, additiveMask), hidden);
}

/// <summary>The feed-forward expansion: dense to intermediate_size, then the activation.</summary>
public sealed class BertIntermediate : Module<Tensor, Tensor>
{
    readonly Linear dense;
    readonly Func<Tensor, Tensor> act;

    public BertIntermediate(BertConfig c) : base(nameof(BertIntermediate))
    {
        dense = Linear(c.HiddenSize, c.IntermediateSize);
        act = Activations.Get(c.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => act(dense.call(x));
}

/// <summary>One transformer block: attention, then the feed-forward with its residual.</summary>
public sealed class BertLayer : Module<Tensor, Tensor, Tensor>
{
    readonly BertAttention attention;
    readonly BertIntermediate intermediate;
    readonly BertResidualOutput output;

    public BertLayer(BertConfig c) : base(nameof(BertLayer))
    {
        attention = new BertAttention(c);
        intermediate = new BertIntermediate(c);
        output = new BertResidualOutput(c.IntermediateSize, c);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        var a = attention.call(hidden, additiveMask);
        return output.call(intermediate.call(a), a);
    }
}

/// <summary>The stack of layers.</summary>
public sealed class BertEncoder : Module<Tensor, Tensor, Tensor>
{
    readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig c) : base(nameof(BertEncoder))
    {
        layer = new ModuleList<BertLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new BertLayer(c)).ToArray());
        RegisterComponents();
    }

    /// <summary>Called with each layer's index and input; the layer gets what it returns (see SequenceClassifier.LayerInputHook).</summary>
    public Func<int, Tensor, Tensor>? LayerInputHook { get; set; }

    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        for (int i = 0; i < layer.Count; i++) hidden = layer[i].call(LayerInputHook is { } hook ? hook(i, hidden) : hidden, additiveMask);
        return hidden;
    }
}

/// <summary>pooler_output = tanh(dense(hidden state of [CLS])).</summary>
public sealed class BertPooler : Module<Tensor, Tensor>
{
    readonly Linear dense;

    public BertPooler(BertConfig c) : base(nameof(BertPooler))
    {
        dense = Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => tanh(dense.call(hidden[.., 0]));
}

/// <summary>BertModel: returns (last_hidden_state, pooler_output).</summary>
public sealed class BertModel : Module<Tensor, Tensor, Tensor, (Tensor LastHiddenState, Tensor PoolerOutput)>
{
    readonly BertEmbeddings embeddings;
    readonly BertEncoder encoder;
    readonly BertPooler pooler;

    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    public BertEncoder Encoder => encoder;

    public override (Tensor LastHiddenState, Tensor PoolerOutput) forward(Tensor input_ids, Tensor attention_mask, Tensor token_type_ids)
    {
        var embedded = embeddings.call(input_ids, token_type_ids);
        // (B, T) 1/0 mask -> (B, 1, 1, T) additive mask in the activations' dtype: 0 where attended, its most negative
        // finite value where padded (Hugging Face's torch.finfo(dtype).min).
        var additiveMask = attention_mask.logical_not().to_type(embedded.dtype).mul_(Scalars.MinOf(embedded.dtype)).view(attention_mask.shape[0], 1, 1, attention_mask.shape[1]);
        var hidden = encoder.call(embedded, additiveMask);
        return (hidden, pooler.call(hidden));
    }
}
