"""build_your_own — a free-form multi-branch network on toy data.

One to four inputs, each a feature set of the same hidden x, each with its own
branch of layers; a merge; a shared trunk; one or two outputs, each with its
own loss and loss weight. The settings are flat fields (input_2, branch_2_width,
output_1_loss ...) so that they travel in a URL like every other lesson's.
"""
from dataclasses import make_dataclass

from mbcore.network.graph import Graph
from mbcore.network.merges import MERGES, MergeError, get_merge
from mbcore.lessons.lesson import Lesson
from mbcore.lessons.options import (batch_opt, epochs_opt, lr_opt, merge_opt,
                                   optimizer_opt, samples_opt, seed_opt)
from mbcore.recipe import simple_recipe
from mbcore.settings import DATA, TRAINING, Settings, SettingsError, option
from mbcore.tasks.build_your_own import FEATURE_SETS, TARGETS, feature_width
from mbcore.tasks.build_your_own import make as make_data

MAX_INPUTS, MAX_OUTPUTS = 4, 2
LAYER_TYPES = ("dense", "dense + dropout")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
LOSSES = ("mse", "mae", "huber", "binary_crossentropy")
DROPOUT = 0.2
_DEFAULT_FEATURES = ("x", "x squared", "sin and cos", "noisy x")
_DEFAULT_TARGETS = ("sin(2πx)", "exp(x)")


def _fields():
    yield "inputs", int, option(2, "Number of inputs", lo=1, hi=MAX_INPUTS)
    for i in range(1, MAX_INPUTS + 1):
        yield f"input_{i}", str, option(_DEFAULT_FEATURES[i - 1], f"Input {i}: features",
                                        choices=tuple(FEATURE_SETS), group=DATA)
        yield f"branch_{i}_layers", int, option(2, f"Branch {i}: layers", lo=0, hi=6)
        yield f"branch_{i}_type", str, option("dense", f"Branch {i}: layer type",
                                              choices=LAYER_TYPES)
        yield f"branch_{i}_width", int, option(16, f"Branch {i}: width", lo=1, hi=128)
        yield f"branch_{i}_activation", str, option("relu", f"Branch {i}: activation",
                                                    choices=ACTIVATIONS)
    yield "merge", str, merge_opt()
    yield "trunk_layers", int, option(1, "Layers after the merge", lo=0, hi=6)
    yield "trunk_width", int, option(16, "Width after the merge", lo=1, hi=128)
    yield "outputs", int, option(2, "Number of outputs", lo=1, hi=MAX_OUTPUTS)
    for j in range(1, MAX_OUTPUTS + 1):
        yield f"output_{j}_target", str, option(_DEFAULT_TARGETS[j - 1], f"Output {j}: target",
                                                choices=tuple(TARGETS), group=DATA)
        yield f"output_{j}_loss", str, option("mse", f"Output {j}: loss", choices=LOSSES,
                                              group=TRAINING)
        yield f"output_{j}_weight", float, option(1.0, f"Output {j}: loss weight", lo=0.0,
                                                  hi=10.0, step=0.1, group=TRAINING)
    yield "n_samples", int, samples_opt(1000)
    yield "seed", int, seed_opt(0)
    yield "epochs", int, epochs_opt(100, hi=500)
    yield "batch_size", int, batch_opt(32)
    yield "optimizer", str, optimizer_opt("adam")
    yield "learning_rate", float, lr_opt(0.003)


def _check(s) -> None:
    """A yes/no target and binary cross-entropy belong together."""
    for j in range(1, s.outputs + 1):
        yes_no = TARGETS[s.target(j)][1]
        bce = getattr(s, f"output_{j}_loss") == "binary_crossentropy"
        if bce and not yes_no:
            raise SettingsError(f"output_{j}_loss=binary_crossentropy needs a yes/no target; "
                                f"{s.target(j)!r} is a number: use mse, mae or huber")


BuildYourOwn = make_dataclass(
    "BuildYourOwn", list(_fields()), bases=(Settings,), frozen=True,
    namespace={"lesson_id": "build_your_own", "check": _check,
               "feature_set": lambda s, i: getattr(s, f"input_{i}"),
               "target": lambda s, j: getattr(s, f"output_{j}_target"),
               "__module__": __name__})


def active(values: dict) -> set[str]:
    """The fields that shape the network for these values; the rest wait, unused.

    Only the first `inputs` inputs and branches and the first `outputs` outputs
    count; one input has nothing to merge; a width or layer type only matters
    for a stack that has layers.
    """
    def get(name):
        return values.get(name, BuildYourOwn.__dataclass_fields__[name].default)

    names = {f for f in BuildYourOwn.__dataclass_fields__
             if not f.startswith(("input_", "branch_", "output_"))
             and f not in ("merge", "trunk_width")}
    for i in range(1, int(get("inputs")) + 1):
        names |= {f"input_{i}", f"branch_{i}_layers"}
        if int(get(f"branch_{i}_layers")) > 0:
            names |= {f"branch_{i}_{part}" for part in ("type", "width", "activation")}
    for j in range(1, int(get("outputs")) + 1):
        names |= {f"output_{j}_{part}" for part in ("target", "loss", "weight")}
    if int(get("inputs")) > 1:
        names.add("merge")
    if int(get("trunk_layers")) > 0:
        names.add("trunk_width")
    return names


def _merge(g: Graph, s, ends: list[str]) -> str:
    """The merge node, or a MergeError that names the culprit branch and the way out."""
    try:
        return g.merge(s.merge, ends)
    except MergeError as err:
        mode = get_merge(s.merge)
        if mode.max_inputs and len(ends) > mode.max_inputs:
            any_number = ", ".join(m.name for m in MERGES.values() if m.max_inputs is None)
            fix = (f"Set the number of inputs to {mode.max_inputs}, or pick a merge that "
                   f"takes any number of branches: {any_number}.")
        else:
            widths = ", ".join(f"branch {i} = {g[e].shape[-1]}" for i, e in enumerate(ends, 1))
            fix = (f"Now {widths}. Give every branch the same width (a branch with 0 "
                   "layers passes its input's features straight through, so its width is "
                   "their number), or pick concatenate, which takes any widths.")
        raise MergeError(f"{err}. {fix}") from None


def architecture(s) -> Graph:
    g, ends = Graph(), []
    for i in range(1, s.inputs + 1):
        x = g.input(f"input_{i}", (feature_width(s.feature_set(i)),), branch=f"branch_{i}")
        act = getattr(s, f"branch_{i}_activation")
        dropout = DROPOUT if getattr(s, f"branch_{i}_type") == "dense + dropout" else 0.0
        ends.append(g.stack(x, f"branch_{i}", [getattr(s, f"branch_{i}_width")] *
                            getattr(s, f"branch_{i}_layers"),
                            None if act == "linear" else act, dropout=dropout))
    x = _merge(g, s, ends) if len(ends) > 1 else ends[0]
    x = g.stack(x, "trunk", [s.trunk_width] * s.trunk_layers)
    for j in range(1, s.outputs + 1):
        bce = getattr(s, f"output_{j}_loss") == "binary_crossentropy"
        g.output(x, f"output_{j}", 1, "sigmoid" if bce else None)
    return g


def recipe(s):
    outs = [f"output_{j}" for j in range(1, s.outputs + 1)]
    losses = {o: getattr(s, f"{o}_loss") for o in outs}
    return simple_recipe(
        s, losses, {o: ("accuracy",) if losses[o] == "binary_crossentropy" else ("mse",)
                    for o in outs},
        {o: getattr(s, f"{o}_weight") for o in outs})


LESSON = Lesson(
    id="build_your_own", title="Build your own",
    blurb="Up to four inputs, a branch each, any merge, one or two outputs: design and train.",
    source="", settings_cls=BuildYourOwn, task=make_data, kind="regression",
    architecture=architecture, recipe=recipe, active=active,
    presets={
        "two inputs, two outputs": {},
        "one input, one output": {"inputs": 1, "outputs": 1},
        "four inputs, add": {"inputs": 4, "merge": "add", **{f"branch_{i}_layers": 1
                                                             for i in range(1, 5)}},
        "a yes/no output": {"output_2_target": "x > 0.5 (yes/no)",
                            "output_2_loss": "binary_crossentropy"},
    })
