"""Fixtures for report tests: one dev PKI and one signed report per session (keygen is slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lims.reports.render import RenderedReport, render_report
from lims.reports.signing import DevPkiPaths, LabSigner, init_dev_pki, load_signer, sign_pdf
from tests.reports.sample_data import make_document, make_tests

PASSPHRASE = "test-passphrase"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPkiPaths:
    return init_dev_pki(tmp_path_factory.mktemp("keys"), passphrase=PASSPHRASE)


@pytest.fixture(scope="session")
def lab_signer(pki: DevPkiPaths) -> LabSigner:
    return load_signer(pki.lab_pkcs12, PASSPHRASE)


@pytest.fixture(scope="session")
def rendered() -> RenderedReport:
    """A 20-test report, the size used by the benchmark."""
    return render_report(make_document(make_tests(20)))


@pytest.fixture(scope="session")
def signed_pdf(rendered: RenderedReport, lab_signer: LabSigner) -> bytes:
    return sign_pdf(
        rendered.pdf,
        lab_signer,
        box=rendered.signature_box.box,
        page_index=rendered.signature_box.page_index,
        location="博乐市",
    )


@pytest.fixture(scope="session")
def ca_cert(pki: DevPkiPaths) -> Path:
    return pki.ca_cert
