"""`santelab grade --scheduler`: the kernels run on a Dask LocalCluster of separate worker
processes on loopback, and the scores are those of the local pool."""

from __future__ import annotations

import io

import pytest
from distributed import LocalCluster

from grading.classroom import scores
from grading.conftest import grade_args
from grading.test_runs import CLASS, check_class, make_course
from santelab.grading.command import grade

pytestmark = pytest.mark.slow


def test_dask_local_cluster_gives_the_local_scores(tmp_path, bwrap):
    remote = make_course(tmp_path / "dask", ("devoir_d",))
    local = make_course(tmp_path / "local", ("devoir_d",))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        out = io.StringIO()
        outcomes = grade(remote, "devoir_d", grade_args(scheduler=cluster.scheduler_address),
                         out=out)
    assert "cluster Dask tcp://127.0.0.1:" in out.getvalue()
    assert len(outcomes) == len(CLASS) and not [o.error for o in outcomes if o.error]
    check_class(remote, "devoir_d")
    grade(local, "devoir_d", grade_args())
    assert scores(remote, "devoir_d") == scores(local, "devoir_d")
