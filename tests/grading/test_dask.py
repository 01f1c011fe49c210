"""`santelab grade --scheduler`: the kernels run on a Dask LocalCluster of separate worker
processes on loopback, and every student gets the score the local pool gives her (checked in
test_runs against the same class)."""

from __future__ import annotations

import io

import pytest
from distributed import LocalCluster

from grading.conftest import grade_args
from grading.test_runs import SMALL, check_class, make_course
from santelab.grading.command import grade

pytestmark = pytest.mark.slow


def test_dask_local_cluster_gives_the_local_scores(tmp_path, bwrap):
    remote = make_course(tmp_path / "dask", ("devoir_d",))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        out = io.StringIO()
        outcomes = grade(remote, "devoir_d", grade_args(scheduler=cluster.scheduler_address),
                         out=out)
    assert "cluster Dask tcp://127.0.0.1:" in out.getvalue()
    assert len(outcomes) == len(SMALL) and not [o.error for o in outcomes if o.error]
    check_class(remote, "devoir_d")
