"""The PyTorch eager anchor (tests/benchmarks/pytorch-anchor.sh): the default model trained by plain PyTorch.

A BERT for sequence classification written out in plain torch (Hugging Face's module and parameter names, eager
attention, exact GELU), loaded from the safetensors our benchmark wrote (the same initial weights, classifier head
included), trained on the same token ids in the same batches (the JSON our benchmark dumped from its tokenizer and
its trainer's batch order): forward, cross-entropy, backward, clip_grad_norm_(1.0), torch.optim.AdamW with a linear
schedule, zero_grad. Driven over stdin by the .NET side so the two alternate in one run:
  "check" -> max |logits - ours| in eval mode on batch 0;  "run" -> one timed pass over the batches.
Works with Debian's python3-torch 1.13 (no safetensors package, no scaled_dot_product_attention).
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}; only F32 is read here")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids, types):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(self, x, additive_mask):
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + additive_mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(b, t, h)


class DenseNorm(nn.Module):
    """BertSelfOutput / BertOutput: dense, dropout, residual, LayerNorm."""

    def __init__(self, c, inputs):
        super().__init__()
        self.dense = nn.Linear(inputs, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseNorm(c, c["hidden_size"])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU, hidden_act "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c, c["intermediate_size"])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, ids, mask, types):
        additive = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        return self.pooler(self.encoder(self.embeddings(ids, types), additive))


class Classifier(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c.get("classifier_dropout") or c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, ids, mask, types):
        return self.classifier(self.dropout(self.bert(ids, mask, types)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="folder with config.json and model.safetensors")
    p.add_argument("--batches", required=True, help="JSON: {batches: [{input_ids, attention_mask, token_type_ids, labels}], logits0}")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=5e-5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    config = json.load(open(f"{a.model}/config.json"))
    model = Classifier(config)
    model.load_state_dict(read_safetensors(f"{a.model}/model.safetensors"), strict=True)
    dump = json.load(open(a.batches))
    batches = [tuple(torch.tensor(b[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids", "labels")) for b in dump["batches"]]
    optimizer = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    total = len(batches)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, (total - s) / total))
    print(f"ready torch {torch.__version__}, {torch.get_num_threads()} threads, {total} batches", flush=True)

    for command in sys.stdin:
        command = command.strip()
        if command == "check":
            model.eval()
            with torch.no_grad():
                ids, mask, types, _ = batches[0]
                logits = model(ids, mask, types)
            ours = torch.tensor(dump["logits0"], dtype=torch.float32)
            print(f"maxdiff {(logits - ours).abs().max().item():.3e}", flush=True)
        elif command == "run":
            model.train()
            parts = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
            samples, start = 0, None
            for i, (ids, mask, types, labels) in enumerate(batches):
                if i == 1:  # batch 0 is the warm-up, as on the .NET side
                    start, samples, parts = time.perf_counter(), 0, dict.fromkeys(parts, 0.0)
                t0 = time.perf_counter()
                loss = F.cross_entropy(model(ids, mask, types), labels)
                t1 = time.perf_counter()
                loss.backward()
                loss.item()
                t2 = time.perf_counter()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                t3 = time.perf_counter()
                parts["forward"] += t1 - t0
                parts["backward"] += t2 - t1
                parts["optimizer"] += t3 - t2
                samples += ids.shape[0]
            elapsed = time.perf_counter() - start
            steps = total - 1
            print(f"rate {samples / elapsed:.4f} forward_ms {1000 * parts['forward'] / steps:.2f} backward_ms {1000 * parts['backward'] / steps:.2f} optimizer_ms {1000 * parts['optimizer'] / steps:.2f}", flush=True)
        elif command == "quit":
            break


if __name__ == "__main__":
    main()
