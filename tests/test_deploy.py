"""The container files, checked by parsing them (no Docker engine runs here): the app runs as an
unprivileged user, installs no front-end scripts, reads through its read-only role."""

from __future__ import annotations

import shlex

import yaml

from sitefinder.core.settings import PROJECT_ROOT


def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages as (instruction, arguments), continuation lines joined."""
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_the_image_runs_as_a_non_root_user() -> None:
    final = _stages()[-1]
    users = [i for i, (instruction, _) in enumerate(final) if instruction == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    user = final[users[-1]][1].split(":")[0]
    assert user not in ("root", "0")
    runs = [i for i, (instruction, _) in enumerate(final) if instruction in ("RUN", "COPY")]
    assert users[-1] > max(runs)  # installing needs root; running does not
    assert final[-1][0] == "CMD" and "sitefinder" in final[-1][1]
    created = " ".join(arguments for instruction, arguments in final if instruction == "RUN")
    assert "useradd" in created and "--uid 10001" in created


def test_npm_runs_no_install_scripts() -> None:
    runs = [a for stage in _stages() for i, a in stage if i == "RUN" and "npm" in a]
    assert runs and all("--ignore-scripts" in shlex.split(a) for a in runs)
    setup = (PROJECT_ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "npm ci --no-audit --no-fund --ignore-scripts" in setup


def test_compose_gives_the_api_role_a_password_and_binds_loopback() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    app = compose["services"]["app"]
    assert app["environment"]["SITEFINDER_API_PASSWORD"]
    assert all(str(port).startswith("127.0.0.1:") for port in app["ports"])
    assert "user" not in app or app["user"] not in ("root", "0")
