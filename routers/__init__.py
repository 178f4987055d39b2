"""The HTTP layer: one module per resource family. Routes parse, authorise, call one service
function and shape the response."""

from fastapi import APIRouter

from routers import (
    admin,
    agencies,
    calendar,
    credit,
    departments,
    enterprises,
    imports,
    inspectors,
    listings,
    me,
    plans,
    public,
    rectifications,
    reference,
    reports,
    results,
    samples,
    stats,
    tasks,
)

ROUTERS: list[APIRouter] = [
    reference.router,
    departments.router,
    enterprises.router,
    imports.router,
    agencies.router,
    inspectors.router,
    plans.router,
    tasks.router,
    samples.router,
    reports.router,
    results.router,
    rectifications.router,
    stats.router,
    credit.router,
    listings.router,
    me.router,
    public.router,
    calendar.router,
    admin.router,
]
