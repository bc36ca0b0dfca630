"""Show me the code: every lesson's exported script runs alone and matches the page."""
import os
import re
import subprocess
import sys

import pytest

from mbcore.views.export import script
from mbcore.lessons import ALL_LESSONS, Experiment, get_lesson

SMALL = {"n_samples": 200, "n_train": 200}


def small_settings(lesson_id, **changes):
    cls = get_lesson(lesson_id).settings_cls
    fields = cls.__dataclass_fields__
    return cls(**{k: v for k, v in SMALL.items() if k in fields}, **changes)


def test_every_exported_script_runs_alone_and_reproduces_the_parameter_count(tmp_path):
    """Every lesson's script (and the build-your-own page's), one after the other in ONE fresh interpreter (TensorFlow is
    imported once), from an empty folder where mbcore cannot be imported."""
    expected = {}
    for lesson_id in ALL_LESSONS:
        s = small_settings(lesson_id)
        (tmp_path / f"{lesson_id}.py").write_text(script(Experiment.of(s), epochs=1))
        expected[lesson_id] = Experiment.of(s).graph.params
    driver = tmp_path / "run_all.py"
    driver.write_text(
        "import runpy, sys\n"
        "assert 'mbcore' not in sys.modules\n"
        f"for name in {list(ALL_LESSONS)!r}:\n"
        "    print('=== ' + name, flush=True)\n"
        "    runpy.run_path(name + '.py', run_name='__main__')\n"
        "    assert 'mbcore' not in sys.modules\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run([sys.executable, "run_all.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    parts = dict(re.findall(r"^=== (\w+)\n(.*?)(?=^=== |\Z)", proc.stdout, re.M | re.S))
    assert set(parts) == set(ALL_LESSONS)
    for lesson_id, out in parts.items():
        total = re.search(r"Total params: ([\d,]+)", out)
        assert total and int(total.group(1).replace(",", "")) == expected[lesson_id], lesson_id
        assert re.search(r"^loss: \d", out, re.M), lesson_id


def test_script_carries_the_settings_and_one_loss_per_output():
    text = script(Experiment.of(get_lesson("aux_output").settings_cls(aux_weight=0.5)))
    assert "aux_weight=0.5" in text
    assert "'main_output': 'binary_crossentropy', 'aux_output': 'binary_crossentropy'" in text
    assert "'aux_output': 0.5" in text


def test_decay_becomes_a_schedule():
    text = script(Experiment.of(get_lesson("mlp_shapes").settings_cls()))
    assert "InverseTimeDecay" in text and "nesterov=True" in text


@pytest.mark.parametrize("lesson_id", ["two_branches", "merge_modes", "aux_output", "mlp_shapes"])
def test_keras1_versions_name_the_removed_api(lesson_id):
    lesson = get_lesson(lesson_id)
    old = lesson.keras1(lesson.settings_cls())
    assert {"two_branches": "Merge(", "merge_modes": "Merge(", "aux_output": "loss='binary_crossentropy'",
            "mlp_shapes": "decay="}[lesson_id] in old


def test_code_command(capsys):
    from mbcore.cli.main import main
    assert main(["code", "depth_residual", "--set", "residual=false", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "epochs=3" in out and "hidden_dense_10" in out and "block1" not in out
