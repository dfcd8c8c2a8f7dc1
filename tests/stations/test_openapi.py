"""The served OpenAPI document describes every /api/v1 route, and the API keeps to it under
schemathesis' generated requests with a station operator's token."""

from __future__ import annotations

from tests.api_fuzz import fuzz_api

API_MODULES_DOCUMENTED = ("lims.core.", "lims.instruments.", "lims.samples.", "lims.orgs.",
                          "lims.stations.")


def test_every_api_route_is_in_the_document(app, client):
    from lims.core.openapi import undocumented_routes

    doc = client.get("/api/v1/openapi.json").get_json()  # no token needed
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in listed, (path, method)
    # the routes of these packages are described by their own models, not a placeholder
    ours = [r for r in undocumented_routes(app)
            if app.view_functions[next(x.endpoint for x in app.url_map.iter_rules()
                                       if x.rule == r)].__module__.startswith(
                API_MODULES_DOCUMENTED)]
    assert ours == []
    batch = doc["paths"]["/api/v1/stations/results"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StationBatchIn")
    record = doc["components"]["schemas"]["StationRecordIn"]
    assert set(record["required"]) >= {"uid", "market", "stall", "method", "tested_at"}
    assert "text/csv" in doc["paths"]["/api/v1/stations/results.csv"]["post"]["requestBody"][
        "content"]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, bl_operator, token_for,
                                                                   record, client):
    auth = token_for(bl_operator)
    # some stored results, so that the day view answers with rows too
    client.post("/api/v1/stations/results", json={"records": [record(), record(
        inhibition_pct="77.0", station_verdict="positive")]}, headers=auth)
    count, failures = fuzz_api(app, auth, examples=20)
    assert count >= 18
    assert not failures, "\n\n".join(failures)
