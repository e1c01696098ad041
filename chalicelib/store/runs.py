"""Repository of students' no-show runs (services/runs.py keeps them from the stream).

Access patterns (docs/architecture.md): 58, 59.
"""

from ..domain import records
from . import models as m
from .failures import translate
from .unit_of_work import UnitOfWork


def put(uow: UnitOfWork, run: records.NoShowRun) -> None:
    uow.overwrite(run)


@translate
def of_company(cid: str) -> dict[str, records.NoShowRun]:
    """Every student's run: one query (a page holds some 5,000 students)."""
    return {r.student_id: r.record() for r in m.NoShowRun.query(m.NoShowRun.partition(cid))}
