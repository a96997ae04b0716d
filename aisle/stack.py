"""Starts and stops the whole assistant: action server, Rasa server, gateway.

``make run`` and the end-to-end test fixtures both use this module, so the
stack a developer runs is the stack the tests check. Each service is a child
process in its own process group (Ctrl-C stops all of them, children included),
its output prefixed with its name and kept in a log file.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from aisle.settings import PROJECT_ROOT, VAR_DIR, get_settings

logger = logging.getLogger(__name__)

DEFAULT_RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "aisle.tar.gz"


@dataclass
class Service:
    """One process of the stack and how to tell it is ready."""

    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 180.0
    stage: int = 0
    """Services of one stage start together; a stage starts when the one before is ready."""
    process: subprocess.Popen[str] | None = None
    log_path: Path | None = None

    def start(self, log_dir: Path, echo: bool) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        log_file = self.log_path.open("w", encoding="utf-8")
        threading.Thread(
            target=_pump, args=(self.name, self.process.stdout, log_file, echo), daemon=True
        ).start()

    def wait_until_ready(self) -> None:
        """Polls the health URL; fails fast, with the log's tail, if the process died."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StackError(f"{self.name} exited with code {self.process.returncode}", self)
            try:
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise StackError(f"{self.name} not ready after {self.ready_timeout:.0f} s", self)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the process group, SIGKILL if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        _signal_group(self.process, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.process, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class StackError(RuntimeError):
    def __init__(self, message: str, service: Service) -> None:
        super().__init__(f"{message}. Last lines of {service.log_path}:\n{service.log_tail()}")


@dataclass
class StackConfig:
    """Ports and files of one running stack; tests use free ports and temporary files."""

    host: str = "127.0.0.1"
    action_port: int = 5055
    rasa_port: int = 5005
    gateway_port: int = 8000
    model: Path = DEFAULT_MODEL
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    credentials: Path = PROJECT_ROOT / "credentials.yml"
    log_dir: Path = VAR_DIR / "log"
    rasa_bin: Path = Path(os.environ.get("AISLE_RASA_BIN", DEFAULT_RASA_BIN))
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for every service, e.g. ``AISLE_DATABASE_URL``."""

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"


def isolated_config(
    folder: Path,
    *,
    action_port: int,
    rasa_port: int,
    gateway_port: int,
    env: dict[str, str] | None = None,
) -> StackConfig:
    """A stack with ports, tracker store and logs of its own under ``folder``.

    Tests and benchmarks use it so that they never touch a `make run` on the same machine.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config = StackConfig(
        action_port=action_port,
        rasa_port=rasa_port,
        gateway_port=gateway_port,
        endpoints=folder / "endpoints.yml",
        log_dir=folder / "logs",
        env={"AISLE_TRACKER_URL": f"sqlite:///{folder / 'tracker.db'}", **(env or {})},
    )
    config.endpoints.write_text(
        f"action_endpoint:\n  url: http://{config.host}:{action_port}/webhook\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {folder / 'tracker.db'}\n"
        "lock_store:\n  type: in_memory\n"
    )
    return config


def build_services(config: StackConfig) -> list[Service]:
    """The three services in start order: each one needs the one before it."""
    common = common_environment(config)
    # The gateway's /healthz asks the action server which of its parts is down.
    gateway_env = {"AISLE_ACTION_URLS": f"http://{config.host}:{config.action_port}", **common}
    return [
        action_service("actions", config, config.action_port, common),
        rasa_service("rasa", config, config.rasa_port, config.endpoints, common),
        gateway_service(config, gateway_env),
    ]


def common_environment(config: StackConfig) -> dict[str, str]:
    """What every service needs: offline model loading, no telemetry, the config's extras."""
    return {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "AISLE_RASA_URL": config.rasa_url,
        **config.env,
    }


def action_service(name: str, config: StackConfig, port: int, env: dict[str, str]) -> Service:
    return Service(
        name=name,
        command=[sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        health_url=f"http://{config.host}:{port}/health",
        env=env,
        stage=0,
    )


def rasa_service(
    name: str, config: StackConfig, port: int, endpoints: Path, env: dict[str, str]
) -> Service:
    return Service(
        name=name,
        command=[
            str(config.rasa_bin),
            "run",
            "--enable-api",
            "--interface",
            config.host,
            "--port",
            str(port),
            "--model",
            str(config.model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(config.credentials),
        ],
        health_url=f"http://{config.host}:{port}/status",
        env=env,
        stage=1,
    )


def gateway_service(
    config: StackConfig, env: dict[str, str], name: str = "gateway", port: int | None = None
) -> Service:
    """A gateway on ``port`` (default the config's); the production profile runs several."""
    port = port or config.gateway_port
    return Service(
        name=name,
        command=[sys.executable, "-m", "bot", "--host", config.host, "--port", str(port)],
        health_url=f"http://{config.host}:{port}/healthz",
        env=env,
        stage=2,
    )


class Stack:
    """The running assistant; a context manager so tests always clean up."""

    def __init__(
        self, config: StackConfig, echo: bool = False, services: list[Service] | None = None
    ) -> None:
        """``services`` replaces the default three (the production profile runs replicas)."""
        self.config = config
        self.services = services if services is not None else build_services(config)
        self._echo = echo

    def service(self, name: str) -> Service:
        """The running service called ``name`` (e.g. ``rasa-2`` in the production profile)."""
        return next(service for service in self.services if service.name == name)

    def start(self) -> None:
        _check_prerequisites(self.config)
        try:
            for stage in sorted({service.stage for service in self.services}):
                starting = [service for service in self.services if service.stage == stage]
                for service in starting:
                    logger.info("Starting %s ...", service.name)
                    service.start(self.config.log_dir, self._echo)
                for service in starting:
                    service.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Blocks until a service dies (an error) or the user stops the stack."""
        while True:
            for service in self.services:
                if service.process is not None and service.process.poll() is not None:
                    raise StackError(f"{service.name} stopped unexpectedly", service)
            time.sleep(1.0)


def _check_prerequisites(config: StackConfig) -> None:
    if not config.rasa_bin.exists():
        raise SystemExit(f"Rasa is not installed at {config.rasa_bin}: run `make install`.")
    if not config.model.exists():
        raise SystemExit(f"No trained model at {config.model}: run `make train`.")


def _pump(name: str, stream: IO[str] | None, log_file: IO[str], echo: bool) -> None:
    if stream is None:
        return
    with log_file:
        for line in stream:
            log_file.write(line)
            log_file.flush()
            if echo:
                sys.stdout.write(f"{name:>8} | {line}")
                sys.stdout.flush()


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Lets `kill` stop the stack the way Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the stack in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m aisle.stack", description=main.__doc__)
    parser.add_argument("--quiet", action="store_true", help="only write service logs to var/log")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = get_settings()
    stack = Stack(StackConfig(gateway_port=settings.gateway_port), echo=not args.quiet)
    url = stack.config.gateway_url
    return run_in_foreground(stack, f"Aisle is running. Demo shop: {url}/  Agent page: {url}/agent")


def run_in_foreground(stack: Stack, banner: str) -> int:
    """Starts ``stack``, prints ``banner`` and runs until Ctrl-C, SIGTERM or a service dies.

    Returns the process exit code: 0 when stopped by the user, 1 when a service failed.
    """
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        stack.start()
        print(f"\n{banner}\nPress Ctrl-C to stop.\n", flush=True)
        stack.wait()
    except KeyboardInterrupt:
        print("\nStopping Aisle ...", flush=True)
    except StackError as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
