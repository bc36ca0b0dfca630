"""The command line: output for lecturers, one-line errors with exit code 2."""
import json
import subprocess
import sys

import pytest

from mbcore.cli.main import main
from mbcore.lessons.aux_output import TUTORIAL_SIZE
from mbcore.lessons import LESSONS

# The tutorial's sizes as --set options (aux_output's defaults are a classroom size).
FULL_SIZE = [a for k, v in TUTORIAL_SIZE.items() if k != "epochs" for a in ("--set", f"{k}={v}")]


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "mbcore", *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def test_lessons_lists_every_registered_id(capsys):
    assert main(["lessons"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert ids == list(LESSONS) == ["two_branches", "merge_modes", "multi_io", "aux_output",
                                     "depth_residual", "mlp_shapes", "multimodal"]


@pytest.mark.parametrize("args,params", [
    (["two_branches"], 50_890), (["aux_output", *FULL_SIZE], 5_200_610), (["aux_output"], 83_170), (["mlp_shapes"], 6_154),
    (["depth_residual"], 23_631), (["depth_residual", "--set", "residual=false"], 1_131),
    (["two_branches", "--set", "merge=add"], 50_570),
])
def test_summary_json(capsys, args, params):
    assert main(["summary", *args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["params"] == params
    assert sum(layer["params"] for layer in out["layers"]) == params
    assert {"name", "type", "output_shape", "params", "inbound"} <= set(out["layers"][0])
    assert out["inputs"] and out["outputs"]


def test_summary_text_shows_the_seed_table(capsys):
    assert main(["summary", "aux_output", *FULL_SIZE]) == 0
    text = capsys.readouterr().out
    assert "embedding (Embedding)" in text and "5,120,000" in text
    assert "Total params: 5,200,610" in text


def test_dot_command(capsys):
    assert main(["dot", "multi_io", "--set", "merge=add"]) == 0
    assert capsys.readouterr().out.startswith('digraph "multi_io"')


@pytest.mark.parametrize("args,needle", [
    (["summary", "nope"], "unknown lesson 'nope'"),
    (["summary", "two_branches", "--set", "colour=red"], "unknown setting 'colour'"),
    (["summary", "two_branches", "--set", "merge=add", "--set", "left_units=16"],
     "add needs branches of equal width; got 16 and 32"),
    (["summary", "two_branches", "--set", "left_units=lots"], "left_units='lots'"),
    (["dot", "depth_residual", "--set", "blocks=0"], "blocks=0 is not allowed"),
    (["summary", "two_branches", "--set", "merge"], "not FIELD=VALUE"),
    (["frobnicate"], "invalid choice"),
    (["screenshots", "--lessons", "two_branches,nope"], "unknown lesson 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    code, out, err = run(*args)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_killed_tool_command_leaves_no_server_behind():
    """`python -m mbcore uibench` runs tools/uibench.py, which starts the app and its
    workers. Killing the command (even kill -9) must end all of them: an orphaned
    server with training workers would go on taking the machine's cores."""
    import os
    import signal
    import time

    import psutil

    cli = subprocess.Popen([sys.executable, "-m", "mbcore", "uibench", "--lessons",
                            "two_branches", "--repeats", "1"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    def server(p: psutil.Process) -> bool:        # the app itself, not its watchdog
        try:
            return p.cmdline()[1:3] == ["-m", "streamlit"]
        except psutil.Error:
            return False

    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and cli.poll() is None:
            family = psutil.Process(cli.pid).children(recursive=True)
            if any(server(p) for p in family):
                break
            time.sleep(0.5)
        assert any(server(p) for p in family), "uibench did not start its server"
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
        gone, alive = psutil.wait_procs(family, timeout=30)
        assert not alive, [p.pid for p in alive]
    finally:
        if cli.poll() is None:
            cli.kill()
        for p in list(family):
            try:
                family += p.children(recursive=True)    # workers started since
            except psutil.Error:
                pass
        for p in family:
            try:
                p.kill()
            except psutil.Error:
                pass
