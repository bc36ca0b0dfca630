"""compose.yaml, checked without Docker: there is none where the tests run, so a
broken deployment file would otherwise only show on a real machine.

The file must be valid Compose (the official schema, vendored in tests/data), run
commands the project accepts, set only MBCORE_* variables the code reads, and give
a worker a memory cap under its container's limit.
"""
import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml

from mbcore.cli.main import make_parser
from mbcore.settings import SettingsError

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())   # resolves anchors and `<<:`
SERVICES = COMPOSE["services"]
UNITS = {"b": 1 / 2**20, "k": 1 / 1024, "kb": 1 / 1024, "m": 1, "mb": 1, "g": 1024, "gb": 1024}


def command_of(service) -> list:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def environment_of(service) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):                        # the `- NAME=value` form
        env = dict(item.partition("=")[::2] for item in env)
    return env


def mebibytes(size) -> float:
    """A Compose byte value ("2500M", "2.5g", 1048576) in MiB; Docker's units are binary."""
    number, unit = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", str(size)).groups()
    return float(number) * UNITS[unit.lower() or "b"]


def test_compose_file_is_valid_against_the_compose_schema():
    """What `docker compose config` would reject: unknown keys, wrong types."""
    schema = json.loads((ROOT / "tests/data/compose-spec.json").read_text())
    cls = jsonschema.validators.validator_for(schema)    # the draft its "$schema" declares
    cls.check_schema(schema)
    errors = [f"{err.json_path}: {err.message}" for err in cls(schema).iter_errors(COMPOSE)]
    assert not errors, "compose.yaml does not match the Compose schema:\n" + "\n".join(errors)


@pytest.mark.parametrize("name", [n for n, s in SERVICES.items() if "build" in s])
def test_services_built_from_the_project_run_commands_it_accepts(name):
    """`python -m mbcore ...` parses with the CLI's own parser (nothing runs);
    `streamlit run SCRIPT` names a script the build context has."""
    argv = command_of(SERVICES[name])
    if argv[:3] == ["python", "-m", "mbcore"]:
        try:
            make_parser().parse_args(argv[3:])
        except SettingsError as err:
            pytest.fail(f"service {name}: `{shlex.join(argv)}` is refused by the CLI: {err}")
    elif argv[:4] == ["python", "-m", "streamlit", "run"]:
        context = SERVICES[name]["build"]["context"]
        assert (ROOT / context / argv[4]).is_file(), f"service {name}: no script {argv[4]}"
    else:
        pytest.fail(f"service {name}: a command this test does not know: {argv}")


def test_every_mbcore_variable_is_one_the_code_reads():
    """A misspelt variable is silently ignored by the app; here it fails."""
    source = "\n".join(p.read_text() for p in (ROOT / "mbcore").rglob("*.py"))
    unread = {f"{name}: {var}" for name, service in SERVICES.items()
              for var in environment_of(service)
              if var.startswith("MBCORE_") and not re.search(rf"[\"']{var}[\"']", source)}
    assert not unread, f"MBCORE_ variables no code under mbcore/ reads: {sorted(unread)}"


def test_worker_memory_cap_is_under_the_container_limit():
    """Celery replaces a pool process above MBCORE_WORKER_MAX_MB; at or over the
    container's limit the kernel's OOM killer would end it first."""
    worker = SERVICES["worker"]
    env = environment_of(worker)
    assert "MBCORE_WORKER_MAX_MB" in env, "the worker sets no MBCORE_WORKER_MAX_MB"
    cap = float(env["MBCORE_WORKER_MAX_MB"])
    limit = mebibytes(worker["deploy"]["resources"]["limits"]["memory"])
    assert cap < limit, f"MBCORE_WORKER_MAX_MB={cap:g} is not under the {limit:g} MiB limit"
