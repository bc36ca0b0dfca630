"""The bench's cases, apart from bench.py so the command line can list them
without loading TensorFlow."""
from mbcore.lessons.aux_output import TUTORIAL_SIZE

# name -> (lesson id, settings changes, epochs).  aux_output runs at full
# size (5.2M weights) for 3 of its 10 epochs: its LSTM's arithmetic, not
# framework overhead, sets the pace there, so more epochs would tell nothing new.
CASES = {
    "multi_io": ("multi_io", {}, 300),
    "depth_residual/residual": ("depth_residual", {"residual": True}, 200),
    "depth_residual/plain": ("depth_residual", {"residual": False}, 200),
    "aux_output": ("aux_output", TUTORIAL_SIZE, 3),
}
