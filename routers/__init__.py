"""The HTTP layer: one module per resource family. Routes parse, authorise, call one service
function and shape the response."""

from fastapi import APIRouter

from routers import admin, agencies, departments, enterprises, inspectors, reference

ROUTERS: list[APIRouter] = [
    reference.router,
    departments.router,
    enterprises.router,
    agencies.router,
    inspectors.router,
    admin.router,
]
