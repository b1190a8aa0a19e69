"""Job kinds of the demo: a job that counts learners per county, proving the path from the
button on the jobs page through the queue and a worker to the result, step by step."""

from __future__ import annotations

import time

import sqlalchemy as sa

from trainhub.extensions import db
from trainhub.geo.models import County
from trainhub.jobs.queue import JobContext, huey, job_kind
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation

#: Pause between the steps when a worker runs the job, so that people watching the page
#: see the progress bar move; immediate mode (tests) never pauses.
STEP_PAUSE_SECONDS = 0.5
#: Longest pause between steps a demo job accepts, in seconds.
MAX_PAUSE = 5.0
TOP_COUNTIES = 10


@job_kind("demo.count", title="演示任务：按县统计学员人数",
          result_template="demo/_result_count.html")
def count_learners_per_county(ctx: JobContext, pause: float | None = None) -> dict:
    """Count learners per county, one province per step, reporting progress after each.

    Rerunnable as it writes nothing: a rerun counts again from the start.
    """
    if pause is None:
        pause = 0 if huey.immediate else STEP_PAUSE_SECONDS
    pause = min(max(float(pause), 0.0), MAX_PAUSE)
    provinces = db.session.execute(
        sa.select(County.province_code, County.province)
        .join(Organisation, Organisation.county_code == County.code)
        .join(Learner, Learner.organisation_id == Organisation.id)
        .group_by(County.province_code, County.province)
        .order_by(County.province_code)
    ).all()
    ctx.progress(0, total=len(provinces))

    by_province: list[dict] = []
    counties: list[dict] = []
    for done, (province_code, province) in enumerate(provinces, start=1):
        rows = db.session.execute(
            sa.select(County.code, County.name, County.is_priority, sa.func.count(Learner.id))
            .join(Organisation, Organisation.county_code == County.code)
            .join(Learner, Learner.organisation_id == Organisation.id)
            .where(County.province_code == province_code)
            .group_by(County.code, County.name, County.is_priority)
            .order_by(County.code)
        ).all()
        for code, name, is_priority, learners in rows:
            counties.append({"code": code, "name": name, "province": province,
                             "priority": bool(is_priority), "learners": learners})
        by_province.append({"province": province, "counties": len(rows),
                            "learners": sum(row[3] for row in rows)})
        if pause:
            time.sleep(pause)
        ctx.progress(done)

    top = sorted(counties, key=lambda c: (-c["learners"], c["code"]))[:TOP_COUNTIES]
    return {
        "learners": sum(p["learners"] for p in by_province),
        "counties": len(counties),
        "priority_counties": sum(1 for c in counties if c["priority"]),
        "provinces": by_province,
        "top_counties": top,
    }
