"""mlp_shapes — a sequential MLP and its weight shapes (tutorial 003).

Dense(64, relu), Dropout(0.5), Dense(64, relu), Dropout(0.5), Dense(10,
softmax): 6,154 parameters. SGD with Nesterov momentum; Keras 3 accepts the tutorial's
`decay=` but ignores it (with a warning), so the decay becomes a learning-rate schedule.
"""
from dataclasses import dataclass

from mbcore.network.graph import Graph
from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, optimizer_opt,
                                    samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, TRAINING, Settings, option
from mbcore.tasks import random_mlp


@dataclass(frozen=True)
class MLPShapes(Settings):
    lesson_id = "mlp_shapes"
    units: int = option(64, "Hidden width", lo=1, hi=512)
    hidden_layers: int = option(2, "Hidden layers", lo=1, hi=8)
    dropout: float = option(0.5, "Dropout rate", lo=0.0, hi=0.9, step=0.05)
    features: int = option(20, "Input features", lo=1, hi=1024, group=DATA)
    classes: int = option(10, "Classes", lo=2, hi=100, group=DATA)
    n_train: int = samples_opt(1000)
    n_test: int = samples_opt(100, lo=10, hi=2000, label="Test samples")
    seed: int = seed_opt(0)
    epochs: int = epochs_opt(20, hi=500)
    batch_size: int = batch_opt(128)
    optimizer: str = optimizer_opt("sgd")
    learning_rate: float = lr_opt(0.01)
    momentum: float = option(0.9, "Momentum (SGD)", lo=0.0, hi=0.99, step=0.01, group=TRAINING)
    nesterov: bool = option(True, "Nesterov momentum (SGD)", group=TRAINING)
    decay: float = option(1e-6, "Learning-rate decay per step", lo=0.0, hi=0.1, group=TRAINING,
                          help="Keras 1/2 had SGD(decay=...); Keras 3 ignores it, so here it is an "
                               "InverseTimeDecay schedule.")


def architecture(s: MLPShapes) -> Graph:
    g = Graph()
    x = g.stack(g.input("features", (s.features,)), "hidden", [s.units] * s.hidden_layers,
                dropout=s.dropout)
    g.output(x, "class_output", s.classes, "softmax")
    return g


def recipe(s: MLPShapes):
    return simple_recipe(s, {"class_output": "categorical_crossentropy"},
                         {"class_output": ("accuracy",)},
                         momentum=s.momentum, nesterov=s.nesterov, decay=s.decay)


def keras1_code(s) -> str:
    """The tutorial's optimizer: Keras 3's SGD refuses `lr=` and ignores `decay=`."""
    return f"""# Keras 2. Keras 3: lr= raises ValueError (it is learning_rate=); decay= is accepted,
# warned about and ignored; the decay is keras.optimizers.schedules.InverseTimeDecay
from keras.optimizers import SGD
sgd = SGD(lr={s.learning_rate}, decay={s.decay}, momentum={s.momentum}, nesterov={s.nesterov})
model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])
model.fit(x_train, y_train, epochs={s.epochs}, batch_size={s.batch_size})
score = model.evaluate(x_test, y_test, batch_size={s.batch_size})
"""


LESSON = Lesson(
    id="mlp_shapes", title="An MLP and its weight shapes",
    blurb="What shape is each weight matrix, and why does it not depend on the batch size?",
    source="003", settings_cls=MLPShapes, task=random_mlp.make, kind="classification",
    architecture=architecture, recipe=recipe, keras1=keras1_code, insights=("weights",),
    claims=(
        Claim("test_at_chance", "On random labels, test accuracy stays below 20 % (chance: "
              "10 %).", Side("tutorial", "val_accuracy"), "<", 0.2),
        Claim("dropout_slows_memorising", "Without dropout, training accuracy ends higher "
              "than with the tutorial's 0.5.",
              Side("no dropout", "accuracy", {"dropout": 0.0}), ">", 0.0,
              versus=Side("dropout 0.5", "accuracy")),
    ),
    presets={
        "tutorial": {},
        "no dropout": {"dropout": 0.0},
        "batch of 1": {"batch_size": 1, "epochs": 3},
    })
