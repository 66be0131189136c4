"""Locust users for `make load` (benchmarks/load.py starts gunicorn and runs this headless).

Two kinds of people, as on the real site, each with its own API token (written by load.py to the
JSON file named by LOAD_USERS_FILE):

* customers (weight 3) post a request now and then and mostly follow their own requests
  (GET by id);
* helpers (weight 2) mostly look at their nearby feed and sometimes accept the nearest job;
  after a win they check in and complete it, so their capacity comes back as on a real day.

Task tags pick one endpoint for the isolated phases: `read`, `nearby`, `post`, `accept`.
An answer of 409 or 404 to an acceptance is a lost race (the job is gone from this helper's
view) or a full helper: a correct answer, counted as a success (the database check after the run
proves there was exactly one winner per job).
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, constant, tag, task

with open(os.environ["LOAD_USERS_FILE"], encoding="utf-8") as fh:
    POPULATION = json.load(fh)

CATEGORIES = POPULATION["categories"]
_customers = itertools.cycle(POPULATION["customers"])
_helpers = itertools.cycle(POPULATION["helpers"])
WAIT = float(os.environ.get("LOAD_WAIT_SECONDS", "0"))

READ = "GET /api/jobs/{id}"
FEED = "GET /api/helpers/me/feed"
POST = "POST /api/jobs"
ACCEPT = "POST /api/jobs/{id}/accept"


def _headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


class Customer(FastHttpUser):
    weight = 3
    wait_time = constant(WAIT)

    def on_start(self):
        person = next(_customers)
        self.headers = _headers(person["token"])
        self.home = (person["lat"], person["lng"])
        self.jobs: list[int] = list(person.get("jobs", []))
        if not self.jobs:
            self._post(name=f"{POST} [setup]")

    def _post(self, name: str = POST) -> None:
        lat = self.home[0] + random.uniform(-0.01, 0.01)
        lng = self.home[1] + random.uniform(-0.015, 0.015)
        body = {
            "category": random.choice(CATEGORIES),
            "description": "Load test: the router drops the connection every evening",
            "lat": round(lat, 6),
            "lng": round(lng, 6),
        }
        with self.client.post(
            "/api/jobs", json=body, headers=self.headers, name=name, catch_response=True
        ) as resp:
            if resp.status_code == 201:
                self.jobs.append(resp.json()["id"])
                del self.jobs[:-20]  # follow the latest few
            else:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:120]}")

    @tag("post")
    @task(1)
    def post_job(self):
        self._post()

    @tag("read")
    @task(4)
    def read_job(self):
        if not self.jobs:
            return
        job_id = random.choice(self.jobs)
        with self.client.get(
            f"/api/jobs/{job_id}", headers=self.headers, name=READ, catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:120]}")


class Helper(FastHttpUser):
    weight = 2
    wait_time = constant(WAIT)

    def on_start(self):
        person = next(_helpers)
        self.headers = _headers(person["token"])
        self.feed: list[int] = []

    def _feed(self) -> None:
        with self.client.get(
            "/api/helpers/me/feed", headers=self.headers, name=FEED, catch_response=True
        ) as resp:
            if resp.status_code == 200:
                self.feed = [item["job_id"] for item in resp.json()]
            else:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:120]}")

    @tag("nearby")
    @task(4)
    def nearby(self):
        self._feed()

    @tag("accept")
    @task(1)
    def accept(self):
        if not self.feed:
            self._feed()
        if not self.feed:
            return
        job_id = self.feed.pop(0)
        with self.client.post(
            f"/api/jobs/{job_id}/accept",
            json={},
            headers=self.headers,
            name=ACCEPT,
            catch_response=True,
        ) as resp:
            if resp.status_code in (404, 409):
                # Someone was faster (the job is no longer offered, so no longer visible to this
                # helper: 404) or this helper is full (409): correct answers, not errors.
                resp.success()
                return
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {resp.text[:120]}")
                return
        # Won: do the job, so this helper's capacity (max active jobs) comes back.
        for step, body in (("check-in", {}), ("complete", {"note": "Done"})):
            with self.client.post(
                f"/api/jobs/{job_id}/{step}",
                json=body,
                headers=self.headers,
                name=f"POST /api/jobs/{{id}}/{step}",
                catch_response=True,
            ) as resp:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code}: {resp.text[:120]}")
                    return
