"""Operations endpoints used by the `mims` CLI while a server owns the read models.

DuckDB lets one process write a database file; while `mims serve` runs, the CLI's
rebuild, status, audit, expiry and planning runs go through these endpoints and the work
happens in the server (a rebuild in a background thread, swapped in between two pages of
the runner). They are operations that compose the read side with the ledger, which is
the composition root's to do; the commands a plant posts are all in ``commands``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from commands.problems import problem_responses
from ledger.writer import Ledger
from mims.audit import verify
from mims.jobs import expire_due
from mims.permissions import check_admin
from planning.errors import PlanningError
from planning.from_ledger import MrpRequest, PoliciesRequest, plan_mrp, plan_policies
from projections.engine.operations import rebuild_into
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels

# Every route checks the principal's permission (`mims.permissions.ADMIN_PERMISSIONS`).
router = APIRouter(
    prefix="/admin",
    tags=["operations"],
    dependencies=[Depends(check_admin)],
    responses=problem_responses(401, 403),
)
log = structlog.get_logger("mims.admin")


@dataclass
class Job:
    id: str
    kind: str
    state: str = "running"
    position: int = 0
    target: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


# A job record is kept for its caller to poll, bounded: its error text is cut to
# MAX_ERROR characters and, past MAX_JOBS records, the oldest finished ones are dropped.
MAX_JOBS = 100
MAX_ERROR = 2_000
JOBS: dict[str, Job] = {}
_jobs_lock = threading.Lock()


def keep(job: Job) -> None:
    with _jobs_lock:
        JOBS[job.id] = job
        finished = [j.id for j in JOBS.values() if j.state != "running"]  # oldest first
        for old in finished[: max(0, len(JOBS) - MAX_JOBS)]:
            del JOBS[old]


def failed(job: Job, error: Exception) -> None:
    text = str(error)
    if len(text) > MAX_ERROR:
        text = f"{text[:MAX_ERROR]}... ({len(text) - MAX_ERROR} more characters in the log)"
    job.state, job.error = "failed", text


class RebuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: list[Annotated[str, Field(pattern=r"^[a-z_]{1,64}$")]] | None = Field(
        default=None, max_length=64
    )


def rebuild_and_adopt(
    ledger: Ledger,
    models: ReadModels,
    runner: ProjectionRunner,
    names: list[str] | None,
    job: Job,
) -> None:
    """Build into a fresh file while the live read models keep serving; swap in."""
    live = models.path or Path("var/read_models.duckdb")
    fresh = live.with_name(f"{live.stem}.rebuild-{job.id}{live.suffix}")

    def progress(position: int, target: int) -> None:
        job.position, job.target = position, target

    try:
        built = rebuild_into(ledger.app.recorder, fresh, names, on_page=progress)
        adopted = runner.adopt(str(fresh), built)
        stopped = [str(s) for s in runner.stopped() if s.name in adopted]
        job.result = {"adopted": adopted, "built": built, "stopped": stopped}
        job.state = "done"
    except Exception as e:
        log.exception("rebuild failed", job=job.id)
        failed(job, e)
    finally:
        fresh.unlink(missing_ok=True)
        fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)


@router.get("/projections")
def projection_status(request: Request) -> dict[str, Any]:
    runner: ProjectionRunner = request.app.state.runner
    return {
        "head": request.app.state.ledger.max_position(),
        "projections": [
            {**asdict(s), "updated_at": s.updated_at.isoformat() if s.updated_at else None}
            for s in runner.statuses()
        ],
    }


@router.post("/projections/rebuild", status_code=202, responses=problem_responses(400, 413, 422))
def rebuild(request: Request, body: RebuildRequest) -> dict[str, str]:
    state = request.app.state
    job = Job(id=uuid.uuid4().hex[:12], kind="rebuild")
    keep(job)
    threading.Thread(
        target=rebuild_and_adopt,
        args=(state.ledger, state.read_models, state.runner, body.names, job),
        daemon=True,
    ).start()
    return {"job": job.id}


@router.get("/jobs/{job_id}", responses=problem_responses(404))
def job_state(job_id: str) -> dict[str, Any]:
    job = JOBS.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return asdict(job)


def _caught_up(state: Any) -> None:
    """Wait until the read models show every command answered before."""
    state.runner.wait_for(state.ledger.max_position(), timeout=60)


@router.post("/audit/verify")
def audit_verify(request: Request) -> dict[str, Any]:
    state = request.app.state
    found = verify(state.ledger, state.read_models, state.runner)
    return {
        "checked_at": datetime.now().astimezone().isoformat(),
        "stopped": [str(s) for s in state.runner.stopped()],
        "differences": [
            {**asdict(d), "ledger": str(d.ledger), "read_model": str(d.read_model), "text": str(d)}
            for d in found
        ],
    }


@router.post("/quality/expire")
def quality_expire(request: Request) -> dict[str, Any]:
    """Run the expiry job now (it also runs every MIMS_EXPIRY_INTERVAL_MINUTES)."""
    state = request.app.state
    _caught_up(state)  # see every receipt first
    principal = request.scope["state"]["principal"]  # checked by `check_admin`
    return {"expired": expire_due(state.ledger, state.read_models, principal)}


# The body is not JSON (400), a run id saved already (409), over the body limit (413),
# invalid or beyond what planning takes (422), the read models behind (503).
PLANNING_ANSWERS = problem_responses(400, 409, 413, 422, 503)


@router.post("/planning/mrp", responses=PLANNING_ANSWERS)
def admin_mrp(request: Request, body: MrpRequest) -> dict[str, Any]:
    """Plan MRP from the read models (and save the run unless ``save`` is false)."""
    state = request.app.state
    _caught_up(state)
    try:
        return plan_mrp(state.ledger, state.read_models, body)
    except PlanningError as e:
        raise HTTPException(422, str(e)) from None


@router.post("/planning/policies", responses=PLANNING_ANSWERS)
def admin_policies(request: Request, body: PoliciesRequest) -> dict[str, Any]:
    """Propose inventory policies from the history (and post them with ``apply``)."""
    state = request.app.state
    _caught_up(state)
    try:
        return plan_policies(state.ledger, state.read_models, body)
    except PlanningError as e:
        raise HTTPException(422, str(e)) from None
