"""jupyter_client plumbing: a kernel manager whose kernels are forked by a worker's host.

nbclient (and so nbgrader's Execute) drives the kernel exactly as usual; only the launch,
signals and liveness go through the fork server, and the sockets are Unix sockets (`ipc`) in
the worker's exchange folder, so that a kernel without network still talks to the grader.
"""

from __future__ import annotations

import asyncio
import math
import signal
import time
import uuid
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.provisioner_base import KernelProvisionerBase
from traitlets import Any as AnyTrait
from traitlets import Integer, Type, default

from santelab.grading.host import HostLost, KernelHost

POLL_INTERVAL = 0.05
# How often a killed kernel is asked whether it is gone: a forked kernel dies within a few
# milliseconds of its SIGKILL, and each question is one request to the fork server.
KILLED_POLL_INTERVAL = 0.005


class ForkProvisioner(KernelProvisionerBase):
    """Launches a kernel by asking the worker's fork server; never a subprocess of ours."""

    host: KernelHost
    pid: int | None = None

    @property
    def has_process(self) -> bool:
        return self.pid is not None

    async def poll(self) -> int | None:
        if self.pid is None:
            return 0
        try:
            status = self.host.request("poll", pid=self.pid)
        except HostLost:
            return -1
        return None if status is None else int(status)

    async def wait(self) -> int | None:
        while (status := await self.poll()) is None:
            await asyncio.sleep(POLL_INTERVAL)
        self.pid = None
        return status

    async def send_signal(self, signum: int) -> None:
        if self.pid is not None:
            try:
                self.host.request("signal", pid=self.pid, signal=int(signum))
            except HostLost:
                self.pid = None

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        # nbclient's extra arguments (e.g. --HistoryManager.hist_file=:memory:) follow the
        # connection file in a normal command line: keep them.
        argv = [arg for arg in cmd[1:] if arg.startswith("--") and "{connection_file}" not in arg
                and not arg.startswith("--f=")]
        connection = {key: value.decode() if isinstance(value, bytes) else value
                      for key, value in self.connection_info.items()}
        self.pid = int(self.host.request("spawn", connection=connection, argv=argv))
        return self.connection_info

    async def cleanup(self, restart: bool = False) -> None:
        self.pid = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        km.transport = "ipc"
        km.ip = str(self.host.kernel_dir / uuid.uuid4().hex[:12])
        kwargs = await super().pre_launch(**kwargs)
        km.write_connection_file()  # allocates the socket names and the HMAC key
        self.connection_info = km.get_connection_info()
        kwargs["cmd"] = km.format_kernel_cmd(extra_arguments=kwargs.get("extra_arguments"))
        return kwargs

    def get_shutdown_wait_time(self, recommended: float = 5.0) -> float:
        return 1.0


class ForkKernelClient(AsyncKernelClient):
    """jupyter_client's client, minus the heartbeat channel and the 0.2 s it always waits once
    the kernel is ready.

    The heartbeat is never read here: a client made by its kernel manager asks the manager
    whether the kernel lives (the fork server's `poll`). Its thread only cost a thread a
    kernel, and stopping it raced with the kernel's end: the thread died on a closed socket
    (ZMQError in the log) or, once in a 104-copy run, waited forever in `select`, while the
    grader waited forever to join it.

    `wait_for_ready` ends by draining IOPub until nothing arrives for 0.2 s: a fifth of a
    second lost on every notebook, the worker idle meanwhile. Nothing needs it here: nbclient
    keeps only the IOPub messages whose parent is the cell it runs, so the ones the kernel_info
    request left behind are skipped anyway. The rest is jupyter_client's loop: kernel_info until
    a reply, and an IOPub message seen (a SUB socket misses what was sent before it joined).
    """

    def start_channels(self, shell: bool = True, iopub: bool = True, stdin: bool = True,
                       hb: bool = True, control: bool = True) -> None:
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class ForkKernelManager(AsyncKernelManager):
    """An AsyncKernelManager bound to one worker's fork server."""

    host = AnyTrait()
    max_message_bytes = Integer(64 * 1024 * 1024)
    client_factory = Type(ForkKernelClient, klass=AsyncKernelClient)

    @default("context")
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        # A single message above this (a huge image) is refused by zmq, not held in memory.
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        return context

    def client(self, **kwargs: Any):
        kwargs.setdefault("context", self.context)  # its sockets get the size limit
        return super().client(**kwargs)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        """jupyter_client's cleanup, the context destroyed first and without lingering: its
        kernel is dead by now (killed, see `build_steps`), so a message still queued for it
        would only hold the worker for the 100 ms jupyter_client lets such messages linger
        (its own `destroy(linger=100)` then finds the context closed)."""
        if self._created_context and not restart:
            self.context.destroy(linger=0)
        await super()._async_cleanup_resources(restart=restart)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Until the killed kernel is gone. jupyter_client asks every 0.1 s: the kernel was
        still there at the first question and gone at the second or third, so each notebook
        ended with 0.2 s of its worker waiting for nothing (measured: 214 ms a notebook)."""
        await super()._async_wait(pollinterval=min(pollinterval, KILLED_POLL_INTERVAL))

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            provisioner = ForkProvisioner(kernel_id=self.kernel_id or str(uuid.uuid4()),
                                          kernel_spec=self.kernel_spec, parent=self)
            provisioner.host = self.host
            self.provisioner = provisioner
        return await super()._async_pre_start_kernel(**kw)
