"""multimodal — image plus tag (tutorial 004).

An image pathway (Conv, MaxPool, Conv, MaxPool, Dense) and a tag pathway
(Embedding, Dense) merged before the classifier. The label needs both: does
the tag name the shape in the picture? Silence a branch to see it fail.
"""
from dataclasses import dataclass

from mbcore.network.graph import Graph
from mbcore.lessons.claims import Claim, Side
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, Settings, option
from mbcore.tasks import shapes
from mbcore.tasks.shapes import SHAPES

BRANCHES = ("both", "image", "tag")


@dataclass(frozen=True)
class Multimodal(Settings):
    lesson_id = "multimodal"
    branches: str = option("both", "Branches used", choices=BRANCHES,
                           help="image or tag alone: the ablation. Each alone sits at chance.")
    merge: str = merge_opt()
    filters: int = option(8, "Conv filters (first layer)", lo=1, hi=64)
    kernel: int = option(3, "Conv kernel size", lo=1, hi=7)
    image_units: int = option(32, "Image branch width", lo=1, hi=256)
    tag_dim: int = option(8, "Tag embedding width", lo=1, hi=64)
    tag_units: int = option(32, "Tag branch width", lo=1, hi=256)
    trunk_units: int = option(32, "Width after the merge", lo=1, hi=256)
    image_size: int = option(16, "Image size (pixels)", lo=12, hi=24, group=DATA)
    n_samples: int = samples_opt(2000, lo=100, hi=5000)
    seed: int = seed_opt(0)
    epochs: int = epochs_opt(15, hi=200)
    batch_size: int = batch_opt(32)
    optimizer: str = optimizer_opt("adam")
    learning_rate: float = lr_opt(0.003)


def architecture(s: Multimodal) -> Graph:
    g = Graph()
    ends = []
    if s.branches in ("both", "image"):
        x = g.input("image_input", (s.image_size, s.image_size, 1), branch="image")
        x = g.layer("conv2d", "image_conv_1", x, filters=s.filters, kernel_size=s.kernel,
                    activation="relu")
        x = g.layer("maxpool2d", "image_pool_1", x, pool_size=2)
        x = g.layer("conv2d", "image_conv_2", x, filters=2 * s.filters, kernel_size=s.kernel,
                    activation="relu")
        x = g.layer("maxpool2d", "image_pool_2", x, pool_size=2)
        x = g.layer("flatten", "image_flatten", x)
        ends.append(g.layer("dense", "image_dense", x, units=s.image_units, activation="relu"))
    if s.branches in ("both", "tag"):
        t = g.input("tag_input", (1,), dtype="int32", branch="tag")
        t = g.layer("embedding", "tag_embedding", t, input_dim=len(SHAPES), output_dim=s.tag_dim)
        t = g.layer("flatten", "tag_flatten", t)
        ends.append(g.layer("dense", "tag_dense", t, units=s.tag_units, activation="relu"))
    x = g.merge(s.merge, ends) if len(ends) > 1 else ends[0]
    x = g.stack(x, "trunk", [s.trunk_units])
    g.output(x, "match_output", 1, "sigmoid")
    return g


def recipe(s: Multimodal):
    return simple_recipe(s, {"match_output": "binary_crossentropy"},
                         {"match_output": ("accuracy",)})


LESSON = Lesson(
    id="multimodal", title="Image plus tag",
    blurb="A picture pathway and a word pathway: only together can they tell if the tag fits.",
    source="004", settings_cls=Multimodal, task=shapes.make, kind="classification",
    architecture=architecture, recipe=recipe,
    claims=(
        Claim("both_answer", "With both branches, held-out accuracy ends above 80 %.",
              Side("both", "val_accuracy"), ">", 0.8),
        Claim("image_alone_chance", "The image branch alone stays near chance (below 60 %).",
              Side("image only", "val_accuracy", {"branches": "image"}), "<", 0.6),
        Claim("tag_alone_chance", "The tag branch alone stays near chance (below 60 %).",
              Side("tag only", "val_accuracy", {"branches": "tag"}), "<", 0.6),
    ),
    presets={
        "both branches": {},
        "image only": {"branches": "image"},
        "tag only": {"branches": "tag"},
        "multiply merge": {"merge": "multiply"},
    })
