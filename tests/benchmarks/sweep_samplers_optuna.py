"""Optuna's own TPESampler and RandomSampler on the objectives of SweepSamplerBenchmark.cs (keep the two in step):
the reference our TpeSampler is measured against. Run by `OPTUNA=1 bash tests/benchmarks/sweep-samplers.sh`.
Usage: python3 sweep_samplers_optuna.py TRIALS SEEDS. The evaluation noise is numpy's (seeded by seed and trial), not
the C# benchmark's stream, so compare medians and win counts, not single seeds."""
import math
import sys

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def square(x):
    return x * x


# (name, greater is better, noise-free value of (learning rate, batch size, warmup ratio), noise sigma)
OBJECTIVES = [
    ("bowl (eval_accuracy)", True,
     lambda lr, b, w: 0.92 - 0.12 * square(math.log10(lr / 6e-5)) - {8: 0, 16: 0.004, 32: 0.012}[b] - 0.3 * square(w - 0.06), 0.004),
    ("coupled, diverging (eval_accuracy)", True,
     lambda lr, b, w: 0.5 if lr > 1.5e-4 and w < 0.05 else 0.9 - 0.08 * square(math.log10(lr / (2e-5 * b / 8))) - 0.1 * square(w - 0.1), 0.006),
    ("valley (eval_loss)", False,
     lambda lr, b, w: (0.45 if lr < 2e-5 else 0.25 + 0.3 * square(math.log10(lr / 1e-4))) + (0.02 if b == 32 else 0) + 0.5 * square(w - 0.05), 0.01),
]


def best(sampler, value, noise, seed, trials, maximize):
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-5, 3e-4, log=True)
        batch = trial.suggest_categorical("per_device_train_batch_size", [8, 16, 32])
        warmup = trial.suggest_float("warmup_ratio", 0.0, 0.2)
        return value(lr, batch, warmup) + noise * np.random.RandomState(seed * 1000 + trial.number).randn()

    study.optimize(objective, n_trials=trials)
    return study.best_value


def main():
    trials, seeds = int(sys.argv[1]), int(sys.argv[2])
    print(f"optuna {optuna.__version__}: {trials} trials x {seeds} seeds per objective and sampler")
    print(f"{'objective':36} {'random best':>12} {'TPE best':>12} {'TPE wins':>10} {'ties':>5}")
    for name, maximize, value, noise in OBJECTIVES:
        random = [best(optuna.samplers.RandomSampler(seed=s), value, noise, s, trials, maximize) for s in range(1, seeds + 1)]
        tpe = [best(optuna.samplers.TPESampler(seed=s), value, noise, s, trials, maximize) for s in range(1, seeds + 1)]
        wins = sum((t > r) if maximize else (t < r) for t, r in zip(tpe, random))
        ties = sum(t == r for t, r in zip(tpe, random))
        print(f"{name:36} {np.median(random):12.4f} {np.median(tpe):12.4f} {f'{wins} of {seeds}':>10} {ties:5}")


if __name__ == "__main__":
    main()
