"""Development tools that drive the app or the pool from outside: loadtest and
membench live in tools/ at the repository root (they may import Streamlit's
test harness, which mbcore never does); these commands run them."""
from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from pathlib import Path

from mbcore.cli.common import command

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _end_with_parent() -> None:
    """In the tool's process before it starts (Linux): the kernel sends it SIGTERM
    when this command ends, even by kill -9, so a killed `python -m mbcore uibench`
    does not leave its tool (and the tool's server, which watches the tool) running."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass                      # not Linux: the tool ends when it is done


def call_tool(script: str, argv: list[str]) -> int:
    """Run tools/`script` with `argv`; a stop of this command (Ctrl+C, kill) stops it too."""
    proc = subprocess.Popen([sys.executable, str(TOOLS / script), *argv],
                            preexec_fn=_end_with_parent if sys.platform == "linux" else None)
    try:
        return proc.wait()
    finally:
        if proc.poll() is None:        # this command was interrupted: end the tool first
            proc.terminate()
            proc.wait()


def run_tool(script: str, options: tuple, flags: tuple = ()):
    def run(args):
        argv = [f"--{o}={getattr(args, o)}" for o in options if getattr(args, o) is not None]
        argv += [f"--{f}" for f in (*flags, "json") if getattr(args, f)]
        return call_tool(script, argv)
    return run


def tool_options(flags: dict | None = None, **ints):
    """Whole-number options with defaults, on/off `flags` (name -> help), and --json."""
    def setup(p):
        for name, default in ints.items():
            p.add_argument(f"--{name}", type=int, default=default)
        for name, help_text in (flags or {}).items():
            p.add_argument(f"--{name}", action="store_true", help=help_text)
        p.add_argument("--json", action="store_true")
    return setup


def loadtest_options(p):
    tool_options(sessions=20, distinct=1, workers=1, replicas=1, epochs=20)(p)
    p.add_argument("--engine", choices=("local", "celery"), default="local",
                   help="celery: Redis and --workers Celery workers; local: each replica "
                        "trains in its own pool of --workers")
    p.add_argument("--redis", help="celery: attach to the Redis at this URL instead of "
                                   "starting one")


command("loadtest", "K websocket sessions on R running replicas press Train at once "
        "(tools/loadtest.py)",
        run_tool("loadtest.py", ("sessions", "distinct", "engine", "workers", "replicas",
                                 "epochs", "redis")), lesson=False, setup=loadtest_options)
command("membench", "server and worker memory over many trainings (tools/membench.py)",
        run_tool("membench.py", ("trainings",), ("biggest",)), lesson=False,
        setup=tool_options({"biggest": "train each lesson's biggest allowed settings once "
                                       "instead, and report each worker's peak"},
                           trainings=50))


def _uibench(args):
    argv = [f"--repeats={args.repeats}"] + ([f"--lessons={args.lessons}"] if args.lessons else [])
    argv += [f"--server-log={args.server_log}"] if args.server_log else []
    return call_tool("uibench.py", [*argv, *(["--json"] if args.json else [])])


def _uibench_options(p):
    tool_options(repeats=2)(p)
    p.add_argument("--lessons", default="", help="comma-separated lesson ids (default: all)")
    p.add_argument("--server-log", default="", metavar="FILE",
                   help="keep the server's log there (when each training and warm-up "
                        "started, in which worker)")


command("uibench", "how live the app is in Chromium: Train -> first point, updates/s, "
        "Stop, slider (tools/uibench.py)", _uibench, lesson=False, setup=_uibench_options)


def _screenshots(args):
    argv = [f"--lessons={args.lessons}"] if args.lessons else []
    argv += [f"--out={args.out}"] if args.out else []
    argv += [f"--{flag.replace('_', '-')}" for flag in ("compare", "skip_training")
             if getattr(args, flag)]
    return call_tool("screenshots.py", argv)


def _screenshots_options(p):
    p.add_argument("--lessons", default="", help="comma-separated lesson ids (default: all)")
    p.add_argument("--out", default="", help="folder (default: artifacts/screenshots/lecture)")
    p.add_argument("--compare", action="store_true",
                   help="also each lesson's comparison (the shoot-out and the like), once done")
    p.add_argument("--skip-training", action="store_true",
                   help="with --compare: only the comparisons")


command("screenshots", "every lesson's lecture screen mid-training at 1280x800, 1920x1080 "
        "and in presenter mode, as PNGs (tools/screenshots.py)", _screenshots, lesson=False,
        setup=_screenshots_options)
