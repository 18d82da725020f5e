"""Fixtures for the double opt-in browser tests: `optin serve`'s app (site + receiver + outbox)
running in a thread, with a clock the tests can move forward."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from generator.pipeline.serve import LocalServer
from generator.receiver.app import now_utc
from generator.receiver.ratelimit import Limit, Limits
from support.projects import example_project

# The tests sign up many people from one address in a short time.
ROOMY = Limits(per_address=Limit(100_000, 60), per_contact=Limit(100, 60), wrong_codes=Limit(1000, 60),
               withdrawals_per_address=Limit(1000, 60))


class MovableClock:
    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self):
        return now_utc() + self.offset


@pytest.fixture(scope="session")
def flow_server(tmp_path_factory):
    clock = MovableClock()
    folder = tmp_path_factory.mktemp("flow")
    server = LocalServer(example_project(folder), ledger=folder / "optin-ledger.sqlite", limits=ROOMY,
                         clock=clock).start()
    server.clock = clock
    yield server
    server.close()


_numbers = itertools.count(1)


@pytest.fixture
def flow_contact(worker_id):
    """A fresh phone number and email per call, valid for the campaign's country."""
    worker = 0 if worker_id == "master" else int(worker_id.lstrip("gw"))

    def make(country: str = "NO") -> dict:
        n = worker * 10_000 + next(_numbers)
        if country == "MY":
            return {"phone": f"+6012{n:07d}", "email": f"p{n}@example.com"}
        return {"phone": f"+479{n:07d}", "email": f"p{n}@example.com"}
    return make
