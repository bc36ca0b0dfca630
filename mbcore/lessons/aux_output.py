"""aux_output — a main and an auxiliary output (tutorial 001).

Headline tokens -> Embedding(10000, 512) -> LSTM(32); an auxiliary sigmoid
head straight off the LSTM; five side features concatenated with the LSTM
output -> three Dense(64, relu) -> the main sigmoid head. 5,200,610
parameters at the tutorial's sizes (the "tutorial (full size)" preset, ~3 min
of training on a shared 2-core server); the defaults are a classroom size that
trains in seconds. Loss weights: main 1.0, auxiliary 0.2.
"""
from dataclasses import dataclass

from mbcore.network.graph import Graph
from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import FULL_SIZE, Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, TRAINING, Settings, option
from mbcore.tasks import headlines
from mbcore.tasks.headlines import FEATURES


# The tutorial's own sizes: 5,200,610 parameters. Too slow for a class's default
# (see FULL_SIZE_SECONDS), so the defaults below are a classroom size and this
# is a preset, one click away.
TUTORIAL_SIZE = {"vocab": 10000, "embed_dim": 512, "seq_len": 100, "n_samples": 1000,
                 "epochs": 10}
# Seconds per epoch at TUTORIAL_SIZE on a quiet 2-core machine (README, `python -m
# mbcore bench`: 3 epochs in 10.6 s, tracing included); its LSTM's arithmetic sets it.
FULL_SIZE_EPOCH_SECONDS = 3.5


def full_size_seconds(s) -> float | None:
    """Expected training time at the tutorial's sizes, scaled by samples and
    headline length; None at classroom sizes (seconds, shown by the progress)."""
    if s.embed_dim <= 64:
        return None
    scale = s.n_samples / TUTORIAL_SIZE["n_samples"] * s.seq_len / TUTORIAL_SIZE["seq_len"]
    return FULL_SIZE_EPOCH_SECONDS * scale * s.epochs


@dataclass(frozen=True)
class AuxOutput(Settings):
    lesson_id = "aux_output"
    vocab: int = option(2000, "Vocabulary size", lo=100, hi=10000, step=100)
    embed_dim: int = option(32, "Embedding width", lo=2, hi=512)
    seq_len: int = option(30, "Headline length (tokens)", lo=5, hi=100, group=DATA)
    lstm_units: int = option(32, "LSTM units", lo=2, hi=64)
    dense_units: int = option(64, "Dense width after the merge", lo=2, hi=256)
    dense_layers: int = option(3, "Dense layers after the merge", lo=1, hi=6)
    merge: str = merge_opt(choices=("concatenate",))
    aux_weight: float = option(0.2, "Auxiliary loss weight", lo=0.0, hi=2.0, step=0.05,
                               group=TRAINING, help="0 switches the auxiliary supervision off.")
    main_weight: float = option(1.0, "Main loss weight", lo=0.0, hi=2.0, step=0.05,
                                group=TRAINING)
    n_samples: int = samples_opt(1500, lo=100, hi=2000)
    seed: int = seed_opt(0)
    epochs: int = epochs_opt(8, hi=100)
    batch_size: int = batch_opt(32)
    optimizer: str = optimizer_opt("rmsprop")
    learning_rate: float = lr_opt(0.001)


def architecture(s: AuxOutput) -> Graph:
    g = Graph()
    tokens = g.input("headline_input", (s.seq_len,), dtype="int32", branch="words")
    x = g.layer("embedding", "embedding", tokens, input_dim=s.vocab, output_dim=s.embed_dim)
    lstm = g.layer("lstm", "lstm", x, units=s.lstm_units)
    g.output(lstm, "aux_output", 1, "sigmoid")
    side = g.input("side_input", (len(FEATURES),), branch="side")
    x = g.stack(g.merge(s.merge, [lstm, side]), "main", [s.dense_units] * s.dense_layers)
    main = g.output(x, "main_output", 1, "sigmoid")
    g.outputs[:] = [main, "aux_output"]        # the tutorial lists the main output first
    return g


def recipe(s: AuxOutput):
    outs = ("main_output", "aux_output")
    return simple_recipe(s, {o: "binary_crossentropy" for o in outs},
                         {o: ("accuracy",) for o in outs},
                         {"main_output": s.main_weight, "aux_output": s.aux_weight})


def keras1_code(s) -> str:
    """The tutorial's compile call: one loss string spread over two weighted outputs."""
    return f"""# Keras 2: one loss string for both outputs, weights as a list.
# Keras 3 refuses this (ValueError: loss_weights must match the number of losses):
# give one loss per output instead, as the Keras 3 version does.
model.compile(optimizer={s.optimizer!r}, loss='binary_crossentropy',
              loss_weights=[{s.main_weight}, {s.aux_weight}])
model.fit([headline_data, additional_data], [labels, labels],
          epochs={s.epochs}, batch_size={s.batch_size})
"""


LESSON = Lesson(
    id="aux_output", title="A main and an auxiliary output",
    blurb="An auxiliary loss on the word pathway: does it help the headline model learn?",
    source="001", settings_cls=AuxOutput, task=headlines.make, kind="classification",
    architecture=architecture, recipe=recipe, keras1=keras1_code,
    # The tutorial's 10,000 x 512 embedding read by an LSTM: a worker peaks at
    # ~0.9 GB on the tutorial's settings and ~1.1 GB on the biggest (membench
    # --biggest), against ~0.6-0.75 GB for every other lesson's biggest.
    runs_alone=True,
    full_size_seconds=full_size_seconds,
    claims=(
        Claim("aux_does_not_help", "At classroom size the auxiliary loss does not help the "
              "main output: with weight 0 held-out main accuracy ends higher than with 0.2.",
              Side("weight 0", "val_main_output_accuracy", {"aux_weight": 0.0}),
              ">", 0.0, versus=Side("weight 0.2", "val_main_output_accuracy", {})),
        Claim("side_features_add", "The side features add: held-out main accuracy ends at "
              "least 5 points above the auxiliary head's, which sees only the words.",
              Side("main", "val_main_output_accuracy", {}), ">", 0.05,
              versus=Side("auxiliary", "val_aux_output_accuracy", {})),
    ),
    presets={
        "classroom size": {},
        "classroom, auxiliary off": {"aux_weight": 0.0},
        FULL_SIZE: TUTORIAL_SIZE,
    })
