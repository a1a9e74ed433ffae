"""``POST /v1/imports`` (multipart: kind, file, skip_invalid) answers 202 with a job;
``GET /v1/imports/{job_id}`` its state, progress, counts and errors.

A job runs in a thread of the server. Its rows are posted as its caller, so the writer
checks the caller's grant on each row's place as it would for the same command sent
alone. Finished jobs are written as JSON under ``jobs_dir`` (the server's ``var/imports``):
a restart keeps a finished job's result; a job that was running when the server stopped
is gone, and posting its file again posts only the rows it had not posted (their command
ids come from the file and the row).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from commands.problems import problem_responses
from ledger.identity.permissions import COMMAND_PERMISSIONS
from ledger.identity.principals import Principal
from ledger.identity.roles import ROLE_PERMISSIONS, Permission
from ledger.writer import Ledger
from mims.imports.importer import UnknownKind, kind_named, post, validate
from mims.imports.kinds import KINDS
from mims.imports.tables import UnreadableFile

log = structlog.get_logger("mims.imports")

# Any of the import kinds' command permissions lets a caller use the routes; the kind's
# own permission is checked when the kind is known, and each row's place by the writer.
IMPORT_PERMISSIONS: frozenset[Permission] = frozenset(
    COMMAND_PERMISSIONS[kind.command] for kind in KINDS.values()
)
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class ImportJob:
    id: str
    kind: str
    file: str
    owner: str
    state: str = "validating"  # validating, posting, done, refused, failed
    done: int = 0
    total: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "file": self.file,
            "state": self.state,
            "progress": {"done": self.done, "total": self.total},
            "result": self.result or None,
            "error": self.error,
        }


class ImportJobs:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.running: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def find(self, job_id: str) -> ImportJob | None:
        with self._lock:
            job = self.running.get(job_id)
        if job is not None or self.folder is None:
            return job
        try:
            uuid.UUID(hex=job_id)
            stored = json.loads((self.folder / f"{job_id}.json").read_text())
        except (ValueError, OSError):
            return None
        return ImportJob(**stored)

    def start(self, job: ImportJob, work: Callable[[ImportJob], None]) -> None:
        with self._lock:
            self.running[job.id] = job

        def run() -> None:
            try:
                work(job)
            except Exception as e:
                log.exception("import failed", job=job.id)
                job.state, job.error = "failed", str(e)[:2000]
            self._finish(job)

        threading.Thread(target=run, name=f"import-{job.id[:8]}", daemon=True).start()

    def _finish(self, job: ImportJob) -> None:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{job.id}.json").write_text(json.dumps(asdict(job)))
        with self._lock:
            if self.folder is not None:
                self.running.pop(job.id, None)


def _principal(request: Request) -> Principal:
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise HTTPException(401, "credentials needed")
    return principal


def _holds(principal: Principal, permissions: frozenset[Permission]) -> bool:
    return any(p in ROLE_PERMISSIONS[g.role] for g in principal.grants for p in permissions)


def check_import(request: Request) -> None:
    """The import routes' dependency: the caller may post some kind of sheet somewhere."""
    principal = _principal(request)
    if not _holds(principal, IMPORT_PERMISSIONS):
        raise HTTPException(403, f"{principal.actor} may import nothing")


def imports_router(jobs: ImportJobs, ledger_of: Callable[[Request], Ledger]) -> APIRouter:
    router = APIRouter(
        prefix="/v1/imports",
        tags=["imports"],
        dependencies=[Depends(check_import)],
        responses=problem_responses(401, 403),
    )

    @router.post("", status_code=202, responses=problem_responses(400, 413, 422))
    async def start_import(
        request: Request,
        kind: Annotated[str, Form(description="items, locations, opening-balances, receipts")],
        file: Annotated[UploadFile, File(description="A CSV or XLSX sheet")],
        skip_invalid: Annotated[bool, Form()] = False,
    ) -> JSONResponse:
        """Import a sheet: validated, then posted all or nothing (or its good rows with
        ``skip_invalid``), in the background. Poll the job at its ``Location``."""
        principal = _principal(request)
        try:
            chosen = kind_named(kind)
        except UnknownKind as e:
            raise HTTPException(422, str(e)) from None
        permission = COMMAND_PERMISSIONS[chosen.command]
        if not _holds(principal, frozenset({permission})):
            raise HTTPException(403, f"{principal.actor} may not {permission}")
        content = await file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise HTTPException(413, f"a sheet of at most {MAX_FILE_BYTES} bytes")
        name = file.filename or "sheet"
        ledger = ledger_of(request)
        job = ImportJob(id=uuid.uuid4().hex, kind=chosen.name, file=name, owner=principal.actor)

        def progress(stage: str, done: int, total: int) -> None:
            job.state, job.done, job.total = stage, done, total

        def work(job: ImportJob) -> None:
            try:
                validated = validate(ledger, chosen, name, content, progress)
            except UnreadableFile as e:
                job.state, job.error = "refused", str(e)
                return
            job.state = "posting"
            result = post(
                ledger,
                validated,
                skip_invalid=skip_invalid,
                actor=principal.actor,
                principal=principal,
                progress=progress,
            )
            job.result = result.as_json()
            job.state = "refused" if result.errors and not skip_invalid else "done"

        jobs.start(job, work)
        return JSONResponse(
            job.as_json(), status_code=202, headers={"Location": f"/v1/imports/{job.id}"}
        )

    @router.get("/{job_id}", responses=problem_responses(404))
    async def import_job(request: Request, job_id: str) -> dict[str, Any]:
        """An import's state (validating, posting, done, refused, failed), progress, counts
        and every bad row. Only whoever started it sees it."""
        job = jobs.find(job_id)
        if job is None or job.owner != _principal(request).actor:
            raise HTTPException(404, f"no import {job_id}")
        return job.as_json()

    return router
