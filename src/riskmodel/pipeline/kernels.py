"""Jupyter kernels started ahead of the stage notebooks that will run in them.

Starting a kernel and importing the library takes a second or two of every stage. While a
stage runs, :class:`WarmKernels` starts the kernel of a stage still to come and imports
the modules the notebooks import (``pipeline.warm_imports``: a silent execution, so the
notebook's own cells and execution counts are exactly as without it). A stage takes a warm
kernel when one is ready and starts its own otherwise; a used kernel is shut down aside.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# seconds a warm kernel may take to start and run its imports before it is given up
WARM_TIMEOUT_SECONDS = 120.0


def kernel_arguments() -> list[str]:
    """Arguments of every stage kernel: quiet start-up, history kept in memory."""
    return ["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"]


class WarmKernels:
    """Up to ``size`` kernels started in ``cwd`` ahead of use, for ``wanted`` stages in all.

    :meth:`take` hands over a started kernel manager (or None: the stage starts its own) and
    starts another while more stages are to come; :meth:`release` shuts a used one down in
    the background; :meth:`close` shuts down the ones never used.
    """

    def __init__(
        self,
        kernel_name: str,
        cwd: Path,
        *,
        wanted: int,
        size: int,
        imports: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.kernel_name = kernel_name
        self.env = dict(env or {})
        self.cwd = Path(cwd)
        self.imports = list(imports)
        self.remaining = max(wanted, 0)  # stages that may still ask for a kernel
        self.size = max(size, 0)
        self._ready: list[Any] = []
        self._starting = 0
        self._closed = False
        self._lock = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._fill()

    def _fill(self) -> None:
        """Start kernels until ``size`` are ready or starting (never more than still wanted)."""
        with self._lock:
            if self._closed:
                return
            count = min(self.size, self.remaining) - len(self._ready) - self._starting
            self._starting += max(count, 0)
        for _ in range(max(count, 0)):
            thread = threading.Thread(target=self._warm_one, daemon=True)
            self._threads.append(thread)
            thread.start()

    def _warm_one(self) -> None:
        manager = None
        try:
            manager = start_kernel(self.kernel_name, self.cwd, self.env)
            warm_up(manager, self.imports)
        except Exception as exc:  # the stage starts its own kernel instead
            log.warning("a kernel could not be started ahead: %s", exc)
            if manager is not None:
                shutdown_kernel(manager)
            manager = None
        with self._lock:
            self._starting -= 1
            if manager is not None and not self._closed:
                self._ready.append(manager)
                manager = None
            self._lock.notify_all()
        if manager is not None:  # closed while it started
            shutdown_kernel(manager)

    def take(self) -> Any | None:
        """A started kernel manager with its imports done: one ready, else one still starting
        once it is ready (sooner than a new one); None when none is on its way. A kernel
        that died while it waited is shut down (its files and sockets) and skipped."""
        with self._lock:
            self.remaining = max(self.remaining - 1, 0)
        manager = None
        while manager is None:
            with self._lock:
                while not self._ready and self._starting and not self._closed:
                    self._lock.wait(timeout=WARM_TIMEOUT_SECONDS)
                if not self._ready or self._closed:
                    break
                candidate = self._ready.pop(0)
            if _alive(candidate):
                manager = candidate
            else:
                self.release(candidate)
        self._fill()
        return manager

    def take_or_start(self) -> Any | None:
        """:meth:`take`, else a kernel started now (not warmed) with this pool's environment,
        so every stage kernel gets ``env``; None when that fails too (papermill then starts
        its own and reports why)."""
        manager = self.take()
        if manager is not None or not self.env:
            return manager
        try:
            return start_kernel(self.kernel_name, self.cwd, self.env)
        except Exception as exc:
            log.warning("a kernel could not be started: %s", exc)
            return None

    def release(self, manager: Any | None) -> None:
        """Shut down a used kernel without waiting for it."""
        if manager is None:
            return
        thread = threading.Thread(target=shutdown_kernel, args=(manager,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def close(self, wait: float = 10.0) -> None:
        """Shut down the kernels never used and wait (at most ``wait`` seconds) for all
        shut-downs."""
        with self._lock:
            self._closed = True
            unused, self._ready = self._ready, []
            self._lock.notify_all()
        for manager in unused:
            shutdown_kernel(manager)
        for thread in self._threads:
            thread.join(timeout=wait)


def start_kernel(kernel_name: str, cwd: Path, env: Mapping[str, str] | None = None) -> Any:
    """A started ``AsyncKernelManager`` (the kind nbclient drives) working in ``cwd``, its
    process given this environment plus ``env``."""
    manager = _new_manager(kernel_name)
    environment = dict(os.environ)
    for name, value in (env or {}).items():  # "" removes a variable
        if value:
            environment[str(name)] = str(value)
        else:
            environment.pop(str(name), None)
    asyncio.run(
        manager.start_kernel(cwd=str(cwd), env=environment, extra_arguments=kernel_arguments())
    )
    return manager


def _new_manager(kernel_name: str) -> Any:
    """A kernel manager for ``kernel_name``. Where Unix sockets exist it talks to its kernel
    over them, in a private temporary folder: kernels started side by side over TCP can
    race for the same free port ("Address already in use") and die at start."""
    cls = _manager_class()
    if os.name != "posix":
        return cls(kernel_name=kernel_name)
    _remove_stale_socket_folders()
    folder = tempfile.mkdtemp(prefix=f"{_SOCKET_PREFIX}{os.getpid()}-")
    manager = cls(kernel_name=kernel_name, transport="ipc", ip=os.path.join(folder, "ipc"))
    manager.__dict__["_riskmodel_socket_dir"] = folder
    return manager


_SOCKET_PREFIX = "riskmodel-kernel-"


@cache
def _remove_stale_socket_folders() -> None:
    """Remove the socket folders of jobs no longer running (killed before their clean-up),
    once per process: ``riskmodel-kernel-<pid>-*`` whose process is gone."""
    try:
        import psutil
    except ImportError:  # psutil comes with ipykernel; without it the folders stay
        return

    for folder in Path(tempfile.gettempdir()).glob(f"{_SOCKET_PREFIX}*-*"):
        owner = folder.name[len(_SOCKET_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def warm_up(manager: Any, imports: Sequence[str]) -> None:
    """Import ``imports`` in the kernel silently (no output, no execution count)."""
    if not imports:
        return
    from jupyter_client.blocking import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=WARM_TIMEOUT_SECONDS)
        code = "\n".join(f"import {module}" for module in imports)
        reply = client.execute_interactive(
            code,
            silent=True,
            store_history=False,
            timeout=WARM_TIMEOUT_SECONDS,
            output_hook=lambda message: None,
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"warm-up imports failed: {reply['content'].get('ename')}")
    finally:
        client.stop_channels()


def _alive(manager: Any) -> bool:
    try:
        return bool(asyncio.run(manager.is_alive()))
    except Exception:
        return False


@cache
def _manager_class() -> type:
    """``AsyncKernelManager`` that remembers the clients made for it: nbclient leaves the
    client of a kernel it did not start open, and :func:`shutdown_kernel` closes it."""
    from jupyter_client.manager import AsyncKernelManager

    class TrackedKernelManager(AsyncKernelManager):
        def client(self, **kwargs: Any) -> Any:
            made = super().client(**kwargs)
            self.__dict__.setdefault("_riskmodel_clients", []).append(made)
            return made

    return TrackedKernelManager


def shutdown_kernel(manager: Any) -> None:
    """Stop a kernel at once (its notebook is written), close the clients made for it and
    remove its connection file."""
    for client in manager.__dict__.pop("_riskmodel_clients", []):
        try:
            client.stop_channels()
        except Exception as exc:  # already closed
            log.debug("kernel client: %s", exc)
    try:
        asyncio.run(manager.shutdown_kernel(now=True))
    except Exception as exc:  # already dead, or its process gone
        log.debug("kernel shut-down: %s", exc)
    folder = manager.__dict__.pop("_riskmodel_socket_dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
