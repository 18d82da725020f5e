"""The receiver's published contract, generator/receiver/openapi.json: valid OpenAPI 3.1, shipped
in the wheel and served at /api/openapi.json, listing exactly the routes the receiver answers and
every error code it raises, and true: a bounded, deterministic schemathesis run against the
receiver of the example campaigns (behind `optin serve`'s local site) finds no 5xx, no status
code or content type the document does not list, and no answer outside its schema."""
from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.receiver import SITE, Rx, signup, token_of
from werkzeug.test import Client

import generator.receiver
from generator.receiver.local import LocalSite
from generator.site.views import resolve_all

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Operations whose request a negative case can break (a body, or a query parameter with a shape);
# for the others schemathesis cannot make an invalid request and hypothesis gives up slowly.
NEGATED = {"submit", "confirm", "withdraw", "unsubscribe", "unsubscribeLink", "backofficeAccess", "backofficeErase"}
EXAMPLES = 10  # per operation and mode: the whole run takes a few seconds (well under 30 s loaded)


def document() -> dict:
    return json.loads(resources.files("generator.receiver").joinpath("openapi.json").read_text("utf-8"))


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method.upper(), op


# -- the document itself ---------------------------------------------------------------------
def test_document_is_valid_openapi_3_1():
    doc = document()
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    schemathesis.openapi.from_dict(copy.deepcopy(doc)).validate()  # the OAS 3.1 meta-schema
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    text = json.dumps(doc)
    for target in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = doc
        for part in target.split("/"):
            node = node[part]  # KeyError: a $ref to nothing
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))


def served_routes(receiver) -> set[tuple[str, str]]:
    routes = set()
    for rule in receiver.url_map.iter_rules():
        # werkzeug answers HEAD wherever GET is allowed: implied, not a route of its own
        routes |= {(rule.rule, m) for m in rule.methods if not (m == "HEAD" and "GET" in rule.methods)}
    return routes


def test_document_lists_exactly_the_routes_the_receiver_answers(tmp_path):
    """A route added to the receiver without documentation (or documented and gone) fails here."""
    rx = Rx(tmp_path / "ledger.sqlite")
    doc = document()
    every = {(p, m) for p, m, _ in operations(doc)}
    local = {(p, m) for p, m, op in operations(doc) if op.get("x-optin-local-only")}
    optional = {(p, m) for p, m, op in operations(doc) if op.get("x-optin-optional")}
    assert served_routes(rx.app) == every - local - optional
    mount_backoffice(rx.app)
    assert served_routes(rx.app) == every - local
    # the local-only ones exist under `optin serve`'s site and nowhere in the receiver alone
    site = Client(LocalSite(tmp_path, rx.app))
    for path, method in local:
        assert site.open(path, method=method).status_code == 200, path
        assert Client(rx.app).open(path, method=method).status_code == 404, path


def mount_backoffice(receiver) -> None:
    """The optional back-office routes, as [receiver.backoffice] turns them on."""
    from generator.receiver import backoffice

    assert backoffice.mount(receiver, {"backoffice": {"token_env": "TOKEN"}}, {"TOKEN": "t" * 40}) is not None


def test_every_error_code_the_receiver_raises_is_documented():
    raised = set()
    for module in Path(generator.receiver.__file__).parent.rglob("*.py"):
        raised |= set(re.findall(r'(?:ApiError|_error)\(\s*\d{3},\s*"([a-z_]+)"', module.read_text(encoding="utf-8")))
    raised |= {"not_found", "method_not_allowed"}  # werkzeug's routing errors, named in app.py
    assert len(raised) > 15
    documented = set(document()["components"]["schemas"]["Error"]["properties"]["error"]["enum"])
    assert raised <= documented, sorted(raised - documented)


def test_document_is_served_and_shipped_in_the_wheel(tmp_path):
    res = Client(Rx(tmp_path / "ledger.sqlite").app).get("/api/openapi.json")
    assert res.status_code == 200 and res.mimetype == "application/json"
    assert res.get_json() == document()
    from hatchling.builders.wheel import WheelBuilder

    root = Path(generator.receiver.__file__).parents[2]
    shipped = {f.distribution_path for f in WheelBuilder(str(root)).recurse_included_files()}
    assert "generator/receiver/openapi.json" in shipped


def test_refusals_are_answered_as_documented(tmp_path):
    """Answers generated requests rarely reach: each status is listed for its operation and the
    body is the document's Error."""
    rx = Rx(tmp_path / "ledger.sqlite")
    doc = document()
    error = Draft202012Validator(doc["components"]["schemas"]["Error"])
    first = real_signup(rx, record_id="0b8f1a52-7c7e-4b5e-9a57-4c6c4f1e2d3a")
    assert rx.post("submit", first).status_code == 202
    cases = [
        ("submit", json.dumps(real_signup(rx, padding="x" * 17_000)), "application/json", 413, "too_large"),
        ("submit", "{}", "text/plain", 415, "bad_content_type"),
        ("submit", {**first, "phone": "+4791234569"}, "application/json", 409, "duplicate_record"),
        ("submit", signup(campaign="nope"), "application/json", 404, "unknown_campaign"),
        ("confirm", {"campaign": "nordlys-sko", "token": token_of(rx.sent[0]), "purposes": ["*"]},
         "application/json", 200, None),
        ("confirm", {"campaign": "nordlys-sko", "token": token_of(rx.sent[0]), "purposes": ["*"]},
         "application/json", 409, "already_confirmed"),
        ("withdraw", "campaign=nordlys-sko&purposes=%2A", "application/x-www-form-urlencoded", 400, "no_contact"),
    ]
    for name, body, ctype, status, code in cases:
        res = rx.post(name, body, ctype)
        assert res.status_code == status, (name, code, res.get_data(as_text=True))
        assert str(status) in doc["paths"][f"/api/{name}"]["post"]["responses"], (name, status)
        if code:
            error.validate(res.get_json())
            assert res.get_json()["error"] == code


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api/submit", 405), ("DELETE", "/api/hooks/twilio", 405), ("POST", "/api/nothing", 404),
    ("POST", "/api//submit", 404),  # not a 308: a POST cannot follow one, and its Location came from Host
])
def test_other_paths_and_methods_get_an_error_body(tmp_path, method, path, status):
    res = Client(Rx(tmp_path / "ledger.sqlite").app).open(path, method=method)
    assert res.status_code == status and res.mimetype == "application/json", res.status
    error = document()["components"]["schemas"]["Error"]
    Draft202012Validator(error).validate(res.get_json())


# -- the document against the receiver (schemathesis) -------------------------------------------
def narrowed(doc: dict, rx: Rx, tokens: list[str], codes: list[str]) -> dict:
    """The document with its free strings pinned to what the example campaigns know (one
    alternative per campaign and locale, with its purposes and the versions its pages show, or
    64 zeros), so generated requests get past "unknown campaign" into the flows; the shapes
    stay the document's own."""
    doc = copy.deepcopy(doc)
    pins = {
        "phone": {"type": "string", "pattern": r"^(\+47[49][0-9]{7}|\+601[0-9]{8}|9[0-9]{7})$"},
        "email": {"type": "string", "pattern": r"^[a-z]{1,6}@example\.(com|no)$"},
        "token": {"enum": tokens + ["x" * 43]},
        "code": {"enum": codes + ["AAAA-AAAA"]},
        "country_code": {"enum": ["47", "60"]},
    }
    schemas = doc["components"]["schemas"]
    for name in ("Submission", "Confirmation", "Withdrawal"):
        for variant in (name, name + "Form"):
            base = schemas[variant]
            props = {**base["properties"], **{k: v for k, v in pins.items() if k in base["properties"]}}
            alternatives = []
            for campaign in rx.app.campaigns.values():
                ids = [p.id for p in campaign.purposes] + ([] if name == "Submission" else ["*"])
                for lang, view in resolve_all(campaign, rx.project.locales).items():
                    pinned = {"campaign": {"const": campaign.id}, "locale": {"const": lang},
                              "purposes": {"type": "array", "items": {"enum": ids}, "minItems": 1}}
                    if name == "Submission":
                        pinned["notice_version"] = {"enum": [view.notice_version, "0" * 64]}
                        pinned["wording_version"] = {"enum": [view.wording_version]}
                    alternatives.append({**base, "properties": {**props, **pinned}})
            schemas[variant] = {"anyOf": alternatives}
    for _, _, op in operations(doc):
        for param in op.get("parameters", []):
            if param["name"] == "Origin":
                param["schema"] = {"enum": [SITE, "https://evil.example"]}
            elif param["name"] == "Sec-Fetch-Mode":
                param["schema"] = {"enum": ["navigate", "cors"]}
            elif param["name"] == "t":
                param["schema"] = {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}
    return doc


def run_schemathesis(doc: dict, app, examples: int = EXAMPLES, only: set[str] | None = None):
    """(failures, statuses seen) of a derandomized run over every operation, positive and
    negative; a failure is (operation, curl command, what schemathesis said)."""
    schema = schemathesis.openapi.from_dict(doc)
    schema.app = app
    failures, statuses = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()
        op_id = operation.definition.raw.get("operationId")
        if only is not None and op_id not in only:
            continue
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if op_id in NEGATED else [])
        for mode in modes:
            try:
                calls(operation, mode, examples, failures, statuses)()
            except Unsatisfiable:
                pytest.fail(f"{operation.label} ({mode.value}): schemathesis generated no request")
    return failures, statuses


def calls(operation, mode, examples: int, failures: list, statuses: set):
    """A hypothesis test sending `examples` generated requests to `operation`, collecting what fails."""
    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(operation.as_strategy(generation_mode=mode))
    def call(case):
        response = case.call()
        statuses.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, Exception) as exc:  # noqa: BLE001 - collected: every failing request is listed
            failures.append((operation.label, case.as_curl_command(), str(exc)[:2000]))

    return call


def real_signup(rx: Rx, **extra) -> dict:
    """A nordlys-sko sign-up naming the versions its nb pages really show."""
    view = resolve_all(rx.app.campaigns["nordlys-sko"], rx.project.locales)["nb"]
    return signup(notice_version=view.notice_version, wording_version=view.wording_version, **extra)


@pytest.fixture
def site(tmp_path):
    """`optin serve`'s app (site + receiver + outbox) over the example campaigns, with two real
    sign-ups whose link tokens and codes the generated confirm requests may use."""
    rx = Rx(tmp_path / "ledger.sqlite")
    for phone in ("+4791234567", "+4791234568"):
        assert rx.post("submit", real_signup(rx, phone=phone)).status_code == 202
    mount_backoffice(rx.app)
    (tmp_path / "site").mkdir()
    return rx, LocalSite(tmp_path / "site", rx.app)


def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_document(site):
    rx, app = site
    doc = narrowed(document(), rx, [token_of(m) for m in rx.sent], [m.code for m in rx.sent])
    failures, statuses = run_schemathesis(doc, app)
    assert not failures, "\n\n".join(f"{label}\n{curl}\n{text}" for label, curl, text in failures)
    # the run reached the flows, not only the front door
    assert {200, 202, 204, 303, 400, 401, 403} <= statuses, sorted(statuses)


def test_schemathesis_run_catches_an_undocumented_status(site):
    """The harness above can fail: without its 404 the document no longer matches the receiver."""
    rx, app = site
    doc = narrowed(document(), rx, [], [])
    doc["paths"]["/api/submit"]["post"]["responses"].pop("404")
    for variant in ("Submission", "SubmissionForm"):
        for alternative in doc["components"]["schemas"][variant]["anyOf"]:
            alternative["properties"]["campaign"] = {"const": "no-such-campaign"}
    failures, _ = run_schemathesis(doc, app, examples=3, only={"submit"})
    assert failures and all("404" in text for _, _, text in failures)
