"""deploy/: the files an IT contractor copies onto a server, parsed and checked against the code
(there is no Docker engine or systemd here): a non-root image with volumes and a healthcheck that
hits a real route, a hardened unit that reloads on SIGHUP, proxies that point at the right ports."""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bot.channels.web.proxies import TrustedProxies, parse
from bot.channels.web.server import WebChat
from bot.config import SETTINGS, Config
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEFAULTS = {s.name: s.default for s in SETTINGS}


# --- Dockerfile -------------------------------------------------------------------------------


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def docker_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))
    return env


def test_dockerfile() -> None:
    steps = dockerfile(DEPLOY / "Dockerfile")
    keywords = [k for k, _ in steps]
    base = dict(steps)["FROM"]
    assert re.fullmatch(r"python:3\.(1[1-9])-slim(-\w+)?", base), base
    # Non-root: a USER that is not root, set before the command runs.
    users = [rest for k, rest in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert keywords.index("USER") < keywords.index("CMD")
    assert any(k == "RUN" and "useradd" in rest and users[-1] in rest for k, rest in steps)
    # Volumes for data and content, and the settings that point into them.
    volumes = yaml.safe_load(dict(steps)["VOLUME"])
    env = docker_env(steps)
    assert env["BOT_DATA_DIR"] in volumes
    assert any(env["BOT_KNOWLEDGE_DIR"].startswith(v + "/") for v in volumes)
    assert any(env["BOT_FLOWS_DIR"].startswith(v + "/") for v in volumes)
    assert set(env) - {
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    } <= set(DEFAULTS), "every BOT_ setting in the image is a real setting"
    assert "TELEGRAM_BOT_TOKEN" not in env and not any(".env" in rest for k, rest in steps if k == "COPY")
    copies = " ".join(rest for k, rest in steps if k == "COPY")
    assert "knowledge" in copies and "flows" in copies
    # Both Telegram libraries in the image (BOT_FRAMEWORK=ptb needs no rebuild), by extras that exist.
    build_args = dict(rest.split("=", 1) for k, rest in steps if k == "ARG")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert "ptb" in build_args["EXTRAS"].split(",") and set(build_args["EXTRAS"].split(",")) <= set(extras)
    assert any(k == "RUN" and "pip install" in rest and "[$EXTRAS]" in rest for k, rest in steps)
    # The healthcheck asks the web chat's real /healthz route, on the port the image sets.
    health = dict(steps)["HEALTHCHECK"]
    assert "/healthz" in health and "BOT_WEB_PORT" in health and env.get("BOT_WEB_CHAT") == "on"
    routes = {
        r.resource.canonical for r in WebChat(Config.load(env={}, dotenv=None), assistant=None).app().router.routes()
    }  # type: ignore[arg-type]
    assert "/healthz" in routes
    assert env["BOT_WEB_HOST"] == "0.0.0.0", "reachable from the published port"
    assert env["BOT_WEB_PORT"] in dict(steps)["EXPOSE"].split()
    assert dict(steps)["CMD"] == '["python", "-m", "bot", "run"]'
    assert dict(steps).get("STOPSIGNAL") == "SIGTERM"
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert ignore.splitlines()[1] == "**" and "!bot/**" in ignore, "only what the image needs is sent"


def test_compose_file() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    compose = yaml.safe_load(text)
    bot = compose["services"]["bot"]
    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"]), "published on this machine only"
    mounts = {volume.split(":")[1]: volume for volume in bot["volumes"]}
    assert "/data" in mounts and mounts["/data"].split(":")[0] in compose["volumes"]
    assert mounts["/content/knowledge"].startswith("../knowledge:") and mounts["/content/knowledge"].endswith(":ro")
    assert bot["restart"] == "unless-stopped" and bot["read_only"] is True and bot["cap_drop"] == ["ALL"]
    assert bot["env_file"][0]["path"] == "./antoanso.env"
    assert "redis" not in compose["services"] and "# redis:" in text, "Redis is left, commented, for later"
    assert "kill -s HUP bot" in text
    # Caddy/nginx on the host reach the container from Docker's gateway, not 127.0.0.1: trusted,
    # and nothing else can connect (the ports are published on 127.0.0.1 only).
    environment = bot["environment"]
    assert set(environment) <= set(DEFAULTS), "real settings"
    proxies = TrustedProxies.from_setting(environment["BOT_TRUSTED_PROXIES"])
    assert parse(environment["BOT_TRUSTED_PROXIES"])[1] == []
    assert all(proxies.trusts(gateway) for gateway in ("127.0.0.1", "172.17.0.1", "172.18.0.1", "192.168.16.1"))
    assert not proxies.trusts("203.0.113.9")


# --- systemd ----------------------------------------------------------------------------------


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as {section: {key: [values…]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"not a unit line: {raw!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_systemd_unit_is_hardened_and_reloads_on_sighup() -> None:
    service = unit(DEPLOY / "antoanso.service")["Service"]
    one = {key: values[-1] for key, values in service.items()}
    assert one["User"] not in ("root", "0") and one["Group"]
    assert one["ExecStart"].endswith("-m bot run") and one["ExecStartPre"].endswith("-m bot check")
    assert one["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert one["KillSignal"] == "SIGTERM" and one["Restart"] == "on-failure"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "CapabilityBoundingSet": "",
        "SystemCallArchitectures": "native",
    }.items():
        assert one.get(key) == value, f"{key}={one.get(key)!r}, want {value!r}"
    assert "@system-service" in service["SystemCallFilter"]
    assert set(one["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    # ProtectSystem=strict makes everything read-only: the database must live in the state directory.
    environment = dict(item.split("=", 1) for item in shlex.split(" ".join(service["Environment"])))
    assert environment["BOT_DATA_DIR"] == f"/var/lib/{one['StateDirectory']}"
    assert one["EnvironmentFile"] == "/etc/antoanso/antoanso.env"
    assert unit(DEPLOY / "antoanso.service")["Install"]["WantedBy"] == ["multi-user.target"]


def _bytes(size: str) -> int:
    """systemd / compose sizes: 768M, 1G, 1g, 512m."""
    number, unit_letter = re.fullmatch(r"(\d+)([KMGkmg])", size).groups()  # type: ignore[union-attr]
    return int(number) * 1024 ** {"k": 1, "m": 2, "g": 3}[unit_letter.lower()]


def test_memory_is_bounded_in_the_unit_and_in_compose() -> None:
    """Issue 21 item 6: a runaway (a hostile content file) is stopped at a limit instead of starving
    the server; the limit leaves room for the ~200 MB the assistant uses during a reload."""
    service = {key: values[-1] for key, values in unit(DEPLOY / "antoanso.service")["Service"].items()}
    assert 512 * 1024**2 <= _bytes(service["MemoryMax"]) <= 4 * 1024**3, service.get("MemoryMax")
    assert _bytes(service["MemoryHigh"]) < _bytes(service["MemoryMax"])
    bot = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))["services"]["bot"]
    assert 512 * 1024**2 <= _bytes(bot["mem_limit"]) <= 4 * 1024**3
    assert _bytes(bot["memswap_limit"]) == _bytes(bot["mem_limit"]), "no swap on top of the limit"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_accepts_the_unit_and_scores_it_safe(tmp_path: Path) -> None:
    # verify wants the programs to exist: point them at this Python for the check.
    text = (DEPLOY / "antoanso.service").read_text(encoding="utf-8")
    copy = tmp_path / "antoanso.service"
    copy.write_text(text.replace("/opt/antoanso/.venv/bin/python", shutil.which("python3") or "/usr/bin/python3"))
    verify = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score = re.search(r"Overall exposure level for antoanso\.service: ([\d.]+)", security.stdout)
    assert score, security.stdout[-500:] + security.stderr
    assert float(score.group(1)) <= 2.0, security.stdout[-2000:]


# --- settings and proxies ---------------------------------------------------------------------


def env_file(path: Path) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    return {key: value for key, value in pairs}


def test_example_env_file_holds_real_settings_and_no_secrets() -> None:
    example = env_file(DEPLOY / "antoanso.env.example")
    assert set(example) <= set(DEFAULTS), set(example) - set(DEFAULTS)
    assert example["TELEGRAM_BOT_TOKEN"] == "" and example["BOT_WEBHOOK_SECRET"] == ""
    config = Config.load(env=example, dotenv=None)
    from bot.doctor import check_settings

    assert [f.status for f in check_settings(config)] == ["ok"], "the example passes the doctor as it is"


def test_proxies_send_the_webhook_and_the_web_chat_to_the_right_ports() -> None:
    webhook_port, web_port = DEFAULTS["BOT_WEBHOOK_PORT"], DEFAULTS["BOT_WEB_PORT"]
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    example_url = re.search(r"BOT_WEBHOOK_URL=([^\s,]+)", caddy).group(1)  # type: ignore[union-attr]
    path, host = urlsplit(example_url).path, urlsplit(example_url).hostname
    assert re.search(rf"handle {re.escape(path)} \{{\s*reverse_proxy 127\.0\.0\.1:{webhook_port}\s*\}}", caddy)
    assert re.search(rf"handle \{{\s*reverse_proxy 127\.0\.0\.1:{web_port}\s*\}}", caddy)
    assert caddy.count("{") == caddy.count("}") and f"{host} {{" in caddy
    assert re.search(rf"location = {re.escape(path)} \{{\s*proxy_pass http://127\.0\.0\.1:{webhook_port};", nginx)
    assert re.search(rf"location / \{{\s*proxy_pass http://127\.0\.0\.1:{web_port};", nginx)
    assert "listen 443 ssl" in nginx and f"/etc/letsencrypt/live/{host}/fullchain.pem" in nginx
    assert nginx.count("{") == nginx.count("}")
    # The web chat trusts X-Forwarded-* only from BOT_TRUSTED_PROXIES (this machine by default,
    # where these proxies run); both files say what to set when the proxy is elsewhere.
    assert nginx.count("X-Forwarded-For $proxy_add_x_forwarded_for") == 2
    assert nginx.count("X-Forwarded-Proto $scheme") == 2
    assert "BOT_TRUSTED_PROXIES" in caddy and "BOT_TRUSTED_PROXIES" in nginx
    assert parse(DEFAULTS["BOT_TRUSTED_PROXIES"]) == (parse("127.0.0.1 ::1")[0], [])
    assert f"BOT_WEBHOOK_URL={example_url}" in nginx


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="runuser needs root")
def test_server_wrapper_runs_commands_with_the_service_settings(tmp_path: Path) -> None:
    """deploy/antoanso reads the env file (quoted values with spaces included) and the data folder."""
    settings = tmp_path / "antoanso.env"
    example = (DEPLOY / "antoanso.env.example").read_text(encoding="utf-8")
    settings.write_text(example.replace("BOT_WEB_PORT=8080", "BOT_WEB_PORT=8099"), encoding="utf-8")
    env = clean_env()
    env.update(
        ANTOANSO_ENV_FILE=str(settings),
        ANTOANSO_DATA_DIR=str(tmp_path / "state"),
        ANTOANSO_USER=pwd.getpwuid(os.geteuid()).pw_name,
        ANTOANSO_PYTHON=sys.executable,
    )
    result = subprocess.run(
        [str(DEPLOY / "antoanso"), "doctor"], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web chat tại http://127.0.0.1:8099/" in result.stdout, "the env file was read"
    assert str(tmp_path / "state") in result.stdout, "the service's data folder was used"
