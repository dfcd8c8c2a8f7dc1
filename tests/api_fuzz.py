"""schemathesis over the generated OpenAPI document, shared by the API test modules."""

from __future__ import annotations


def fuzz_api(app, auth: dict, *, examples: int, path_prefix: str = "/api/v1"
             ) -> tuple[int, list[str]]:
    """Call every operation under ``path_prefix`` with ``examples`` generated cases as the
    holder of ``auth``; checks: no 5xx, responses and status codes and content types as the
    document says. Returns (operations run, every operation's failure)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance,
              content_type_conformance]
    operations = [r.ok() for r in schema.get_all_operations()
                  if r.ok().path.startswith(path_prefix)]
    failures = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=auth, checks=checks)

        try:
            run()
        except Exception as exc:  # every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    return len(operations), failures
