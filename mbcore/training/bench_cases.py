"""The bench's cases, apart from bench.py so the command line can list them
without loading TensorFlow."""
from mbcore.lessons.aux_output import TUTORIAL_SIZE
from mbcore.lessons.depth_residual import TUTORIAL_RECIPE

# name -> (lesson id, settings changes, epochs).  aux_output runs at full
# size (5.2M weights) for 3 of its 10 epochs: its LSTM's arithmetic, not
# framework overhead, sets the pace there, so more epochs would tell nothing new.
# depth_residual trains with the tutorial's recipe (batch 32), not the classroom's.
CASES = {
    "multi_io": ("multi_io", {}, 300),
    "depth_residual/residual": ("depth_residual", {**TUTORIAL_RECIPE, "residual": True}, 200),
    "depth_residual/plain": ("depth_residual", {**TUTORIAL_RECIPE, "residual": False}, 200),
    "aux_output": ("aux_output", TUTORIAL_SIZE, 3),
}
