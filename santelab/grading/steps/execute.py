"""KernelExecute: nbgrader's Execute, on a kernel forked for this notebook alone, with limits.

Same cell-by-cell execution as `nbgrader autograde` (nbgrader's Execute is the base class),
plus what a hostile notebook needs: a whole-notebook deadline, a cap on the output kept, and a
kernel that dies (os._exit, a segfault, the memory limit) ending the notebook with every
remaining cell failed instead of the whole submission.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any, Float, Integer

from santelab.grading.host import HostLost
from santelab.grading.kernels import ForkKernelManager
from santelab.grading.steps import incident


def _failed(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"{ename}: {message}"])


class KernelExecute(Execute):
    host = Any(help="The worker's KernelHost.")
    notebook_timeout = Float(900.0).tag(config=True)
    max_output_bytes = Integer(8 * 1024 * 1024).tag(config=True)
    max_message_bytes = Integer(64 * 1024 * 1024).tag(config=True)

    def create_kernel_manager(self):
        self.km = ForkKernelManager(host=self.host, kernel_name=self.kernel_name or "python3",
                                    max_message_bytes=self.max_message_bytes)
        return self.km

    def preprocess(self, nb, resources, km=None):
        self._output_bytes = 0
        self._current = -1
        self._expired = False
        self._truncated = False
        self._resources = resources
        timer = threading.Timer(self.notebook_timeout, self._expire)
        timer.start()
        try:
            return super().preprocess(nb, resources, km=km)
        except (DeadKernelError, HostLost, RuntimeError, TimeoutError) as exc:
            if self._expired:
                why = f"notebook arrêté après {self.notebook_timeout:.0f} s (limite par notebook)"
                kind = "temps_depasse"
            else:
                why = f"le noyau s'est arrêté pendant la cellule {self._current + 1} ({exc})"
                kind = "noyau_arrete"
            incident(resources, kind, why)
            for cell in nb.cells[max(self._current, 0):]:
                if cell.cell_type == "code":
                    cell.outputs = [*cell.get("outputs", []), _failed("NoyauArrete", why)]
            return nb, resources
        finally:
            timer.cancel()

    def preprocess_cell(self, cell, resources, index):
        self._current = index
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type == "code":
            self._sweep(resources, index)
        return cell, resources

    def _sweep(self, resources, index: int) -> None:
        """Stop the processes the cell left beside its kernel: the next cell, and the kernels
        graded beside this one, never run next to them."""
        pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
        if pid is None:
            return
        try:
            killed = self.host.request("sweep", pid=pid)
        except HostLost:  # the next cell finds the kernel gone
            return
        if killed:
            incident(resources, "processus", f"processus laissés par la cellule {index + 1} "
                                             "arrêtés à sa fin (limite de processus)")

    def _expire(self) -> None:
        self._expired = True
        provisioner = getattr(self.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if pid is not None:
            with contextlib.suppress(HostLost):
                self.host.request("signal", pid=pid, signal=int(signal.SIGKILL))

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._output_bytes += size
        if self._output_bytes > self.max_output_bytes:
            if not self._truncated:
                self._truncated = True
                incident(self._resources, "sortie_excessive",
                         f"sorties au-delà de {self.max_output_bytes // 1024} Kio ignorées")
            return None
        return super().output(outs, msg, display_id, cell_index)
