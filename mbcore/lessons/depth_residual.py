"""depth_residual — depth and skip connections (tutorial 002, second half).

Plain: Dense(10) from the input, ten more Dense(10), Dense(1): 12 layers,
1,131 parameters, and it fails on sin(12πx). Residual: Dense(10), then twenty
blocks of two Dense(10) whose output is merged with the block's input, then
Dense(1): 42 layers, 23,631 parameters with concatenation, and it succeeds.

The networks are the tutorial's; its training (200 epochs of batch 32 at Adam's
0.001) took ~11 s for the residual net on a quiet 2-core machine, so the
defaults train in larger batches at a larger step (a classroom size, a few
seconds) and the tutorial's recipe is the FULL_SIZE preset, one click away.
"""
from dataclasses import dataclass

from mbcore.network.graph import Graph
from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import FULL_SIZE, Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, Settings, option
from mbcore.tasks import curves

BLOCKS = ("tutorial", "classic")

# The tutorial's own training, as changes from the (classroom) defaults below.
TUTORIAL_RECIPE = {"epochs": 200, "batch_size": 32, "learning_rate": 0.001}
# The two blocks with add, compared at the tutorial's training (with the classroom's
# larger step the classic block fitted in 1 of 5 seeds, validation MSE median 0.32).
TUTORIAL_ADD = {"merge": "add", **TUTORIAL_RECIPE}
CLASSIC_ADD = {"block": "classic", "merge": "add", **TUTORIAL_RECIPE}
# Seconds of the residual net's training with TUTORIAL_RECIPE on a quiet 2-core
# machine: 10.3 s in the README's `python -m mbcore bench` (load 1.5, tracing
# included); 10.8-12.5 s of CPU over seeds 7-11 at load 8.
FULL_SIZE_SECONDS = 11.0


def full_size_seconds(s) -> float | None:
    """Expected training time at the tutorial's batch size (or smaller), scaled by
    epochs, points and depth; None for the classroom's larger batches and for the
    plain net, which train in seconds."""
    if not s.residual or s.batch_size > TUTORIAL_RECIPE["batch_size"]:
        return None
    scale = s.epochs / TUTORIAL_RECIPE["epochs"] * s.n_train / 1000 * s.depth() / 42
    return FULL_SIZE_SECONDS * scale


@dataclass(frozen=True)
class DepthResidual(Settings):
    lesson_id = "depth_residual"
    residual: bool = option(True, "Skip connections",
                            help="Off: the tutorial's plain 12-layer net. On: its residual net.")
    blocks: int = option(20, "Residual blocks", lo=1, hi=25)
    block_layers: int = option(2, "Layers per block", lo=1, hi=4)
    merge: str = merge_opt(choices=("concatenate", "add"), label="Skip merge")
    block: str = option("tutorial", "Block form", choices=BLOCKS,
                        help="tutorial: every Dense in a block ends in ReLU, so a block with "
                             "add only ever adds a non-negative term. classic (ResNet): the "
                             "block's last Dense is linear and a ReLU follows the merge.")
    hidden: int = option(10, "Hidden layers (plain net)", lo=1, hi=60)
    width: int = option(10, "Width", lo=2, hi=32)
    frequency: float = option(12.0, "Target: sin(k·π·x), k =", lo=1.0, hi=24.0, step=1.0,
                              group=DATA)
    n_train: int = samples_opt(1000)
    n_val: int = samples_opt(100, lo=10, hi=1000, label="Validation points")
    seed: int = seed_opt(7)
    epochs: int = epochs_opt(200)
    batch_size: int = batch_opt(128)
    optimizer: str = optimizer_opt("adam")
    learning_rate: float = lr_opt(0.005)

    def depth(self) -> int:
        """Layers counted as the tutorial counts them (input and output included)."""
        body = self.blocks * self.block_layers if self.residual else self.hidden
        return body + 2


def architecture(s: DepthResidual) -> Graph:
    g = Graph()
    x = g.layer("dense", "first_dense", g.input("x_input", (1,)), "trunk",
                units=s.width, activation="relu")
    if not s.residual:
        x = g.stack(x, "hidden", [s.width] * s.hidden, branch="trunk")
    for b in range(1, s.blocks + 1 if s.residual else 1):
        skip = x
        classic = s.block == "classic"
        x = g.stack(x, f"block{b}", [s.width] * (s.block_layers - classic))
        if classic:     # the block's last layer is linear; the ReLU comes after the merge
            x = g.layer("dense", f"block{b}_dense_{s.block_layers}", x, f"block{b}",
                        units=s.width, activation=None)
        x = g.merge(s.merge, [skip, x], name=f"block{b}_skip_{s.merge}", branch=f"block{b}")
        if classic:
            x = g.layer("activation", f"block{b}_relu", x, f"block{b}", activation="relu")
    g.output(x, "y_output")
    return g


def recipe(s: DepthResidual):
    return simple_recipe(s, {"y_output": "mse"}, {"y_output": ("mse",)})


LESSON = Lesson(
    id="depth_residual", title="Depth and skip connections",
    blurb="A deep plain net fails on sin(12πx); the same depth with skip connections fits it.",
    source="002", settings_cls=DepthResidual, task=curves.make_sine, kind="regression",
    architecture=architecture, recipe=recipe, insights=("gradients",),
    claims=(
        Claim("residual_fits", "The residual net fits sin(12πx): validation MSE below 0.05 "
              "after 200 epochs in batches of 128 (Adam, step 0.005).",
              Side("residual", "val_mse"), "<", 0.05),
        Claim("plain_fails", "The plain 12-layer net fails: validation MSE above 0.1 after "
              "the same training.", Side("plain", "val_mse", {"residual": False}), ">", 0.1),
        Claim("classic_add_fits", "With the tutorial's training, the classic block (linear "
              "last layer, ReLU after the merge) with add fits too: validation MSE below 0.05.",
              Side("classic add", "val_mse", CLASSIC_ADD), "<", 0.05),
        Claim("tutorial_add_slow", "With the tutorial's training, the tutorial's block with "
              "add needs more than 200 epochs: validation MSE above 0.05.",
              Side("tutorial add", "val_mse", TUTORIAL_ADD), ">", 0.05),
        Claim("four_blocks_fail", "The four-block exercise usually fails at 200 epochs: "
              "validation MSE above 0.1.", Side("four blocks", "val_mse", {"blocks": 4}),
              ">", 0.1),
        Claim("tutorial_recipe_fits", "With the tutorial's own training (the full-size "
              "preset: batches of 32, Adam at 0.001, 200 epochs) the residual net fits as "
              "well: validation MSE below 0.05.",
              Side("tutorial recipe", "val_mse", TUTORIAL_RECIPE), "<", 0.05),
    ),
    full_size_seconds=full_size_seconds,
    presets={
        "tutorial: residual": {},
        "tutorial: plain 12 layers": {"residual": False},
        "residual with add": TUTORIAL_ADD,
        "classic block with add": CLASSIC_ADD,
        "exercise: four blocks": {"blocks": 4},
        FULL_SIZE: TUTORIAL_RECIPE,
    })
