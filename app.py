"""OptClass: the Chalice application. Wiring only: middleware, blueprints, schedules."""
from chalice import Chalice

from chalicelib.api import company, enrollments, health, people, schedules
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="optclass")
app.register_middleware(http_middleware, "http")

for blueprint in (health.bp, company.bp, people.bp, schedules.bp, enrollments.bp):
    app.register_blueprint(blueprint)

