import hashlib
import io
import os
import re
import stat

import pytest
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from lims.reports.keys_cli import keys
from lims.reports.signing import (
    PASSPHRASE_ENV,
    SigningSetupError,
    init_dev_pki,
    load_signer,
    read_passphrase,
    sign_pdf,
    verify_pdf,
)
from tests.reports.conftest import PASSPHRASE


def _flip(data: bytes, pos: int) -> bytes:
    b = bytearray(data)
    b[pos] ^= 0x01
    return bytes(b)


def test_signed_report_validates_with_pyhanko_against_lab_ca(signed_pdf, ca_cert):
    pem = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    root = asn1_x509.Certificate.load(pem.public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    (sig,) = reader.embedded_signatures
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[root], allow_fetching=False)
    )
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert str(sig.sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"  # PAdES
    assert "non_repudiation" in status.signing_cert.key_usage_value.native


def test_verify_reports_valid_with_number_and_hash(signed_pdf, ca_cert):
    result = verify_pdf(signed_pdf, [ca_cert])
    assert result.valid and result.intact and result.trusted, result.reason
    assert result.report_number == "BZJC-2026-000123"
    assert result.sha256 == hashlib.sha256(signed_pdf).hexdigest()
    assert "Report Signing" in result.signer_subject
    assert result.signed_at is not None
    data = result.to_dict()
    assert data["valid"] is True and data["report_number"] == "BZJC-2026-000123"
    assert isinstance(data["signed_at"], str)
    ok = verify_pdf(signed_pdf, [ca_cert], expected_sha256=result.sha256.upper())
    assert ok.valid


def test_visible_signature_widget_is_on_the_last_page(signed_pdf, rendered):
    reader = PdfReader(io.BytesIO(signed_pdf))
    assert len(reader.pages) == rendered.page_count
    widgets = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Widget" and annot.get("/FT") == "/Sig":
                widgets.append((index, [float(v) for v in annot["/Rect"]], annot))
    assert len(widgets) == 1
    index, rect, annot = widgets[0]
    assert index == rendered.page_count - 1
    assert rect == pytest.approx(list(rendered.signature_box.box), abs=0.01)
    assert "/AP" in annot  # an appearance stream: the signature is visible
    assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 40


def test_signing_does_not_rerender_the_content(rendered, signed_pdf):
    # Incremental update: the rendered bytes are the untouched prefix of the signed file.
    assert signed_pdf.startswith(rendered.pdf)


def test_flipping_a_content_byte_makes_it_invalid(signed_pdf, rendered, ca_cert):
    # Bytes of the rendered report (pages, fonts, metadata) are all in the signed range.
    positions = range(0, len(rendered.pdf), max(1, len(rendered.pdf) // 60))
    for pos in positions:
        result = verify_pdf(_flip(signed_pdf, pos), [ca_cert])
        assert not result.valid, pos
        assert result.reason


def test_flipping_any_byte_fails_against_the_stored_hash(signed_pdf, ca_cert):
    stored = hashlib.sha256(signed_pdf).hexdigest()
    contents = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", signed_pdf)
    # Sample the whole file, plus the signature blob and its zero padding.
    positions = list(range(len(signed_pdf) - 1, 0, -max(1, len(signed_pdf) // 40)))
    positions += list(range(contents.start(1), contents.end(1), 997))
    positions.append(contents.end(1) - 3)
    for pos in positions:
        result = verify_pdf(_flip(signed_pdf, pos), [ca_cert], expected_sha256=stored)
        assert not result.valid, pos
        assert result.sha256 != stored


def test_changed_signature_padding_is_detected_even_without_hash(signed_pdf, ca_cert):
    contents = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", signed_pdf)
    assert signed_pdf[contents.end(1) - 3 : contents.end(1)] == b"000"
    result = verify_pdf(_flip(signed_pdf, contents.end(1) - 3), [ca_cert])
    assert not result.valid and "签名数据区" in result.reason


def test_other_ca_is_not_trusted(signed_pdf, tmp_path):
    other = init_dev_pki(tmp_path / "other", passphrase="x")
    result = verify_pdf(signed_pdf, [other.ca_cert])
    assert result.intact and not result.trusted and not result.valid
    assert "根证书" in result.reason


@pytest.mark.parametrize(
    "data", [b"", b"not a pdf", b"%PDF-1.7\n%%EOF", b"%PDF-1.7\n" + os.urandom(2000)]
)
def test_garbage_is_invalid_not_a_crash(data, ca_cert):
    result = verify_pdf(data, [ca_cert])
    assert result.valid is False and result.reason


def test_truncated_and_unsigned_pdfs_are_invalid(signed_pdf, rendered, ca_cert):
    assert not verify_pdf(signed_pdf[: len(signed_pdf) // 2], [ca_cert]).valid
    unsigned = verify_pdf(rendered.pdf, [ca_cert])
    assert not unsigned.valid and "没有数字签名" in unsigned.reason


def test_incremental_update_after_signing_is_invalid(signed_pdf, ca_cert):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))

    info = writer.trailer["/Info"].get_object()
    info["/Subject"] = generic.TextStringObject("BZJC-2026-999999")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue(), [ca_cert])
    assert not result.valid
    assert result.report_number == "BZJC-2026-000123"  # read from the signed revision


def test_second_signature_is_refused_by_verification(signed_pdf, lab_signer, ca_cert):
    twice = sign_pdf(signed_pdf, lab_signer, field_name="Second")
    result = verify_pdf(twice, [ca_cert])
    assert not result.valid and "2 个签名" in result.reason


def test_sign_rejects_non_pdf(lab_signer):
    with pytest.raises(Exception, match="不是 PDF"):
        sign_pdf(b"hello", lab_signer)


def test_sign_without_box_puts_widget_on_last_page(rendered, lab_signer, ca_cert):
    signed = sign_pdf(rendered.pdf, lab_signer)
    assert verify_pdf(signed, [ca_cert]).valid
    last = PdfReader(io.BytesIO(signed)).pages[-1]
    assert any(a.get_object().get("/FT") == "/Sig" for a in last["/Annots"])


# ------------------------------------------------------------------ keys / PKI


def test_dev_pki_files_and_key_usage(pki):
    for path in (pki.ca_key, pki.lab_pkcs12):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    lab = x509.load_pem_x509_certificate(pki.lab_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    usage = lab.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert lab.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not lab.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_generated_passphrase_is_saved_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    paths = init_dev_pki(tmp_path)
    assert paths.passphrase_file is not None
    assert stat.S_IMODE(paths.passphrase_file.stat().st_mode) == 0o600
    signer = load_signer(paths.lab_pkcs12, read_passphrase(tmp_path))
    assert signer.serial_hex
    with pytest.raises(SigningSetupError, match="已存在"):
        init_dev_pki(tmp_path)
    # Re-init with an env passphrase removes the now useless file.
    monkeypatch.setenv(PASSPHRASE_ENV, "from-env")
    again = init_dev_pki(tmp_path, overwrite=True)
    assert again.passphrase_file is None and not paths.passphrase_file.exists()
    load_signer(again.lab_pkcs12, "from-env")


def test_load_signer_errors(pki, tmp_path):
    with pytest.raises(SigningSetupError, match="口令错误"):
        load_signer(pki.lab_pkcs12, "wrong")
    with pytest.raises(SigningSetupError, match="不存在"):
        load_signer(tmp_path / "missing.p12", PASSPHRASE)


def test_keys_init_cli(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    runner = CliRunner()
    target = tmp_path / "k"
    result = runner.invoke(keys, ["init", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target / "lab-signing.p12") in result.output
    assert (target / "dev-ca.crt.pem").is_file()
    again = runner.invoke(keys, ["init", "--dir", str(target)])
    assert again.exit_code != 0 and "已存在" in again.output
